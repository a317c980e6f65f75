import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';

/**
 * One run at a time, across the daemon, the timer and the CLI: a lock file
 * holding the owner's PID. A lock whose process is gone is taken over.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireRunLock(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  const file = path.join(stateDir, 'run.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new RewindError('Busy', `A backup is already running (process ${owner}).`);
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new RewindError('Busy', 'Another backup started at the same moment.');
}
