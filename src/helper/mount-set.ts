import { runCommand } from './run-command';
import { readMountTable } from './mountinfo';
import { mountDisk, mountTopLevel, type TopLevelMount } from './mounts';

/** Top-level mounts made during one run, one per filesystem, released at the end. */
export class MountSet {
  private readonly mounts = new Map<string, Promise<{ release(): Promise<void> }>>();
  constructor(private readonly runtimeDir: string) {}

  /** The top level of a btrfs filesystem. */
  get(device: string, fsUuid: string): Promise<TopLevelMount> {
    return this.once(fsUuid, () => mountTopLevel(device, this.runtimeDir, fsUuid));
  }

  /** A disk of any filesystem, for stream files. */
  disk(device: string, fsUuid: string): Promise<{ mountPoint: string }> {
    return this.once(`disk-${fsUuid}`, () => mountDisk(device, this.runtimeDir, `disk-${fsUuid}`));
  }

  private once<T extends { release(): Promise<void> }>(key: string, make: () => Promise<T>): Promise<T> {
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
    await Promise.all([...this.mounts.values()].map((mount) => mount.then((m) => m.release()).catch(() => undefined)));
    this.mounts.clear();
  }
}

/**
 * Unmounts what a helper that died left mounted under the runtime directory.
 * Called while holding the run lock, so no live run owns these mounts.
 */
export async function releaseStaleMounts(runtimeDir: string): Promise<string[]> {
  const prefix = `${runtimeDir.replace(/\/+$/, '')}/`;
  const stale = (await readMountTable())
    .map((m) => m.target)
    .filter((t) => t.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const target of stale) {
    await runCommand('umount', [target]).catch(() => runCommand('umount', ['-l', target]));
  }
  return stale;
}
