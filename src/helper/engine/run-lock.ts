import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { acquireFileLock } from '../system/file-lock';

/**
 * One run at a time, across the daemon, the timer and the CLI: a flock on
 * <state>/run.lock (../system/file-lock), which the kernel releases however
 * the run ends, so a crash or a reboot never leaves a lock behind. The PID
 * in it only names the running backup.
 */
export async function acquireRunLock(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  return acquireFileLock(path.join(stateDir, 'run.lock'), 0o644, (holder) =>
    new RewindError('Busy', holder === undefined ? 'A backup is already running.' : `A backup is already running (process ${holder}).`),
  );
}
