import { lstat, mkdir, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { checkSubvolumeDir, type BackupInfo } from '../../core/serve-protocol';
import type { Subvolume } from '../../core/subvolume';
import { deleteSubvolumes, filesystemUsage, listSubvolumes, syncFilesystem } from '../system/btrfs';
import { acquireFileLock } from '../system/file-lock';
import { runCommand } from '../system/run-command';

/**
 * The one host folder a serve process may act in: ROOT/HOST/. Every backup
 * folder below it is ROOT/HOST/<subvolume>/, every backup a subvolume directly
 * in it. Nothing here follows a symbolic link: each folder is checked with
 * lstat, and a backup must be a real subvolume root (a directory whose inode
 * is 256) on the same filesystem as ROOT.
 */

const BTRFS_SUPER_MAGIC = 0x9123683e;
/** The inode number of every btrfs subvolume's root directory. */
const SUBVOLUME_ROOT_INO = 256;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

export interface BackupRef {
  name: string;
  path: string;
  dev: number;
}

export class HostStore {
  private constructor(
    readonly root: string,
    readonly host: string,
    private readonly lockFile: string,
    /** Whether ROOT is on btrfs; without it only stream files are kept (./stored-files). */
    readonly btrfs: boolean,
  ) {}

  /**
   * Opens ROOT, a directory on btrfs (received backups and stream files) or
   * on any other filesystem (stream files only); HOST was validated by the
   * caller. Locks live in `lockDir` (on tmpfs, /run/rewind/serve), not on the
   * backup disk: a full disk must not stop the deletes that free it.
   */
  static async open(root: string, host: string, lockDir: string): Promise<HostStore> {
    if (!path.isAbsolute(root)) throw new RewindError('InvalidArgs', `The backup folder ${root} must be an absolute path.`);
    const info = await lstat(root).catch(() => undefined);
    // Its own code, so a client can tell "make the folder" from a refusal.
    if (!info?.isDirectory()) throw new RewindError('DestinationMissing', `The backup folder ${root} does not exist on the server, or is not a folder.`);
    const fs = await statfs(root);
    // One lock per ROOT and host, whatever path names ROOT.
    return new HostStore(root, host, path.join(lockDir, `${info.dev}-${info.ino}-${host}.lock`), fs.type === BTRFS_SUPER_MAGIC);
  }

  /** Refuses what only btrfs can do (receive, list and read subvolumes) on another filesystem. */
  needBtrfs(): void {
    if (!this.btrfs) {
      throw new RewindError(
        'InvalidArgs',
        `The server's backup folder ${this.root} is not on btrfs, so it keeps stream files only; remove "store": "btrfs" from this destination, and Rewind uses them.`,
      );
    }
  }

  get hostDir(): string {
    return path.join(this.root, this.host);
  }

  /** A folder that must be a real directory (not a link); created (0700) when `create`, else undefined when missing. */
  private async realDir(dir: string, create: boolean, what: string): Promise<string | undefined> {
    let info = await lstat(dir).catch((error: unknown) => {
      if (errno(error) === 'ENOENT') return undefined;
      throw error;
    });
    if (!info && create) {
      await mkdir(dir, { mode: 0o700 }).catch((error: unknown) => {
        if (errno(error) !== 'EEXIST') throw error;
      });
      info = await lstat(dir);
    }
    if (!info) return undefined;
    if (info.isSymbolicLink()) throw new RewindError('InvalidArgs', `${what} is a symbolic link on the server; refused.`);
    if (!info.isDirectory()) throw new RewindError('InvalidArgs', `${what} is not a folder on the server; refused.`);
    return dir;
  }

  /** ROOT/HOST/<subvolume>, checked; undefined when it does not exist and `create` is false. */
  async folder(subvolume: string, create = false): Promise<string | undefined> {
    const hostDir = await this.realDir(this.hostDir, create, `The folder of ${this.host}`);
    if (!hostDir) return undefined;
    return this.realDir(path.join(hostDir, subvolume), create, `The backup folder ${subvolume}`);
  }

  /** The backup folders in ROOT/HOST/: real directories with valid names (links and files are left out). */
  async folders(): Promise<string[]> {
    const hostDir = await this.realDir(this.hostDir, false, `The folder of ${this.host}`);
    if (!hostDir) return [];
    const names: string[] = [];
    for (const name of (await readdir(hostDir)).sort()) {
      if (checkSubvolumeDir(name) !== undefined) continue;
      const info = await lstat(path.join(hostDir, name)).catch(() => undefined);
      if (info?.isDirectory()) names.push(name);
    }
    return names;
  }

  /** The backup `name` in `subvolume`'s folder: a real subvolume root, or a refusal. */
  async backup(subvolume: string, name: string): Promise<BackupRef> {
    const dir = await this.folder(subvolume);
    const missing = () => new RewindError('InvalidArgs', `There is no backup ${name} of ${subvolume}.`);
    if (!dir) throw missing();
    const target = path.join(dir, name);
    const info = await lstat(target).catch(() => undefined);
    if (!info) throw missing();
    if (info.isSymbolicLink()) throw new RewindError('InvalidArgs', `${subvolume}/${name} is a symbolic link, not a backup; refused.`);
    if (!info.isDirectory() || info.ino !== SUBVOLUME_ROOT_INO) {
      throw new RewindError('InvalidArgs', `${subvolume}/${name} is not a backup (not a subvolume); refused.`);
    }
    return { name, path: target, dev: info.dev };
  }

  /** Names of the subvolumes directly in a folder (links and plain files are not backups). */
  private async subvolumeNames(dir: string): Promise<string[]> {
    const names: string[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const info = await lstat(path.join(dir, name)).catch(() => undefined);
      if (info?.isDirectory() && info.ino === SUBVOLUME_ROOT_INO) names.push(name);
    }
    return names;
  }

  /** Every subvolume directly in `subvolume`'s folder, as btrfs sees it, oldest first. */
  async backups(subvolume: string): Promise<Array<BackupInfo & { id: number }>> {
    const dir = await this.folder(subvolume);
    if (!dir) return [];
    const result: Array<BackupInfo & { id: number }> = [];
    for (const name of await this.subvolumeNames(dir)) {
      const shown = await showBackup(path.join(dir, name)).catch(() => undefined);
      if (shown) result.push({ name, ...shown });
    }
    return result.sort((a, b) => a.createdGeneration - b.createdGeneration);
  }

  /** Every subvolume of the filesystem, for checks that look beyond this host. */
  async allSubvolumes(): Promise<Subvolume[]> {
    return listSubvolumes(this.root);
  }

  async deleteBackups(subvolume: string, names: readonly string[]): Promise<void> {
    const paths: string[] = [];
    for (const name of names) paths.push((await this.backup(subvolume, name)).path);
    await deleteSubvolumes(paths);
  }

  /** Deletes what interrupted receives left (writable, or no received UUID); returns their names. */
  async clean(subvolume: string): Promise<string[]> {
    const incomplete = (await this.backups(subvolume)).filter((b) => !b.complete).map((b) => b.name);
    await this.deleteBackups(subvolume, incomplete);
    return incomplete;
  }

  /** btrfs's own tools for space and sync need root; an ordinary account (stream files only) uses the generic ones. */
  private get btrfsTools(): boolean {
    return this.btrfs && process.geteuid?.() === 0;
  }

  async space(): Promise<{ freeBytes: number; totalBytes: number }> {
    if (!this.btrfsTools) {
      const fs = await statfs(this.root);
      return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
    }
    const { freeBytes, totalBytes } = await filesystemUsage(this.root);
    if (freeBytes === undefined || totalBytes === undefined) throw new RewindError('Internal', 'btrfs filesystem usage printed no free space.');
    return { freeBytes, totalBytes };
  }

  async sync(): Promise<void> {
    if (!this.btrfsTools) await runCommand('sync', ['-f', this.root]);
    else await syncFilesystem(this.root);
  }

  /**
   * One changing request at a time per host (receive, delete, clean): a
   * flock the kernel releases when its process ends, however it ends
   * (../system/file-lock, as the run lock).
   */
  async lock(): Promise<() => Promise<void>> {
    const dir = path.dirname(this.lockFile);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await lstat(dir)).isDirectory()) throw new RewindError('Internal', `${dir} is not a folder.`);
    return acquireFileLock(this.lockFile, 0o600, (holder) =>
      new RewindError('Busy', `Another connection of ${this.host} is changing its backups${holder === undefined ? '' : ` (process ${holder})`}.`),
    );
  }
}

/** One subvolume's details from `btrfs subvolume show`. */
export async function showBackup(target: string): Promise<Omit<BackupInfo, 'name'> & { id: number }> {
  const out = await runCommand('btrfs', ['subvolume', 'show', target]);
  const field = (label: string) => {
    const line = out.split('\n').find((l) => l.trimStart().startsWith(`${label}:`));
    const value = line?.slice(line.indexOf(':') + 1).trim();
    return value === '-' || value === '' ? undefined : value;
  };
  const uuid = field('UUID');
  const id = Number(field('Subvolume ID'));
  const createdGeneration = Number(field('Gen at creation'));
  if (!uuid || !Number.isInteger(id) || !Number.isInteger(createdGeneration)) {
    throw new Error(`unexpected output from btrfs subvolume show ${target}`);
  }
  const readOnly = (field('Flags') ?? '').split(/[ ,]+/).includes('readonly');
  const receivedUuid = field('Received UUID');
  return {
    id,
    uuid,
    receivedUuid,
    parentUuid: field('Parent UUID'),
    readOnly,
    createdGeneration,
    complete: readOnly && receivedUuid !== undefined,
  };
}
