import { readdir, realpath, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Destination } from '../../core/config';
import type { MountEntry } from '../system/mountinfo';
import { within } from '../system/within';

/**
 * Free space of a destination for GetStatus, which apps call often: only
 * what costs no process and no mount. A disk counts when it is mounted
 * anywhere (GNOME mounts a connected disk; the helper mounts it during a
 * run): statfs on that mount. A folder destination: statfs on the folder. A
 * backup server: unknown here (reaching it costs a connection; its `space`
 * answer is used during runs).
 */
const STATFS_LIMIT_MS = 1000;

export interface Space {
  freeBytes: number;
  sizeBytes: number;
}

async function space(dir: string): Promise<Space | undefined> {
  // A hung network share must not hold the status up.
  const stats = await within(statfs(dir), STATFS_LIMIT_MS).catch(() => undefined);
  return stats && { freeBytes: stats.bavail * stats.bsize, sizeBytes: stats.blocks * stats.bsize };
}

/** Kernel names of the devices that hold a filesystem UUID: sysfs for btrfs, udev's by-uuid link for others. */
async function devicesOf(uuid: string, kind: 'btrfs' | 'files'): Promise<string[]> {
  if (kind === 'btrfs') return readdir(`/sys/fs/btrfs/${uuid}/devices`).catch(() => []);
  const device = await realpath(`/dev/disk/by-uuid/${uuid}`).catch(() => undefined);
  return device ? [path.basename(device)] : [];
}

export async function destinationSpace(destination: Destination, table: MountEntry[]): Promise<Space | undefined> {
  if (destination.kind === 'ssh') return undefined;
  if (destination.kind === 'files' && destination.filesystem === undefined) return space(destination.path);
  if (!/^[0-9A-Fa-f-]+$/.test(destination.filesystem ?? '')) return undefined;
  const devices = await devicesOf(destination.filesystem as string, destination.kind);
  if (devices.length === 0) return undefined;
  for (const mount of table) {
    if (!mount.source.startsWith('/dev/')) continue;
    const name = path.basename(await realpath(mount.source).catch(() => mount.source));
    if (devices.includes(name)) return space(mount.target);
  }
  return undefined;
}
