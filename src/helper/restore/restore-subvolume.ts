import { mkdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ADVICE, RewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import { parseSnapshotName, subvolumeDirName } from '../../core/snapshot-name';
import { filesystemUuidOfDevice, showSubvolume } from '../system/btrfs';
import { BtrfsDestination } from '../destinations/btrfs-destination';
import { loadConfig } from '../config/config-file';
import { MountSet } from '../system/mount-set';
import { mountOf, mountedBtrfsUuid } from '../system/mountinfo';
import { runCommand } from '../system/run-command';
import { keepsStreamFiles, type SshDestinationConfig } from '../../core/config';
import { openStreamFiles } from '../destinations/open-destination';
import { SshDestination } from '../destinations/ssh-destination';
import { sshPaths } from '../destinations/ssh/identity';
import { sendArguments } from '../system/btrfs-send';

/**
 * Brings a whole subvolume back from a backup, as a new subvolume beside the
 * current one (which is never touched): the backup is received into
 * <top>/.rewind/<subvolume>/<name> on the target filesystem, a read-only
 * snapshot that keeps the backup's received UUID, and the new subvolume is a
 * writable snapshot of it. Because the restored snapshot is sent under that
 * received UUID and counts as the new subvolume's own (src/core/parent.ts,
 * rule 5), the next backup after switching is incremental against the
 * backups made before the disk died; no `property set ro=false` is needed.
 *
 * Two ways to name the backup:
 * - from the configuration: a destination and a snapshot name (btrfs disk,
 *   stream files, or a server over SSH, which sends the backup);
 * - by path (a live USB system without Rewind's configuration): a received
 *   backup subvolume on a btrfs filesystem the administrator mounted.
 */
export interface SubvolumeRestoreRequest {
  runtimeDir: string;
  stateDir: string;
  /** A folder on the btrfs filesystem to restore onto (its top level is mounted by the helper). */
  into: string;
  /** Folder name of the subvolume's snapshots and backups ("home"); from the config's source otherwise. */
  subvolume?: string;
  configPath?: string;
  destination?: string;
  snapshot?: string;
  /** A source of the config (its path), to name the subvolume; the first one by default. */
  source?: string;
  /** A received backup subvolume, instead of destination + snapshot. */
  backup?: string;
  keyFile?: string;
  now?: Date;
}

export interface SubvolumeRestoreResult {
  /** The read-only restored snapshot, with the backup's received UUID. */
  snapshot: string;
  /** The new writable subvolume, beside the current one. */
  subvolume: string;
  /** Path of the new subvolume below the top level, and of the one it replaces. */
  newPath: string;
  currentPath: string;
  device: string;
  steps: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** `btrfs send BACKUP | btrfs receive INTO`; a failed receive leaves nothing behind. */
async function receiveCopy(backup: string, into: string, what: string): Promise<string> {
  // The stream goes from one process to the other; the helper holds neither end.
  const send = spawn('btrfs', sendArguments({ snapshot: backup }), { stdio: ['ignore', 'pipe', 'pipe'] });
  const receive = spawn('btrfs', ['receive', '-q', into], { stdio: [send.stdout, 'ignore', 'pipe'] });
  send.stdout.destroy();
  const [sent, received] = await Promise.all([finished(send), finished(receive)]);
  const restored = path.join(into, path.basename(backup));
  if (sent.code !== 0 || received.code !== 0) {
    await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
    throw new RewindError('TransferFailed', `Restoring ${what} failed: ${(received.stderr || sent.stderr || 'btrfs send failed').trim()}.`);
  }
  return restored;
}

/**
 * The server sends the backup (`send` in docs/serve-protocol.md) and it is
 * received here with --chroot, so a stream from a server that is not what it
 * should be cannot write outside `into`. It must arrive as exactly the backup
 * asked for, with the backup's received UUID; anything else is deleted.
 */
export async function receiveFromServer(config: SshDestinationConfig, dirName: string, name: string, into: string, stateDir: string): Promise<string> {
  const server = await SshDestination.open(config, sshPaths(stateDir));
  const restored = path.join(into, name);
  try {
    const backup = (await server.backups(dirName)).find((b) => path.basename(b.path) === name);
    if (!backup?.readOnly || !backup.receivedUuid) throw new RewindError('InvalidArgs', `There is no complete backup ${name} of ${dirName} on ${server.name}.`, { advice: ADVICE.chooseAgain });
    const receive = spawn('btrfs', ['receive', '-q', '-e', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    const received = finished(receive);
    receive.stdin!.on('error', () => undefined);
    const sent = await server.connection.call((c) => c.sendBackup({ subvolume: dirName, name, sink: receive.stdin! })).then(
      () => undefined,
      (error: unknown) => error,
    );
    receive.stdin!.end();
    const result = await received;
    const uuid = result.code === 0 && !sent ? (await showSubvolume(restored).catch(() => undefined))?.receivedUuid : undefined;
    if (uuid !== backup.receivedUuid) {
      await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
      if (sent) throw sent;
      throw new RewindError('TransferFailed', `Restoring ${name} from ${server.name} failed: ${result.stderr.trim() || 'the received subvolume is not the backup asked for'}.`);
    }
    return restored;
  } finally {
    await server.close();
  }
}

function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: -1, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function restoreSubvolume(request: SubvolumeRestoreRequest): Promise<SubvolumeRestoreResult> {
  if ((request.backup === undefined) === (request.destination === undefined)) {
    throw new RewindError('InvalidArgs', 'Name the backup either with --backup PATH or with --destination ID --snapshot NAME.', { advice: ADVICE.commandLine });
  }
  const info = await stat(request.into).catch(() => undefined);
  if (!info?.isDirectory()) throw new RewindError('InvalidArgs', `${request.into} is not a folder; name a folder on the btrfs filesystem to restore onto.`, { advice: ADVICE.inDetail });
  const mount = await mountOf(request.into);
  if (mount.fstype !== 'btrfs') throw new RewindError('InvalidArgs', `${request.into} is on ${mount.fstype}; a subvolume can only be restored onto btrfs.`, { advice: 'Choose a folder on a btrfs filesystem.' });
  const fsUuid = (await mountedBtrfsUuid(mount.source)) ?? (await filesystemUuidOfDevice(mount.source));

  const config = request.configPath ? await loadConfig(request.configPath) : undefined;
  let currentPath = request.subvolume;
  if (currentPath === undefined && config) {
    const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
    if (sourcePath) currentPath = await showSubvolume(sourcePath).then((s) => s.path, () => undefined);
  }
  if (currentPath === undefined) throw new RewindError('InvalidArgs', 'Name the subvolume to restore with --subvolume (for example home).', { advice: ADVICE.inDetail });
  if (currentPath.split('/').some((part) => !NAME.test(part))) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(currentPath)} is not a subvolume path of plain names.`, { advice: ADVICE.commandLine });
  }
  const dirName = subvolumeDirName(currentPath);

  const mounts = MountSet.forReader(request.runtimeDir, 'restore-subvolume');
  try {
    const top = (await mounts.get(mount.source, fsUuid)).mountPoint;
    const into = path.join(top, SNAPSHOT_DIR, dirName);
    await mkdir(into, { recursive: true, mode: 0o700 });
    let restored: string;
    if (request.backup !== undefined) {
      await showSubvolume(request.backup).catch(() => {
        throw new RewindError('InvalidArgs', `${request.backup} is not a btrfs subvolume.`, { advice: 'Name a backup (a read-only subvolume) with --backup.' });
      });
      const name = path.basename(request.backup);
      if (await stat(path.join(into, name)).catch(() => undefined)) {
        throw new RewindError('InvalidArgs', `${path.join(SNAPSHOT_DIR, dirName, name)} already exists on the target; it may already be restored.`, { advice: 'If it is not needed any more, delete it first (btrfs subvolume delete), or restore onto another filesystem.' });
      }
      restored = await receiveCopy(request.backup, into, request.backup);
    } else {
      if (!config) throw new RewindError('InvalidArgs', '--destination needs the configuration (--config).', { advice: ADVICE.inDetail });
      if (!request.snapshot || !parseSnapshotName(request.snapshot)) {
        throw new RewindError('InvalidArgs', `${JSON.stringify(request.snapshot ?? '')} is not the name of a backup.`, { advice: ADVICE.chooseAgain });
      }
      const destination = config.destinations.find((d) => d.id === request.destination);
      if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${request.destination}" in the configuration.`, { advice: ADVICE.chooseAgain });
      const host = config.hostName ?? hostname();
      if (await stat(path.join(into, request.snapshot)).catch(() => undefined)) {
        throw new RewindError('InvalidArgs', `${path.join(SNAPSHOT_DIR, dirName, request.snapshot)} already exists on the target; it may already be restored.`, { advice: 'If it is not needed any more, delete it first (btrfs subvolume delete), or restore onto another filesystem.' });
      }
      if (keepsStreamFiles(destination)) {
        // Replayed (confined) beside the snapshots it continues: a received subvolume cannot be moved there later.
        const files = await openStreamFiles(destination, host, mounts, request.stateDir);
        restored = await files.replay(dirName, request.snapshot, into, request.keyFile).finally(() => files.close());
      } else if (destination.kind === 'btrfs') {
        const disk = await BtrfsDestination.open(destination, host, mounts);
        const backup = path.join(disk.top, disk.dirBelowTop(dirName), request.snapshot);
        if (!(await stat(backup).catch(() => undefined))) throw new RewindError('InvalidArgs', `There is no backup ${request.snapshot} of ${dirName} on ${disk.name}.`, { advice: ADVICE.chooseAgain });
        restored = await receiveCopy(backup, into, `${request.snapshot} from ${disk.name}`);
      } else {
        // A destination that keeps stream files went above: this is a server that keeps received backups.
        restored = await receiveFromServer(destination as SshDestinationConfig, dirName, request.snapshot, into, request.stateDir);
      }
    }
    // btrfs receive leaves the subvolume read-only with its received UUID; the new one is a writable snapshot of it.
    const newPath = `${currentPath}.restored-${stamp(request.now ?? new Date())}`;
    await runCommand('btrfs', ['subvolume', 'snapshot', restored, path.join(top, newPath)]);
    const steps = [
      `Log out every user of ${currentPath} (or start from a live USB system).`,
      `Mount the top level of the filesystem: mount -o subvolid=5 ${mount.source} /mnt`,
      `Swap the subvolumes: mv /mnt/${currentPath} /mnt/${currentPath}.old && mv /mnt/${newPath} /mnt/${currentPath}`,
      `If /etc/fstab mounts ${currentPath} by subvolid=, change it to subvol=${currentPath}; then unmount /mnt and reboot.`,
      `When everything is back, delete the old one: btrfs subvolume delete /mnt/${currentPath}.old. The next backup continues incrementally.`,
    ];
    return {
      snapshot: path.join(SNAPSHOT_DIR, dirName, path.basename(restored)),
      subvolume: newPath,
      newPath,
      currentPath,
      device: mount.source,
      steps,
    };
  } finally {
    await mounts.releaseAll();
  }
}
