import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../core/errors';
import { CommandError, runCommand } from './run-command';

/**
 * Rewind works on each filesystem's top level (subvolid=5), mounted by the
 * helper under its runtime directory (mode 0700), so snapshots never appear
 * in the user's home and the user's own mounts are left alone.
 */

interface MountInfo {
  target: string;
  source: string;
  fstype: string;
}

async function findMount(args: string[]): Promise<MountInfo[]> {
  try {
    const out = await runCommand('findmnt', ['-J', '-v', '-o', 'TARGET,SOURCE,FSTYPE', ...args]);
    return (JSON.parse(out) as { filesystems: MountInfo[] }).filesystems;
  } catch (error) {
    // findmnt exits 1 when nothing matches.
    if (error instanceof CommandError && error.exitCode === 1) return [];
    throw error;
  }
}

/** The mount that holds `dir`: its device and filesystem type. */
export async function mountOf(dir: string): Promise<MountInfo> {
  const [mount] = await findMount(['-T', dir]);
  if (!mount) throw new RewindError('SourceMissing', `Could not find the disk that holds ${dir}.`);
  return mount;
}

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
  release(): Promise<void>;
}

/** Mounts the top level of the btrfs filesystem on `device` under `runtimeDir`. */
export async function mountTopLevel(device: string, runtimeDir: string, name: string): Promise<TopLevelMount> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const mountPoint = path.join(runtimeDir, name);
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await runCommand('mount', ['-t', 'btrfs', '-o', 'subvolid=5,noatime', device, mountPoint]);
  return {
    mountPoint,
    async release() {
      await runCommand('umount', [mountPoint]);
      await rmdir(mountPoint).catch(() => undefined);
    },
  };
}
