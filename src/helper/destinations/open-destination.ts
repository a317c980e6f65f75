import type { Destination } from '../../core/config';
import { RewindError } from '../../core/errors';
import { BtrfsDestination } from './btrfs-destination';
import type { MountSet } from '../system/mount-set';
import type { SshDestination } from './ssh-destination';
import type { FilesDestination } from './stream-files/files-destination';

/**
 * Any destination the engine can use: a btrfs disk or a server (both
 * BackupDestination, received subvolumes), or stream files (their own chains).
 */
export type OpenedDestination = BtrfsDestination | SshDestination | FilesDestination;

const kindOf = (d: unknown) => (typeof d === 'object' && d !== null && 'kind' in d ? d.kind : undefined);

/*
 * By kind rather than instanceof: the SSH and stream-file modules (with
 * execa and their schemas) are loaded only when a destination of theirs is
 * opened, which a run to a btrfs disk never does (docs/benchmarks.md).
 */
export const isBtrfsDestination = (d: unknown): d is BtrfsDestination => d instanceof BtrfsDestination;
export const isSshDestination = (d: unknown): d is SshDestination => kindOf(d) === 'ssh';
export const isFilesDestination = (d: unknown): d is FilesDestination => kindOf(d) === 'files';

/** Opens one destination of whichever kind its config names: a disk is mounted, a server is connected to. */
export async function openDestination(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<OpenedDestination> {
  switch (config.kind) {
    case 'btrfs':
      return BtrfsDestination.open(config, host, mounts);
    case 'ssh': {
      const { sshPaths } = await import('./ssh/identity');
      if (config.store === 'files') return (await import('./stream-files/files-destination')).FilesDestination.openOverSsh(config, sshPaths(stateDir), stateDir);
      return (await import('./ssh-destination')).SshDestination.open(config, sshPaths(stateDir));
    }
    case 'files':
      return (await import('./stream-files/files-destination')).FilesDestination.open(config, host, mounts, stateDir);
  }
}

/** Ends what opening started that the mount set does not release (SSH connections). */
export async function closeDestinations(destinations: Iterable<unknown>): Promise<void> {
  await Promise.all(
    [...destinations].map((d) => (isSshDestination(d) || isFilesDestination(d) ? d.close().catch(() => undefined) : undefined)),
  );
}

/**
 * Opens a destination that keeps stream files ("files", or "ssh" with
 * "store": "files") for a restore; close it when done.
 */
export async function openStreamFiles(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<FilesDestination> {
  const opened = await openDestination(config, host, mounts, stateDir);
  if (isFilesDestination(opened)) return opened;
  await closeDestinations([opened]);
  throw new RewindError('Internal', `The destination ${config.id} does not keep stream files.`);
}
