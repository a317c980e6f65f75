import { constants, createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { RewindError } from '../../../core/errors';

/**
 * A folder of a backup destination, held open, whose entries are reached by
 * name only and never through a link.
 *
 * Whoever can write to a backup disk or share can put a link where Rewind
 * expects a folder or a file (a host folder that points at /etc, a part file
 * that points at /dev/zero) and swap names between Rewind's checks and its
 * use of them. So a folder is an open file descriptor, opened with
 * O_NOFOLLOW|O_DIRECTORY, and every entry is reached through
 * /proc/self/fd/<fd>/<name> — what openat(2) does: the folder cannot be
 * swapped under us, and the last component is never followed. Files are
 * opened O_NOFOLLOW|O_NONBLOCK (a FIFO never blocks the open) and checked to
 * be regular files before a byte is read; only regular files are ever
 * deleted, one by one, never recursively.
 */

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

/** How long a read may wait for data before it is given up (a share whose server went away). */
export const READ_STALL_MS = 120_000;

/** Why `name` is not one plain entry name, or undefined when it is. */
export function entryNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is not a name';
  if (name.includes('/')) return 'has a "/"';
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'has a control character';
  if (Buffer.byteLength(name) > 255) return 'is longer than 255 bytes';
  return undefined;
}

function checkName(name: string, where: string): void {
  const problem = entryNameProblem(name);
  if (problem) throw new RewindError('BackupDamaged', `The name ${JSON.stringify(name)} in ${where} ${problem}; Rewind does not use it.`);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** A folder opened without following a link; `where` names it in messages. */
export class ConfinedFolder {
  private constructor(
    private readonly handle: FileHandle,
    readonly where: string,
  ) {}

  /** Opens `dir`, the administrator's own choice, links and all. */
  static async openTrusted(dir: string): Promise<ConfinedFolder> {
    return new ConfinedFolder(await open(dir, O_RDONLY | O_DIRECTORY), dir);
  }

  /** Opens `dir` itself (the last component is not followed: a link there is refused). */
  static async open(dir: string): Promise<ConfinedFolder> {
    return new ConfinedFolder(await openDirectory(dir, dir), dir);
  }

  private at(name: string): string {
    checkName(name, this.where);
    return `/proc/self/fd/${this.handle.fd}/${name}`;
  }

  /** The folder `name` in this one, or undefined when there is none; `create` makes it (0700). */
  async folder(name: string, create = false): Promise<ConfinedFolder | undefined> {
    const where = path.join(this.where, name);
    if (create) {
      await mkdir(this.at(name), { mode: 0o700 }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
    }
    try {
      return new ConfinedFolder(await openDirectory(this.at(name), where), where);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** The names of the entries, with whether each is a real folder (a link to one is not). */
  async entries(): Promise<Array<{ name: string; folder: boolean; file: boolean }>> {
    const found = await readdir(`/proc/self/fd/${this.handle.fd}`, { withFileTypes: true });
    return found.filter((e) => !entryNameProblem(e.name)).map((e) => ({ name: e.name, folder: e.isDirectory(), file: e.isFile() }));
  }

  /**
   * Opens the regular file `name` for reading, or undefined when there is none.
   * `maxSize` bounds what may be read: a larger file is refused.
   */
  async openFile(name: string, maxSize?: number): Promise<{ handle: FileHandle; size: number } | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if (isMissing(error)) return undefined;
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw notAFile(path.join(this.where, name), 'a link');
      throw error;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw notAFile(path.join(this.where, name), kindOf(info));
      if (maxSize !== undefined && info.size > maxSize) {
        throw new RewindError('BackupDamaged', `${path.join(this.where, name)} is ${info.size} bytes, more than the ${maxSize} such a file can have.`);
      }
      return { handle, size: info.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The text of a small regular file, or undefined when there is none. */
  async readText(name: string, maxSize: number): Promise<string | undefined> {
    const opened = await this.openFile(name, maxSize);
    if (!opened) return undefined;
    const chunks: Buffer[] = [];
    // Through the stream, so that a share that stops answering fails the read instead of hanging it.
    for await (const chunk of this.streamOf(opened, name, opened.size)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * At most `size` bytes of the regular file `name`, as a stream, or
   * undefined when there is none; a read that gets no data for READ_STALL_MS
   * fails. The file is open when this returns: the stream keeps reading it
   * after this folder is closed.
   */
  async readStream(name: string, size: number): Promise<Readable | undefined> {
    const opened = await this.openFile(name);
    return opened && this.streamOf(opened, name, size);
  }

  /** At most `size` bytes of an opened file, closing it at the end; a read with no data for READ_STALL_MS fails. */
  private streamOf(opened: { handle: FileHandle }, name: string, size: number): Readable {
    if (size === 0) {
      void opened.handle.close();
      return Readable.from([]);
    }
    const input = createReadStream('', { fd: opened.handle, start: 0, end: size - 1, highWaterMark: 1024 * 1024 });
    return Readable.from(withStallLimit(input, path.join(this.where, name)), { objectMode: false });
  }

  /** Creates `name` (which must not exist: a leftover is removed first when it is a regular file) for writing. */
  async createFile(name: string, mode = 0o600): Promise<FileHandle> {
    await this.removeFile(name);
    return open(this.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode);
  }

  /** Gives the entry `from` the name `to`, in this folder. */
  async rename(from: string, to: string): Promise<void> {
    await rename(this.at(from), this.at(to));
  }

  /**
   * Deletes `name` when it is a regular file; a missing one is no error, and
   * anything else (a folder, a link, a device) is left alone: returns false.
   */
  async removeFile(name: string): Promise<boolean> {
    const info = await lstat(this.at(name)).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (!info) return true;
    if (!info.isFile()) return false;
    await unlink(this.at(name)).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    return true;
  }

  /** Flushes the folder's entries (a rename in it) to the disk. */
  async sync(): Promise<void> {
    await this.handle.sync().catch(() => undefined);
  }

  /** The filesystem this folder is on (st_dev). */
  async device(): Promise<number> {
    return (await this.handle.stat()).dev;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

async function openDirectory(file: string, where: string): Promise<FileHandle> {
  try {
    return await open(file, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw notAFolder(where, 'a link');
    if (code === 'ENOTDIR') throw notAFolder(where, kindOf(await lstat(file).catch(() => undefined)));
    throw error;
  }
}

function kindOf(info: { isSymbolicLink(): boolean; isFIFO(): boolean; isDirectory(): boolean; isFile(): boolean } | undefined): string {
  if (!info) return 'not a file';
  if (info.isSymbolicLink()) return 'a link';
  if (info.isFIFO()) return 'a pipe';
  if (info.isDirectory()) return 'a folder';
  return info.isFile() ? 'a file' : 'a device or socket';
}

function notAFolder(where: string, kind: string): RewindError {
  return new RewindError(
    'BackupDamaged',
    `${where} is ${kind}, not a folder: Rewind never follows links in a backup folder. Someone changed the backup folder; remove or rename ${where} there.`,
  );
}

function notAFile(where: string, kind: string): RewindError {
  return new RewindError('BackupDamaged', `${where} is ${kind}, not a file that Rewind wrote: it is not read.`);
}

/** The chunks of `input`, failing when none comes for READ_STALL_MS. */
async function* withStallLimit(input: Readable, where: string): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${where} got no data for ${READ_STALL_MS / 1000} s`)), READ_STALL_MS);
      });
      try {
        const next = (await Promise.race([iterator.next(), stalled])) as IteratorResult<Buffer>;
        if (next.done) return;
        yield next.value;
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    input.destroy();
  }
}
