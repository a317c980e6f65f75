import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { withMarks, type DamagedBackup } from '../../core/damaged-backups';
import { writeFileAtomic } from '../system/atomic-write';
import { logStateRepair } from '../system/state-log';

/**
 * <state>/damaged-backups.json: every backup a drill found damaged
 * (src/core/damaged-backups.ts), the newest last. Written by a drill under
 * the run lock; read when a destination is opened and when a run chooses
 * its snapshots. A mark outlives its backup harmlessly (a UUID is never
 * given again), and the list keeps the last KEEP.
 *
 * A file that cannot be read counts as no marks, logged: the next drill of
 * a damaged backup marks it again, and until then the runs' own checks
 * (the parent's Received UUID, a stream chain's sizes and checksums) still
 * stand.
 */
const KEEP = 200;
const MAX_BYTES = 1024 * 1024;

const isMark = (m: unknown): m is DamagedBackup =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as DamagedBackup).destination === 'string' &&
  typeof (m as DamagedBackup).folder === 'string' &&
  typeof (m as DamagedBackup).uuid === 'string' &&
  typeof (m as DamagedBackup).backup === 'string';

export class DamagedBackups {
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = path.join(stateDir, 'damaged-backups.json');
  }

  async read(): Promise<DamagedBackup[]> {
    let handle;
    try {
      handle = await open(this.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logStateRepair(`could not open ${this.file}: ${(error as Error).message}`);
      return [];
    }
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > MAX_BYTES) throw new Error('not a regular file of a sensible size');
      const data = JSON.parse(await handle.readFile('utf8')) as unknown;
      if (!Array.isArray(data)) throw new Error('not a list');
      return data.filter(isMark);
    } catch (error) {
      logStateRepair(`could not read ${this.file}, so no backup counts as damaged until a check finds it again: ${(error as Error).message}`);
      return [];
    } finally {
      await handle.close();
    }
  }

  /** Marks backups damaged (the caller holds the run lock). */
  async add(marks: readonly DamagedBackup[]): Promise<void> {
    if (marks.length === 0) return;
    await mkdir(this.stateDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(this.file, `${JSON.stringify(withMarks(await this.read(), marks, KEEP), null, 1)}\n`);
  }
}
