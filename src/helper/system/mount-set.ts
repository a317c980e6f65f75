import path from 'node:path';
import { runCommand } from './run-command';
import { readMountTable } from './mountinfo';
import { isAlive } from './process-alive';
import { randomHex } from './random-id';
import { mountDisk, mountTopLevel, unmountAll, type TopLevelMount } from './mounts';

/** Top-level mounts made during one run, one per filesystem, released at the end. */
export class MountSet {
  private readonly mounts = new Map<string, Promise<{ mountPoint: string }>>();
  constructor(private readonly runtimeDir: string) {}

  /**
   * Mounts for one reader (a listing, a restore, a browser window) that runs
   * beside a backup: in a folder of their own, named after the process, so a
   * run knows them from mounts a dead helper left behind.
   */
  static forReader(runtimeDir: string, kind: string): MountSet {
    return new MountSet(path.join(runtimeDir, `${kind}-${process.pid}-${randomHex(3)}`));
  }

  /** The top level of a btrfs filesystem. */
  get(device: string, fsUuid: string): Promise<TopLevelMount> {
    return this.once(fsUuid, () => mountTopLevel(device, this.runtimeDir, fsUuid));
  }

  /** The top level of a btrfs filesystem that is only read (an old system disk), mounted read-only. */
  getReadOnly(device: string, fsUuid: string): Promise<TopLevelMount> {
    return this.once(`ro-${fsUuid}`, () => mountTopLevel(device, this.runtimeDir, `ro-${fsUuid}`, true));
  }

  /** A disk of any filesystem, for stream files. */
  disk(device: string, fsUuid: string): Promise<{ mountPoint: string }> {
    return this.once(`disk-${fsUuid}`, () => mountDisk(device, this.runtimeDir, `disk-${fsUuid}`));
  }

  private once<T extends { mountPoint: string }>(key: string, make: () => Promise<T>): Promise<T> {
    let mount = this.mounts.get(key) as Promise<T> | undefined;
    if (!mount) {
      mount = make();
      this.mounts.set(key, mount);
      // A failed mount is not remembered, so the next call tries again.
      mount.catch(() => this.mounts.delete(key));
    }
    return mount;
  }

  async releaseAll(): Promise<void> {
    const made = await Promise.allSettled(this.mounts.values());
    this.mounts.clear();
    await unmountAll(made.flatMap((m) => (m.status === 'fulfilled' ? [m.value.mountPoint] : [])));
  }
}

/** The process that owns a reader's folder (`<kind>-<pid>-<hex>`), if the name is one. */
function readerPid(folder: string): number | undefined {
  const m = /^[a-z]+(?:-[a-z]+)*-(\d+)-[0-9a-f]+$/.exec(folder);
  return m ? Number(m[1]) : undefined;
}

/**
 * Unmounts what a helper that died left mounted under the runtime directory.
 * Called while holding the run lock, so no live run owns the run's own
 * mounts; a live reader's (a restore browser open in the same daemon, a
 * `list` beside the run) stay.
 */
export async function releaseStaleMounts(runtimeDir: string): Promise<string[]> {
  const prefix = `${runtimeDir.replace(/\/+$/, '')}/`;
  const stale = (await readMountTable())
    .map((m) => m.target)
    .filter((t) => t.startsWith(prefix))
    .filter((t) => {
      const pid = readerPid(t.slice(prefix.length).split('/')[0]);
      return pid === undefined || !isAlive(pid);
    })
    .sort((a, b) => b.length - a.length);
  const released: string[] = [];
  for (const target of stale) {
    try {
      await runCommand('umount', [target]).catch(() => runCommand('umount', ['-l', target]));
      released.push(target);
    } catch (error) {
      // Gone between reading the table and unmounting it (its owner put it away): nothing to do.
      if (!(await readMountTable()).some((m) => m.target === target)) continue;
      throw error;
    }
  }
  return released;
}
