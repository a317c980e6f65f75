import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Source } from '../../core/config';
import { RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { SNAPSHOT_DIR } from '../../core/ids';
import { snapshotsOf, unchangedSnapshot } from '../../core/parent';
import { snapshotName, subvolumeDirName } from '../../core/snapshot-name';
import type { Subvolume } from '../../core/subvolume';
import { filesystemUuidOfDevice, snapshotReadOnly, subvolumeAt, syncFilesystem } from '../system/btrfs';
import type { MountSet } from '../system/mount-set';
import { mountOf, mountedBtrfsUuid } from '../system/mountinfo';
import type { TopLevelMount } from '../system/mounts';

/** One subvolume to back up, located on its filesystem. */
export interface SourceSubvolume {
  /** How people know it: its mount point, or "<folder>: <subvolume path>". */
  label: string;
  device: string;
  fsUuid: string;
  /** Path below the top level. */
  path: string;
  uuid: string;
  /** Top level of its filesystem, mounted by the helper. */
  top: string;
  mount: TopLevelMount;
  /** Folder name of its snapshots and backups. */
  dirName: string;
}

/** A btrfs subvolume's root folder has this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INODE = 256;

interface SourceLocation {
  device: string;
  fsUuid: string;
  /** Path of `dir` below the filesystem's top level ("" for the top level). */
  pathBelowTop: string;
  isSubvolumeRoot: boolean;
}

export async function locate(dir: string): Promise<SourceLocation> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new RewindError('SourceMissing', `The folder ${dir} does not exist.`, { reason: reason('source-folder-missing', { folder: dir }) });
  const mount = await mountOf(dir);
  if (mount.fstype !== 'btrfs') {
    throw new RewindError('SourceNotBtrfs', `${dir} is on a ${mount.fstype} filesystem, not btrfs.`);
  }
  const fsUuid = (await mountedBtrfsUuid(mount.source)) ?? (await filesystemUuidOfDevice(mount.source));
  const below = path.join(mount.root, path.relative(mount.target, await realpath(dir)));
  return {
    device: mount.source,
    fsUuid,
    pathBelowTop: below.replace(/^\/+/, '').replace(/\/+$/, ''),
    isSubvolumeRoot: info.ino === SUBVOLUME_ROOT_INODE,
  };
}

/** Subvolumes that "every subvolume" means: the user's own, not snapshots or backups. */
export function isBackupCandidate(s: Subvolume): boolean {
  const parts = s.path.split('/');
  return !s.readOnly && parts[0] !== SNAPSHOT_DIR && !parts.includes('.snapshots') && s.receivedUuid === undefined;
}

/**
 * The subvolumes below the top level of `fsUuid` that the configuration's
 * `exclude` folders are; a folder that is not there any more, or elsewhere, is none.
 */
async function excludedBelowTop(exclude: readonly string[], fsUuid: string): Promise<string[]> {
  const found = await Promise.all(exclude.map((folder) => locate(folder).catch(() => undefined)));
  return found.filter((l) => l !== undefined && l.fsUuid === fsUuid && l.isSubvolumeRoot && l.pathBelowTop !== '').map((l) => l!.pathBelowTop);
}

/**
 * `commitFirst`: commit the filesystem before listing it, so the listing's
 * generations include every change made so far (a backup run decides from
 * them whether a source changed: see snapshotToBackUp).
 * `exclude`: the configuration's folders left out, which "every subvolume"
 * skips with every subvolume inside them.
 */
export async function resolveSource(source: Source, mounts: MountSet, options: { commitFirst?: boolean; exclude?: readonly string[] } = {}): Promise<SourceSubvolume[]> {
  const dir = (source.path ?? source.allSubvolumesOf) as string;
  const { device, fsUuid, pathBelowTop, isSubvolumeRoot } = await locate(dir);
  const mount = await mounts.get(device, fsUuid);
  const top = mount.mountPoint;
  if (options.commitFirst) {
    await syncFilesystem(top);
    mount.changed();
  }
  if (source.path !== undefined) {
    if (!isSubvolumeRoot) throw new RewindError('SourceNotBtrfs', `${dir} is on btrfs but is not a subvolume of its own.`);
    if (pathBelowTop === '') {
      throw new RewindError('SourceNotBtrfs', `${dir} is the top level of its filesystem; Rewind backs up subvolumes such as /home.`);
    }
    const subvolume = (await mount.subvolumes()).find((s) => s.path === pathBelowTop);
    if (!subvolume) throw new RewindError('SourceMissing', `The subvolume ${pathBelowTop} of ${dir} is not on its filesystem any more.`);
    return [{ label: dir, device, fsUuid, path: pathBelowTop, uuid: subvolume.uuid, top, mount, dirName: subvolumeDirName(pathBelowTop) }];
  }
  const excluded = await excludedBelowTop(options.exclude ?? [], fsUuid);
  const wanted = (s: Subvolume) => isBackupCandidate(s) && !excluded.some((e) => s.path === e || s.path.startsWith(`${e}/`));
  return (await mount.subvolumes()).filter(wanted).map((s) => ({
    label: `${dir}: ${s.path}`,
    device,
    fsUuid,
    path: s.path,
    uuid: s.uuid,
    top,
    mount,
    dirName: subvolumeDirName(s.path),
  }));
}

export interface SourceSnapshot {
  source: SourceSubvolume;
  /** The snapshot just taken. */
  snapshot: Subvolume;
  /** Every read-only snapshot of the source, oldest first, the new one included. */
  snapshots: Subvolume[];
  /** The source had not changed since `snapshot`, an earlier run's: no new one was taken. */
  reused?: boolean;
}

/**
 * Takes a read-only snapshot at <top>/.rewind/<dirName>/<timestamp>. The name
 * also avoids `takenElsewhere` (the backups' names at the destinations): a
 * snapshot deleted by hand frees its name here but not there.
 */
export async function takeSnapshot(source: SourceSubvolume, now: Date, takenElsewhere: Iterable<string> = []): Promise<SourceSnapshot> {
  const dir = path.join(source.top, SNAPSHOT_DIR, source.dirName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = snapshotName(now, new Set([...(await readdir(dir)), ...takenElsewhere]));
  await snapshotReadOnly(path.join(source.top, source.path), path.join(dir, name));
  const snapshot = await subvolumeAt(source.top, path.join(SNAPSHOT_DIR, source.dirName, name));
  source.mount.added(snapshot);
  return { source, snapshot, snapshots: snapshotsOf(source.uuid, await source.mount.subvolumes()) };
}

/**
 * The snapshot this run backs up: the newest one in Rewind's own folder when
 * the source has not changed since it was taken (an idle machine's hourly
 * run then costs a listing, not a snapshot and a send per destination);
 * otherwise a new one, and also when `damaged` (snapshots whose backup a
 * drill found damaged) holds that one. The source must have been resolved with
 * `commitFirst`: a subvolume's generation moves only when a transaction
 * commits, and a file written a second before is not in it until then.
 */
export async function snapshotToBackUp(
  source: SourceSubvolume,
  now: Date,
  takenElsewhere: () => Promise<Iterable<string>>,
  damaged: ReadonlySet<string> = new Set(),
): Promise<SourceSnapshot> {
  const all = await source.mount.subvolumes();
  const snapshots = snapshotsOf(source.uuid, all);
  const unchanged = reusable(source, all, snapshots);
  // One whose backup a drill found damaged is not sent again: a new one is, in full (src/core/parent.ts, rule 7).
  if (unchanged && !damaged.has(unchanged.uuid)) return { source, snapshot: unchanged, snapshots, reused: true };
  return takeSnapshot(source, now, await takenElsewhere());
}

function reusable(source: SourceSubvolume, all: readonly Subvolume[], snapshots: readonly Subvolume[]): Subvolume | undefined {
  const folder = path.join(SNAPSHOT_DIR, source.dirName);
  const own = snapshots.filter((s) => path.dirname(s.path) === folder && s.parentUuid === source.uuid);
  return unchangedSnapshot(all.find((s) => s.uuid === source.uuid)?.generation, own);
}

/** The source's existing snapshots, oldest first. */
export async function listSnapshots(source: SourceSubvolume): Promise<Subvolume[]> {
  return snapshotsOf(source.uuid, await source.mount.subvolumes());
}
