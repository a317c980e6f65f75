import { runCommand } from './run-command';
import { readMountTable } from './mountinfo';
import { mountTopLevel, type TopLevelMount } from './mounts';

/** Top-level mounts made during one run, one per filesystem, released at the end. */
export class MountSet {
  private readonly mounts = new Map<string, Promise<TopLevelMount>>();
  constructor(private readonly runtimeDir: string) {}

  get(device: string, fsUuid: string): Promise<TopLevelMount> {
    let mount = this.mounts.get(fsUuid);
    if (!mount) {
      mount = mountTopLevel(device, this.runtimeDir, fsUuid);
      this.mounts.set(fsUuid, mount);
      // A failed mount is not remembered, so the next call tries again.
      mount.catch(() => this.mounts.delete(fsUuid));
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
