import { statfs } from 'node:fs/promises';
import type { Destination } from '../core/config';
import type { DestinationSummary, RunRecord } from '../core/status';
import { readMountTable } from './mountinfo';
import { deviceOfFilesystem } from './mounts';
import { runCommand } from './run-command';

/**
 * What the status says about each destination beyond its configuration, for
 * the app and the monitor (docs/monitor.md): whether its disk is attached,
 * how much space it has, and when a backup last reached it. Reading it must
 * stay cheap, since GetStatus is asked often: nothing is mounted and no
 * server is connected to.
 */
type Presence = Pick<DestinationSummary, 'connected' | 'lastBackup' | 'freeBytes' | 'totalBytes'>;

/** When the last run that wrote a backup to `id` finished, from the history (oldest first). */
export function lastBackupTo(runs: readonly RunRecord[], id: string): string | undefined {
  return runs.findLast((r) => r.transfers.some((t) => t.destination === id && t.ok))?.finished;
}

/**
 * Free space of an attached btrfs disk: where it is mounted (the helper's own
 * mount during a run, the desktop's automount), what the filesystem says;
 * otherwise the superblock's size less the bytes it uses, which leaves out
 * metadata overhead and so overstates the space a little.
 */
async function space(device: string): Promise<{ freeBytes: number; totalBytes: number } | undefined> {
  const mount = (await readMountTable().catch(() => [])).find((m) => m.source === device);
  if (mount) {
    const fs = await statfs(mount.target).catch(() => undefined);
    if (fs) return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  }
  const superblock = await runCommand('btrfs', ['inspect-internal', 'dump-super', device]).catch(() => '');
  const total = /^total_bytes\s+(\d+)$/m.exec(superblock)?.[1];
  const used = /^bytes_used\s+(\d+)$/m.exec(superblock)?.[1];
  if (total === undefined || used === undefined) return undefined;
  return { freeBytes: Math.max(0, Number(total) - Number(used)), totalBytes: Number(total) };
}

export async function destinationPresence(destination: Destination, runs: readonly RunRecord[]): Promise<Presence> {
  const presence: Presence = {};
  const lastBackup = lastBackupTo(runs, destination.id);
  if (lastBackup) presence.lastBackup = lastBackup;
  // Servers and already-mounted folders are only seen by using them.
  if (destination.kind === 'ssh' || (destination.kind === 'files' && !destination.filesystem)) return presence;
  const device = await deviceOfFilesystem(destination.filesystem!).catch(() => undefined);
  presence.connected = device !== undefined;
  if (device && destination.kind === 'btrfs') Object.assign(presence, await space(device));
  return presence;
}
