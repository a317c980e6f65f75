import type { Destination } from '../../core/config';
import { chooseServerStore, serverCapabilities } from '../../core/server-capabilities';
import type { BackupDestination } from './backup-destination';
import { BtrfsDestination } from './btrfs-destination';
import type { MountSet } from '../system/mount-set';
import { damagedAt } from '../../core/damaged-backups';
import { DamagedBackups } from '../drill/damaged-backups';

/**
 * The one place that looks at a destination's kind: it opens the
 * implementation its config names (a disk is mounted, a server is connected
 * to), and everything after speaks BackupDestination (./backup-destination).
 *
 * The SSH and stream-file modules (with execa and their schemas) are loaded
 * only when a destination of theirs is opened, which a run to a btrfs disk
 * never does (docs/benchmarks.md).
 */
export async function openDestination(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<BackupDestination> {
  const [destination, marks] = await Promise.all([openKind(config, host, mounts, stateDir), new DamagedBackups(stateDir).read()]);
  destination.knowDamaged(damagedAt(marks, config.id));
  return destination;
}

async function openKind(config: Destination, host: string, mounts: MountSet, stateDir: string): Promise<BackupDestination> {
  switch (config.kind) {
    case 'btrfs':
      return BtrfsDestination.open(config, host, mounts);
    case 'ssh': {
      const { sshPaths } = await import('./ssh/identity');
      if (config.store === 'files') return (await import('./stream-files/files-destination')).FilesDestination.openOverSsh(config, sshPaths(stateDir), stateDir);
      if (config.store === 'btrfs') return (await import('./ssh-destination')).SshDestination.open(config, sshPaths(stateDir));
      // No store named: the server's hello decides (received backups where it can btrfs receive, stream files elsewhere).
      const { SshConnection } = await import('./ssh/connection');
      const connection = await SshConnection.open({ host: config.host, port: config.port, user: config.user }, sshPaths(stateDir));
      if (chooseServerStore(config.store, serverCapabilities(connection.hello)) === 'btrfs') {
        return (await import('./ssh-destination')).SshDestination.onConnection(config, connection);
      }
      return (await import('./stream-files/files-destination')).FilesDestination.overConnection(config, connection, stateDir);
    }
    case 'files':
      return (await import('./stream-files/files-destination')).FilesDestination.open(config, host, mounts, stateDir);
  }
}

/**
 * Whether the helper reads this destination's points where they are (a disk
 * it mounts); the others' are fetched into a scratch folder first.
 */
export function pointsReadInPlace(config: Destination): boolean {
  return config.kind === 'btrfs';
}

/** Ends what opening started that the mount set does not release (connections). */
export async function closeDestinations(destinations: Iterable<BackupDestination | undefined | Error>): Promise<void> {
  await Promise.all([...destinations].map((d) => (d && !(d instanceof Error) ? d.close().catch(() => undefined) : undefined)));
}

