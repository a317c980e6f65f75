import type { Destination } from '../core/config';
import { BtrfsDestination } from './btrfs-destination';
import type { MountSet } from './mount-set';
import { SshDestination } from './ssh-destination';
import { sshPaths } from './ssh/identity';

/** Any destination the engine can use; both kinds implement BackupDestination. */
export type OpenedDestination = BtrfsDestination | SshDestination;

/** Opens one destination of either kind: a btrfs disk is mounted, a server is connected to. */
export async function openDestination(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<OpenedDestination> {
  if (config.kind === 'ssh') return SshDestination.open(config, sshPaths(stateDir));
  return BtrfsDestination.open(config, host, mounts);
}

/** Ends what opening started that the mount set does not release (SSH connections). */
export async function closeDestinations(destinations: Iterable<unknown>): Promise<void> {
  await Promise.all([...destinations].map((d) => (d instanceof SshDestination ? d.close().catch(() => undefined) : undefined)));
}
