import type { Destination } from '../../core/config';
import type { DestinationSummary, RunRecord } from '../../core/status';
import { destinationSpace } from './destination-space';
import type { MountEntry } from '../system/mountinfo';
import { findBtrfsDevice } from '../system/btrfs-superblock';
import { deviceOfFilesystem } from '../system/mounts';
import { folderNotConnected } from './stream-files/mounted-folder';

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

export async function destinationPresence(destination: Destination, runs: readonly RunRecord[], mounts: MountEntry[]): Promise<Presence> {
  const presence: Presence = { ...(await destinationSpace(destination, mounts)) };
  const lastBackup = lastBackupTo(runs, destination.id);
  if (lastBackup) presence.lastBackup = lastBackup;
  // Servers are only seen by using them: their space is what the last run there learnt.
  if (destination.kind === 'ssh') return { ...presence, ...runs.findLast((r) => r.transfers.some((t) => t.destination === destination.id && t.serverSpace))?.transfers.findLast((t) => t.destination === destination.id && t.serverSpace)?.serverSpace };
  if (destination.kind === 'files' && !destination.filesystem) {
    // Connected as a run finds it (./stream-files/mounted-folder): the space of a share's empty mount point is the system disk's.
    presence.connected = (await folderNotConnected(destination)) === undefined;
    if (!presence.connected) {
      delete presence.freeBytes;
      delete presence.sizeBytes;
    }
    return presence;
  }
  const device = await (destination.kind === 'btrfs' ? findBtrfsDevice(destination.filesystem) : deviceOfFilesystem(destination.filesystem!)).catch(() => undefined);
  presence.connected = device !== undefined;
  return presence;
}
