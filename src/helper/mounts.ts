import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Subvolume } from '../core/subvolume';
import { listSubvolumes } from './btrfs';
import { CommandError, runCommand } from './run-command';

/**
 * Rewind works on each filesystem's top level (subvolid=5), mounted by the
 * helper under its runtime directory (mode 0700), so snapshots never appear
 * in the user's home and the user's own mounts are left alone.
 */

/** The block device of a filesystem UUID, or undefined when no such disk is attached. */
export async function deviceOfFilesystem(uuid: string): Promise<string | undefined> {
  let device: string;
  try {
    device = (await runCommand('blkid', ['-U', uuid])).trim();
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 2) return undefined;
    throw error;
  }
  // blkid -U can name a device that no longer holds the filesystem (a loop
  // device detached, a disk unplugged): ask the device itself.
  const probed = await runCommand('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]).catch(() => '');
  return device && probed.trim() === uuid ? device : undefined;
}

export interface TopLevelMount {
  mountPoint: string;
  /**
   * Every subvolume of the filesystem, listed once and remembered until
   * `changed()`: a run lists each filesystem only when it changed it.
   */
  subvolumes(): Promise<Subvolume[]>;
  /** Forgets the listing, after the run created or deleted a subvolume here. */
  changed(): void;
  release(): Promise<void>;
}

/** Mounts the top level of the btrfs filesystem on `device` under `runtimeDir`. */
export async function mountTopLevel(device: string, runtimeDir: string, name: string): Promise<TopLevelMount> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const mountPoint = path.join(runtimeDir, name);
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await runCommand('mount', ['-t', 'btrfs', '-o', 'subvolid=5,noatime', device, mountPoint]);
  let listing: Promise<Subvolume[]> | undefined;
  return {
    mountPoint,
    subvolumes() {
      listing ??= listSubvolumes(mountPoint);
      // A failed listing is not remembered, so the next call tries again.
      listing.catch(() => (listing = undefined));
      return listing;
    },
    changed() {
      listing = undefined;
    },
    async release() {
      await runCommand('umount', [mountPoint]);
      await rmdir(mountPoint).catch(() => undefined);
    },
  };
}
