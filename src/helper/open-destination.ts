import type { Destination } from '../core/config';
import { BtrfsDestination } from './btrfs-destination';
import type { MountSet } from './mount-set';
import { SshDestination } from './ssh-destination';
import { sshPaths } from './ssh/identity';
import { FilesDestination } from './stream-files/files-destination';

/**
 * Any destination the engine can use: a btrfs disk or a server (both
 * BackupDestination, received subvolumes), or stream files (their own chains).
 */
export type OpenedDestination = BtrfsDestination | SshDestination | FilesDestination;

/** Opens one destination of whichever kind its config names: a disk is mounted, a server is connected to. */
export async function openDestination(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<OpenedDestination> {
  switch (config.kind) {
    case 'btrfs':
      return BtrfsDestination.open(config, host, mounts);
    case 'ssh':
      return SshDestination.open(config, sshPaths(stateDir));
    case 'files':
      return FilesDestination.open(config, host, mounts, stateDir);
  }
}

/** Ends what opening started that the mount set does not release (SSH connections). */
export async function closeDestinations(destinations: Iterable<unknown>): Promise<void> {
  await Promise.all([...destinations].map((d) => (d instanceof SshDestination ? d.close().catch(() => undefined) : undefined)));
}
