import type { Destination } from '../core/config';
import { BtrfsDestination } from './btrfs-destination';
import type { MountSet } from './mount-set';
import { FilesDestination } from './stream-files/files-destination';

/** A destination the run could reach, of whichever kind its config names. */
export type OpenedDestination = BtrfsDestination | FilesDestination;

export function openDestination(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<OpenedDestination> {
  switch (config.kind) {
    case 'btrfs':
      return BtrfsDestination.open(config, host, mounts);
    case 'files':
      return FilesDestination.open(config, host, mounts, stateDir);
  }
}
