import type { Destination } from '../core/config';
import { RewindError } from '../core/errors';
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
      if (config.store === 'files') return FilesDestination.openOverSsh(config, sshPaths(stateDir), stateDir);
      return SshDestination.open(config, sshPaths(stateDir));
    case 'files':
      return FilesDestination.open(config, host, mounts, stateDir);
  }
}

/** Ends what opening started that the mount set does not release (SSH connections). */
export async function closeDestinations(destinations: Iterable<unknown>): Promise<void> {
  await Promise.all(
    [...destinations].map((d) => (d instanceof SshDestination || d instanceof FilesDestination ? d.close().catch(() => undefined) : undefined)),
  );
}

/**
 * Opens a destination that keeps stream files ("files", or "ssh" with
 * "store": "files") for a restore; close it when done.
 */
export async function openStreamFiles(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<FilesDestination> {
  const opened = await openDestination(config, host, mounts, stateDir);
  if (opened instanceof FilesDestination) return opened;
  await closeDestinations([opened]);
  throw new RewindError('Internal', `The destination ${config.id} does not keep stream files.`);
}
