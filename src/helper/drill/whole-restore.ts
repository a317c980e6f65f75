import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../system/atomic-write';

/**
 * <state>/whole-restore: when a subvolume was last restored whole
 * (restore-subvolume), one ISO time written by root. The next scheduled run
 * checks each destination it reaches whose last check is older
 * (src/core/drill-schedule.ts, rule 3): its first backups after the restore
 * are built on the restored snapshot.
 */
const WHOLE_RESTORE = 'whole-restore';

/** Records that a subvolume was just restored whole, so that the next scheduled run checks each destination it reaches. */
export async function noteWholeRestore(stateDir: string, at = new Date()): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(path.join(stateDir, WHOLE_RESTORE), `${at.toISOString()}\n`);
}

export async function lastWholeRestore(stateDir: string): Promise<string | undefined> {
  const handle = await open(path.join(stateDir, WHOLE_RESTORE), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trim();
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
