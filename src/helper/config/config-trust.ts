import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';

/**
 * The configuration says what root backs up, restores and where it writes,
 * so it is trusted only when nobody but root can have written it: a regular
 * file owned by root and writable by nobody else, in a folder only root can
 * write to, reached through folders only root can change (or sticky ones,
 * like /tmp, where others cannot rename what is root's).
 */

/** The largest configuration read: a real one is a few KiB; a bigger file is not ours. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

/** The stat fields the rules look at. */
export type StatLike = Pick<Stats, 'uid' | 'mode'> & { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };

/** Why the open configuration file is not to be trusted, or undefined when it is. */
export function configFileProblem(info: StatLike): string | undefined {
  if (!info.isFile()) return 'is not a regular file';
  if (info.uid !== 0) return `is owned by user ${info.uid}, not by root`;
  if ((info.mode & WRITABLE_BY_OTHERS) !== 0) return `can be changed by users other than root (mode ${(info.mode & 0o7777).toString(8)})`;
  return undefined;
}

/**
 * Why a folder on the way to the configuration is not to be trusted. The
 * folder that holds the file must be root's alone; a folder above it may
 * also be sticky, where others may add names but not replace root's.
 */
export function folderProblem(info: StatLike, holdsConfig: boolean): string | undefined {
  if (info.isSymbolicLink()) return 'is a symbolic link, not a folder';
  if (!info.isDirectory()) return 'is not a folder';
  if (info.uid !== 0) return `is owned by user ${info.uid}, not by root`;
  const sticky = (info.mode & STICKY) !== 0;
  if ((info.mode & WRITABLE_BY_OTHERS) !== 0 && (holdsConfig || !sticky)) {
    return `can be changed by users other than root (mode ${(info.mode & 0o7777).toString(8)})`;
  }
  return undefined;
}

function untrusted(what: string, problem: string, fix: string): RewindError {
  return new RewindError('InvalidConfig', `The configuration is not used: ${what} ${problem}.`, {
    advice: `Rewind trusts only a regular file that root alone can change, in folders only root can change. An administrator of this computer can fix it: ${fix}.`,
  });
}

function tooLarge(file: string): RewindError {
  return new RewindError('InvalidConfig', `The configuration ${file} is not used: it is larger than ${MAX_CONFIG_BYTES} bytes, far more than any configuration of Rewind.`, {
    advice: 'An administrator of this computer can replace it with the configuration it should hold, or set up backups again.',
  });
}

/**
 * Every real folder the kernel passes through to reach `dir`, from / down,
 * following symbolic links as it does: a link is only as safe as the folder
 * holding it, and its target's folders are checked as well.
 */
export async function foldersOnTheWay(dir: string): Promise<string[]> {
  const pending = dir.split('/');
  const folders = ['/'];
  let current = '/';
  for (let links = 0; pending.length > 0; ) {
    const name = pending.shift() as string;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, name);
    if ((await lstat(next)).isSymbolicLink()) {
      if (++links > 40) throw Object.assign(new Error(`too many symbolic links in ${dir}`), { code: 'ELOOP' });
      const target = await readlink(next);
      if (path.isAbsolute(target)) current = '/';
      pending.unshift(...target.split('/'));
      continue;
    }
    current = next;
    folders.push(current);
  }
  return folders;
}

/** Refuses when the folders on the way to `file` could be changed by anyone but root. */
export async function checkConfigFolders(file: string): Promise<void> {
  // Not path.resolve: it drops "x/.." by its letters, where the kernel goes to the parent of where the link x leads.
  const holder = path.dirname(path.isAbsolute(file) ? file : `${process.cwd()}/${file}`);
  const holderProblem = folderProblem(await lstat(holder), true);
  if (holderProblem) throw untrusted(`the folder ${holder} that holds it`, holderProblem, `chown root:root ${holder}; chmod go-w ${holder}`);
  const folders = await foldersOnTheWay(holder);
  for (const [i, folder] of folders.entries()) {
    const problem = folderProblem(await lstat(folder), i === folders.length - 1);
    if (problem) throw untrusted(`the folder ${folder} above it`, problem, `chown root:root ${folder}; chmod go-w ${folder}, or keep the configuration elsewhere`);
  }
}

/**
 * Opens the configuration without following a link and without waiting (a
 * FIFO would block every command), and returns the handle once the file and
 * its folders are root's alone. ENOENT is left to the caller.
 */
export async function openTrustedConfig(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw untrusted(`the file ${file}`, 'is a symbolic link', `replace the link ${file} with a regular file owned by root that only root can write (chown root:root; chmod 644)`);
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    const problem = configFileProblem(info);
    const fix = info.isFile() ? `chown root:root ${file}; chmod go-w ${file}` : `replace ${file} with a regular file owned by root that only root can write (chown root:root; chmod 644)`;
    if (problem) throw untrusted(`the file ${file}`, problem, fix);
    if (info.size > MAX_CONFIG_BYTES) throw tooLarge(file);
    await checkConfigFolders(file);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads the open configuration, at most MAX_CONFIG_BYTES: the file may grow after it was checked. */
export async function readBounded(handle: FileHandle, file: string): Promise<string> {
  const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > MAX_CONFIG_BYTES) throw tooLarge(file);
  return buffer.subarray(0, length).toString('utf8');
}
