import { mkdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ADVICE, RewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import { parseSnapshotName, subvolumeDirName } from '../../core/snapshot-name';
import { filesystemUuidOfDevice, showSubvolume } from '../system/btrfs';
import { loadConfig } from '../config/config-file';
import { MountSet } from '../system/mount-set';
import { mountOf, mountedBtrfsUuid } from '../system/mountinfo';
import { runCommand } from '../system/run-command';
import type { Config } from '../../core/config';
import { openDestination } from '../destinations/open-destination';
import { receiveCopyWatched } from './receive-copy';
import { copyFailure, ownedCopy } from './owned-copy';
import type { OwnersChange } from '../../core/owner-mapping';
import { restoreCancelled, type RestoreWatch } from './restore-watch';
import { acquireRunLock } from '../engine/run-lock';
import { configForFound, isFoundId } from '../../core/discovery';
import { chosenFolder, lookUpFound, withFoundKey } from '../recovery/found-point';
import { noteWholeRestore } from '../drill/whole-restore';

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
 *   backup subvolume on a btrfs filesystem the administrator mounted;
 * - found with no configuration (../recovery): the found entry's id as the
 *   destination, and a snapshot name.
 *
 * The restored files of people with an account here of their folder's name
 * are given to that account, in the copy before it is swapped in
 * (./owned-copy.ts): on a fresh install their numbers may differ. Not for a
 * backup named by path: a live system's accounts are not the installed
 * one's.
 *
 * With `replace`, the restored subvolume takes the current one's name and the
 * current one is kept beside it under another name: renames in the top level,
 * which the mounted home does not notice; the restored home is the one
 * mounted from the next start on.
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
  /** Encrypted stream files found with no configuration: the recovery key itself. */
  recoveryKey?: string;
  /** Swap the restored subvolume in for the current one (kept under another name). */
  replace?: boolean;
  /** Told how far the receive is, and able to stop it before anything is replaced. */
  watch?: RestoreWatch;
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
  /** With `replace`: the current subvolume's new name; the restored one has its old name. */
  keptAs?: string;
  /** Whose files were given to the account of their folder's name on this computer, and whose kept their owner (not with `backup`). */
  owners?: OwnersChange;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

const ALREADY_THERE = 'If it is not needed any more, delete it first (btrfs subvolume delete), or restore onto another filesystem.';

async function refuseExisting(into: string, dirName: string, name: string): Promise<void> {
  if (await stat(path.join(into, name)).catch(() => undefined)) {
    throw new RewindError('InvalidArgs', `${path.join(SNAPSHOT_DIR, dirName, name)} already exists on the target; it may already be restored.`, { advice: ALREADY_THERE });
  }
}

/** A received backup subvolume named by its path (a live USB system without Rewind's configuration). */
async function fromPath(backup: string, into: string, dirName: string, watch?: RestoreWatch): Promise<string> {
  await showSubvolume(backup).catch(() => {
    throw new RewindError('InvalidArgs', `${backup} is not a btrfs subvolume.`, { advice: 'Name a backup (a read-only subvolume) with --backup.' });
  });
  await refuseExisting(into, dirName, path.basename(backup));
  return receiveCopyWatched(backup, into, backup, watch);
}

/** A backup named by destination and snapshot: the destination brings it into `into` (beside the snapshots it continues). */
async function fromDestination(request: SubvolumeRestoreRequest, config: Config | undefined, mounts: MountSet, into: string, dirName: string): Promise<string> {
  if (request.watch?.signal?.aborted) throw restoreCancelled();
  if (request.destination !== undefined && isFoundId(request.destination)) return fromFound(request, mounts, into);
  if (!config) throw new RewindError('InvalidArgs', '--destination needs the configuration (--config).', { advice: ADVICE.inDetail });
  const name = request.snapshot;
  if (!name || !parseSnapshotName(name)) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(name ?? '')} is not the name of a backup.`, { advice: ADVICE.chooseAgain });
  }
  const destination = config.destinations.find((d) => d.id === request.destination);
  if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${request.destination}" in the configuration.`, { advice: ADVICE.chooseAgain });
  await refuseExisting(into, dirName, name);
  const opened = await openDestination(destination, config.hostName ?? hostname(), mounts, request.stateDir);
  return opened.restorePoint(dirName, name, into, request.keyFile, request.watch).finally(() => opened.close());
}

/** A backup found with no configuration: read with a configuration made for it in memory. */
async function fromFound(request: SubvolumeRestoreRequest, mounts: MountSet, into: string): Promise<string> {
  const name = request.snapshot;
  if (!name || !parseSnapshotName(name)) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(name ?? '')} is not the name of a backup.`, { advice: ADVICE.chooseAgain });
  }
  const found = await lookUpFound(request, request.destination!);
  const { folder } = chosenFolder(found, request.source);
  await refuseExisting(into, folder.dirName, name);
  const opened = await openDestination(configForFound(found).destinations[0], found.host, mounts, request.stateDir);
  return withFoundKey(request.runtimeDir, { recoveryKey: request.recoveryKey, keyFile: request.keyFile }, (keyFile) => opened.restorePoint(folder.dirName, name, into, keyFile, request.watch)).finally(() => opened.close());
}

/** Whether /etc/fstab mounts something by subvolume id: a swapped subvolume has another id, so the swap would not be what starts. */
async function fstabUsesSubvolid(): Promise<boolean> {
  const root = process.env.REWIND_TARGET_ROOT || '/';
  const text = await readFile(path.join(root, 'etc/fstab'), 'utf8').catch(() => '');
  return text.split('\n').some((line) => !line.trimStart().startsWith('#') && /(^|[\s,])subvolid=/.test(line));
}

/** Removes `folder` and the folders above it up to `top`, each only if it is empty. */
async function removeEmptyUpTo(folder: string, top: string): Promise<void> {
  for (let dir = folder; dir.startsWith(top); dir = path.dirname(dir)) {
    if (!(await rmdir(dir).then(() => true, () => false))) return;
  }
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

  const found = request.destination !== undefined && isFoundId(request.destination);
  const config = request.configPath && !found ? await loadConfig(request.configPath) : undefined;
  let currentPath = request.subvolume;
  if (currentPath === undefined && config) {
    const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
    if (sourcePath) currentPath = await showSubvolume(sourcePath).then((s) => s.path, () => undefined);
  }
  // A found backup goes back in place of the subvolume `into` is.
  if (currentPath === undefined && found) {
    currentPath = await showSubvolume(request.into).then((s) => s.path, () => undefined);
  }
  if (currentPath === undefined) throw new RewindError('InvalidArgs', 'Name the subvolume to restore with --subvolume (for example home).', { advice: ADVICE.inDetail });
  if (request.replace && (await fstabUsesSubvolid())) {
    throw new RewindError('InvalidArgs', `/etc/fstab mounts a subvolume by its id, so the restored ${currentPath} would not be the one in use after a restart.`, {
      advice: 'Restore without replacing, then switch by hand as the steps say.',
    });
  }
  if (currentPath.split('/').some((part) => !NAME.test(part))) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(currentPath)} is not a subvolume path of plain names.`, { advice: ADVICE.commandLine });
  }
  const dirName = subvolumeDirName(currentPath);

  // The restore receives into the folder of the subvolume's snapshots, where a backup run takes its own: never both at once.
  const unlock = await acquireRunLock(request.stateDir);
  const mounts = MountSet.forReader(request.runtimeDir, 'restore-subvolume');
  try {
    const top = (await mounts.get(mount.source, fsUuid)).mountPoint;
    const into = path.join(top, SNAPSHOT_DIR, dirName);
    const made = await mkdir(into, { recursive: true, mode: 0o700 });
    let restored: string;
    try {
      restored = request.backup !== undefined ? await fromPath(request.backup, into, dirName, request.watch) : await fromDestination(request, config, mounts, into, dirName);
      // Cancelled after the receive ended: it is deleted as a cancelled receive is; nothing has been replaced yet.
      if (request.watch?.signal?.aborted) {
        await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
        throw restoreCancelled();
      }
    } catch (error) {
      // A failed or cancelled restore leaves no folder it made either.
      if (made) await removeEmptyUpTo(into, made);
      throw error;
    }
    // btrfs receive leaves the subvolume read-only with its received UUID; the new one is a writable snapshot of it.
    const newPath = `${currentPath}.restored-${stamp(request.now ?? new Date())}`;
    const owners = await ownedCopy(restored, path.join(top, newPath), request.backup === undefined ? request.into : undefined, request.watch?.signal).catch(async (error: unknown) => {
      // As a failed receive: nothing of the restore is kept, and nothing was replaced.
      await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
      if (made) await removeEmptyUpTo(into, made);
      if (request.watch?.signal?.aborted) throw restoreCancelled();
      throw copyFailure(error);
    });
    // Cancelled while the owners were given, after the last entry: still nothing replaced, and nothing of the restore kept.
    if (request.watch?.signal?.aborted) {
      await runCommand('btrfs', ['subvolume', 'delete', path.join(top, newPath)]).catch(() => undefined);
      await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
      if (made) await removeEmptyUpTo(into, made);
      throw restoreCancelled();
    }
    // The next scheduled run checks what it backs up from here (a restore drill); not knowing so is no reason to fail the restore.
    await noteWholeRestore(request.stateDir).catch(() => undefined);
    if (request.replace) {
      const keptAs = `${currentPath}.before-restore-${stamp(request.now ?? new Date())}`;
      if (await stat(path.join(top, currentPath)).catch(() => undefined)) await rename(path.join(top, currentPath), path.join(top, keptAs));
      await rename(path.join(top, newPath), path.join(top, currentPath));
      return {
        snapshot: path.join(SNAPSHOT_DIR, dirName, path.basename(restored)),
        subvolume: currentPath,
        newPath: currentPath,
        currentPath,
        device: mount.source,
        keptAs,
        ...(owners ? { owners } : {}),
        steps: [
          `Restart the computer: from then on ${currentPath} is the restored one.`,
          `What ${currentPath} held until now is kept as ${keptAs}; when everything is back, delete it: btrfs subvolume delete on the top level of ${mount.source}.`,
        ],
      };
    }
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
      ...(owners ? { owners } : {}),
      steps,
    };
  } finally {
    await mounts.releaseAll();
    await unlock();
  }
}
