import { statfs } from 'node:fs/promises';
import type { Destination } from '../core/config';
import type { DestinationSummary, RunRecord } from '../core/status';
import { readMountTable } from './mountinfo';
import { findBtrfsDevice } from './btrfs-superblock';
import { deviceOfFilesystem } from './mounts';

/**
 * What the status says about each destination beyond its configuration, for
 * the app and the monitor (docs/monitor.md): whether its disk is attached,
 * how much space it has, and when a backup last reached it. Reading it must
 * stay cheap, since GetStatus is asked often: nothing is mounted and no
 * server is connected to.
 */
type Presence = Pick<DestinationSummary, 'connected' | 'lastBackup' | 'freeBytes' | 'sizeBytes'>;

/** When the last run that wrote a backup to `id` finished, from the history (oldest first). */
export function lastBackupTo(runs: readonly RunRecord[], id: string): string | undefined {
  return runs.findLast((r) => r.transfers.some((t) => t.destination === id && t.ok))?.finished;
}

/**
 * Free space of an attached disk where it is mounted (the desktop's automount,
 * the helper's own mount during a run); unknown when it is not mounted, since
 * mounting it for a status would cost too much. The same rule as the main
 * page's free space (branch app-status: src/helper/destination-space.ts),
 * which should replace this once both are merged.
 */
async function space(device: string): Promise<Pick<DestinationSummary, 'freeBytes' | 'sizeBytes'>> {
  const mount = (await readMountTable().catch(() => [])).find((m) => m.source === device);
  const fs = mount && (await statfs(mount.target).catch(() => undefined));
  return fs ? { freeBytes: fs.bavail * fs.bsize, sizeBytes: fs.blocks * fs.bsize } : {};
}

export async function destinationPresence(destination: Destination, runs: readonly RunRecord[]): Promise<Presence> {
  const presence: Presence = {};
  const lastBackup = lastBackupTo(runs, destination.id);
  if (lastBackup) presence.lastBackup = lastBackup;
  // Servers and already-mounted folders are only seen by using them.
  if (destination.kind === 'ssh' || (destination.kind === 'files' && !destination.filesystem)) return presence;
  const device = await (destination.kind === 'btrfs' ? findBtrfsDevice(destination.filesystem) : deviceOfFilesystem(destination.filesystem!)).catch(() => undefined);
  presence.connected = device !== undefined;
  if (device) Object.assign(presence, await space(device));
  return presence;
}
