import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { RewindError } from '../../core/errors';

/**
 * A lock the kernel releases: flock(2) on a file, held through an open file
 * description of this process. However the holder ends (it returns, crashes,
 * is killed with SIGKILL, the machine reboots), the kernel closes its
 * descriptors and the lock is gone; nothing that survives the process can
 * block the next one, whatever PID the file names.
 *
 * Node has no flock(2). util-linux's flock(1) takes the lock on the
 * descriptor this process hands it (its fd 3) and exits: the lock belongs to
 * the open file description, which this process keeps open until it
 * releases the lock. The holder removes the file as it releases it; one who
 * locked a file just removed finds that the name no longer leads to what it
 * locked, and starts again. A file left by a holder that died stays, and
 * is simply locked again.
 *
 * The holder writes its PID into the file, only to name it to whoever finds
 * the lock taken; the PID decides nothing.
 */

/** flock's exit status when the lock is held by another (--conflict-exit-code). */
const CONFLICT = 75;

/** Takes an exclusive flock on `fd` without waiting: true when taken, false when another holds it. */
function flockNonBlocking(fd: number, file: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (error) => reject(new RewindError('Internal', `Could not lock ${file}: flock (util-linux) could not be run: ${error.message}.`)));
    child.once('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === CONFLICT) resolve(false);
      else reject(new RewindError('Internal', `Could not lock ${file}: flock ended with ${code}: ${stderr.trim()}.`));
    });
  });
}

/** The PID the holder wrote, if it is there yet. */
async function holderOf(handle: FileHandle): Promise<number | undefined> {
  const buffer = Buffer.alloc(32);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0).catch(() => ({ bytesRead: 0 }));
  const pid = Number(buffer.subarray(0, bytesRead).toString('utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Takes the lock on `file` (made with `mode` when missing) or throws what
 * `busy` makes of the holder's PID. Returns the release.
 */
export async function acquireFileLock(file: string, mode: number, busy: (holder: number | undefined) => RewindError): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    // Not followed if a link, without waiting if a FIFO.
    const handle = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new RewindError('Internal', `The lock ${file} is not a plain file; remove it.`);
      if (!(await flockNonBlocking(handle.fd, file))) throw busy(await holderOf(handle));
      const named = await lstat(file).catch(() => undefined);
      if (named?.dev !== info.dev || named.ino !== info.ino) {
        // Locked as its holder removed it: not the lock any more.
        await handle.close();
        continue;
      }
      await handle.truncate(0);
      await handle.write(`${process.pid}\n`, 0);
    } catch (error) {
      await handle.close();
      throw error;
    }
    let released: Promise<void> | undefined;
    return () => {
      // Removed while still held, then the descriptor closed (which releases the lock).
      released ??= unlink(file)
        .catch(() => undefined)
        .finally(() => handle.close());
      return released;
    };
  }
  throw busy(undefined);
}
