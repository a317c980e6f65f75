import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { DrillRecord } from '../../core/drill';
import { writeFileAtomic } from '../system/atomic-write';
import { logStateRepair } from '../system/state-log';

/**
 * Every restore drill, newest last, in <state>/drills.json: apart from the
 * runs' history (src/core/drill.ts says why). Written under the run lock.
 * A file that cannot be read is read as empty and written anew by the next
 * drill (logged): it only says when backups were last checked, and the next
 * drill says it again.
 */
const KEEP = 500;
const MAX_BYTES = 16 * 1024 * 1024;

const isRecord = (r: unknown): r is DrillRecord =>
  typeof r === 'object' && r !== null && typeof (r as DrillRecord).destination === 'string' && typeof (r as DrillRecord).finished === 'string' && Array.isArray((r as DrillRecord).sources);

export class DrillHistory {
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = path.join(stateDir, 'drills.json');
  }

  async read(): Promise<DrillRecord[]> {
    let handle;
    try {
      handle = await open(this.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return [];
    }
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > MAX_BYTES) return [];
      const data = JSON.parse(await handle.readFile('utf8')) as unknown;
      return Array.isArray(data) ? data.filter(isRecord) : [];
    } catch {
      return [];
    } finally {
      await handle.close();
    }
  }

  /** The newest drill of each destination, by id. */
  async latest(): Promise<Map<string, DrillRecord>> {
    const newest = new Map<string, DrillRecord>();
    for (const r of await this.read()) newest.set(r.destination, r);
    return newest;
  }

  /** Adds a drill; never throws (the drill is done, whatever happens to its record). */
  async append(record: DrillRecord): Promise<void> {
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o755 });
      const drills = [...(await this.read()), record].slice(-KEEP);
      await writeFileAtomic(this.file, `${JSON.stringify(drills, null, 1)}\n`);
    } catch (error) {
      logStateRepair(`could not record the check of ${record.destination} in ${this.file}: ${(error as Error).message}`);
    }
  }
}
