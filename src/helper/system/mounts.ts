import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Subvolume } from '../../core/subvolume';
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
  /** Adds a subvolume the run created to the listing, if there is one (instead of `changed()` and listing again). */
  added(subvolume: Subvolume): void;
}

/** Mounts the top level of the btrfs filesystem on `device` under `runtimeDir` (`readOnly`: a disk that is only read, never written). */
export async function mountTopLevel(device: string, runtimeDir: string, name: string, readOnly = false): Promise<TopLevelMount> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const mountPoint = path.join(runtimeDir, name);
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await runCommand('mount', ['-t', 'btrfs', '-o', readOnly ? 'ro,subvolid=5,noatime' : 'subvolid=5,noatime', device, mountPoint]);
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
    added(subvolume) {
      listing = listing?.then((all) => [...all.filter((s) => s.id !== subvolume.id), subvolume]);
    },
  };
}

/** FUSE drivers for filesystems a kernel may lack (Debian packages fusefat, exfat-fuse). */
const FUSE_DRIVERS: Record<string, string[]> = {
  vfat: ['fusefat', '-o', 'rw+,nosuid,nodev,noexec'],
  exfat: ['mount.exfat-fuse', '-o', 'nosuid,nodev,noexec'],
};

/**
 * Mounts a disk of any filesystem (for stream files) under `runtimeDir`,
 * without executables, devices or setuid: only Rewind's files are read there.
 */
export async function mountDisk(device: string, runtimeDir: string, name: string): Promise<{ mountPoint: string }> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const mountPoint = path.join(runtimeDir, name);
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  try {
    await runCommand('mount', ['-o', 'noatime,nosuid,nodev,noexec', device, mountPoint]);
  } catch (error) {
    // A kernel without the filesystem (some ship no vfat or exFAT): its FUSE driver, when installed.
    if (!(error instanceof CommandError && /unknown filesystem type/.test(error.stderr))) throw error;
    const type = await runCommand('blkid', ['-p', '-s', 'TYPE', '-o', 'value', device]).catch(() => '');
    const fuse = FUSE_DRIVERS[type.trim()];
    if (!fuse) throw error;
    await runCommand(fuse[0], [...fuse.slice(1), device, mountPoint]).catch((fuseError: unknown) => {
      throw new CommandError(`mount ${device}`, undefined, `the kernel cannot mount ${type.trim()} and its FUSE driver failed: ${(fuseError as Error).message}`, {
        cause: fuseError,
      });
    });
  }
  return { mountPoint };
}

/**
 * Unmounts the mounts made under the runtime directory and removes their
 * folders; one `umount` for all of them (every process Node starts blocks
 * its event loop while it forks). Best effort: what stays mounted is
 * unmounted by the next run (releaseStaleMounts).
 */
export async function unmountAll(mountPoints: readonly string[]): Promise<void> {
  if (mountPoints.length === 0) return;
  await runCommand('umount', [...mountPoints]).catch(() => undefined);
  await Promise.all(mountPoints.map((m) => rmdir(m).catch(() => undefined)));
}
