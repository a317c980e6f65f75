import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Source } from '../core/config';
import { RewindError } from '../core/errors';
import { SNAPSHOT_DIR } from '../core/ids';
import { snapshotsOf } from '../core/parent';
import { snapshotName, subvolumeDirName } from '../core/snapshot-name';
import type { Subvolume } from '../core/subvolume';
import { filesystemUuidOfDevice, listSubvolumes, showSubvolume, snapshotReadOnly } from './btrfs';
import type { MountSet } from './mount-set';
import { mountOf } from './mounts';

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
  /** Folder name of its snapshots and backups. */
  dirName: string;
}

async function btrfsMountOf(dir: string): Promise<{ device: string; fsUuid: string }> {
  const exists = await stat(dir).catch(() => undefined);
  if (!exists?.isDirectory()) throw new RewindError('SourceMissing', `The folder ${dir} does not exist.`);
  const mount = await mountOf(dir);
  if (mount.fstype !== 'btrfs') {
    throw new RewindError('SourceNotBtrfs', `${dir} is on a ${mount.fstype} filesystem, not btrfs.`);
  }
  return { device: mount.source, fsUuid: await filesystemUuidOfDevice(mount.source) };
}

/** Subvolumes that "every subvolume" means: the user's own, not snapshots or backups. */
export function isBackupCandidate(s: Subvolume): boolean {
  const parts = s.path.split('/');
  return !s.readOnly && parts[0] !== SNAPSHOT_DIR && !parts.includes('.snapshots') && s.receivedUuid === undefined;
}

export async function resolveSource(source: Source, mounts: MountSet): Promise<SourceSubvolume[]> {
  const dir = (source.path ?? source.allSubvolumesOf) as string;
  const { device, fsUuid } = await btrfsMountOf(dir);
  if (source.path !== undefined) {
    const info = await showSubvolume(dir).catch((error: unknown) => {
      throw new RewindError('SourceNotBtrfs', `${dir} is on btrfs but is not a subvolume of its own.`, { cause: error });
    });
    if (info.id === 5) {
      throw new RewindError('SourceNotBtrfs', `${dir} is the top level of its filesystem; Rewind backs up subvolumes such as /home.`);
    }
    const { mountPoint: top } = await mounts.get(device, fsUuid);
    return [{ label: dir, device, fsUuid, path: info.path, uuid: info.uuid, top, dirName: subvolumeDirName(info.path) }];
  }
  const { mountPoint: top } = await mounts.get(device, fsUuid);
  return (await listSubvolumes(top)).filter(isBackupCandidate).map((s) => ({
    label: `${dir}: ${s.path}`,
    device,
    fsUuid,
    path: s.path,
    uuid: s.uuid,
    top,
    dirName: subvolumeDirName(s.path),
  }));
}

export interface SourceSnapshot {
  source: SourceSubvolume;
  /** The snapshot just taken. */
  snapshot: Subvolume;
  /** Every read-only snapshot of the source, oldest first, the new one included. */
  snapshots: Subvolume[];
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
  const all = await listSubvolumes(source.top);
  const relative = path.join(SNAPSHOT_DIR, source.dirName, name);
  const snapshot = all.find((s) => s.path === relative);
  if (!snapshot) throw new RewindError('Internal', `The new snapshot ${relative} is missing from the subvolume list.`);
  return { source, snapshot, snapshots: snapshotsOf(source.uuid, all) };
}

/** The source's existing snapshots, oldest first. */
export async function listSnapshots(source: SourceSubvolume): Promise<Subvolume[]> {
  return snapshotsOf(source.uuid, await listSubvolumes(source.top));
}
