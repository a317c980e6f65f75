import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FilesDestinationConfig } from '../../../core/config';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import { readMountTable, type MountEntry } from '../../system/mountinfo';
import { destinationName } from '../../../core/destination-name';

/**
 * A "files" destination that is a folder already mounted (a network share, a
 * folder on another disk: "path" without "filesystem") is used only on the
 * filesystem the user chose. When a share is not mounted, its mount point is
 * an empty folder on the system disk, and a backup written there would land
 * where nobody meant it to go. So:
 *
 * - with "mountPoint" (recorded when the destination is saved, see
 *   `withMountPoints`): something must be mounted there now, and the folder's
 *   nearest existing folder must be on that mount. Only the folders below it
 *   are made, through the confined walk (./folder-store), never the mount
 *   point or anything above it;
 * - without it (a configuration written before the field existed): the
 *   folder must exist already, since nothing tells whether a missing one
 *   would be made on the filesystem meant. Then it is used as it was.
 *
 * Otherwise the destination is not connected (DestinationMissing): a run
 * skips it, and the status says so (../destination-presence).
 */

export interface FolderPlace {
  /** The folder opened as it is (links and all): the mount point, or a folder of an older configuration. */
  anchor: string;
  /** The folders below it, down to the configured folder, made when missing and never followed through a link. */
  below: string[];
  /** The anchor's st_dev: a store that finds another filesystem there (unmounted since) stops. */
  device: number;
}

/** The folder's nearest existing folder (links resolved) and the names below it that are missing. */
async function nearestExisting(folder: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  let current = path.resolve(folder);
  for (;;) {
    try {
      return { existing: await realpath(current), missing };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || current === '/') throw error;
      missing.unshift(path.basename(current));
      current = path.dirname(current);
    }
  }
}

function contains(target: string, file: string): boolean {
  return target === '/' || file === target || file.startsWith(`${target}/`);
}

/** The mount that holds the (resolved) path `file`: the last mounted of the longest mount points that contain it. */
function mountIn(table: readonly MountEntry[], file: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of table) {
    if (contains(entry.target, file) && (!best || entry.target.length >= best.target.length)) best = entry;
  }
  return best;
}

function trimmed(folder: string): string {
  return folder.length > 1 ? folder.replace(/\/+$/, '') : folder;
}

type Located = { ok: true; anchor: string; below: string[] } | { ok: false; problem: string };

/** Where the destination's folder is now, or why it must not be used; reads the mount table, mounts nothing. */
async function locate(config: FilesDestinationConfig): Promise<Located> {
  const name = destinationName(config);
  const { existing, missing } = await nearestExisting(config.path);
  const table = await readMountTable();
  const mount = mountIn(table, existing);
  if (config.mountPoint === undefined) {
    if (missing.length > 0) {
      return {
        ok: false,
        problem:
          `The backup folder ${config.path} of ${name} does not exist. Rewind does not create it, because it cannot tell whether it would be ` +
          `on the disk or share you meant${mount?.target === '/' ? ' rather than on the system disk' : ''}. If it is on a share or another disk, ` +
          'mount that; otherwise create the folder, or choose it again in Rewind’s setup.',
      };
    }
    return { ok: true, anchor: existing, below: [] };
  }
  const mountPoint = trimmed(config.mountPoint);
  if (!table.some((e) => e.target === mountPoint)) {
    return { ok: false, problem: `The shared folder ${name} (${config.path}) is not mounted: nothing is mounted at ${mountPoint}. Mount it, or connect its disk, then back up again.` };
  }
  if (mount?.target !== mountPoint) {
    return {
      ok: false,
      problem: `The backup folder ${config.path} of ${name} is not on ${mountPoint}, where it was chosen, but on ${mount?.target ?? 'an unknown filesystem'}; Rewind does not write there.`,
    };
  }
  return { ok: true, anchor: mountPoint, below: [...path.relative(mountPoint, existing).split('/').filter((c) => c !== ''), ...missing] };
}

/** Where to write, once the folder is known to be on the filesystem chosen; DestinationMissing otherwise. */
export async function mountedFolderPlace(config: FilesDestinationConfig): Promise<FolderPlace> {
  const name = destinationName(config);
  const located = await locate(config).catch((error: unknown) => {
    throw new RewindError('DestinationMissing', `The backup folder ${config.path} of ${name} cannot be used (${(error as Error).message}).`, { cause: error, reason: reason('folder-unusable', { destination: name }) });
  });
  if (!located.ok) throw new RewindError('DestinationMissing', located.problem);
  return { anchor: located.anchor, below: located.below, device: (await stat(located.anchor)).dev };
}

/** Why the folder destination is not connected now, or undefined when it is; cheap enough for the status. */
export async function folderNotConnected(config: FilesDestinationConfig): Promise<string | undefined> {
  const located = await locate(config).catch((error: unknown) => ({ ok: false as const, problem: (error as Error).message }));
  return located.ok ? undefined : located.problem;
}

/**
 * The mount point of a newly chosen folder: the mount that holds its
 * nearest existing folder. A missing folder whose nearest existing folder is
 * on the root filesystem is refused: it is most likely a share that is not
 * mounted, and the backups would land on the system disk.
 */
async function mountPointOf(folder: string): Promise<string> {
  const { existing, missing } = await nearestExisting(folder);
  const mount = mountIn(await readMountTable(), existing);
  if (!mount) throw new RewindError('InvalidConfig', `Could not find the filesystem that holds ${folder}.`);
  if (missing.length > 0 && mount.target === '/') {
    throw new RewindError(
      'InvalidConfig',
      `The folder ${folder} does not exist, and it would be made on the system disk. If it is on a share or another disk, mount that first; otherwise create the folder, then choose it again.`,
    );
  }
  return mount.target;
}

type RawDestination = { id?: unknown; kind?: unknown; filesystem?: unknown; path?: unknown; mountPoint?: unknown };

/**
 * The configuration to save, with "mountPoint" filled in for each folder
 * destination that is new or whose folder changed, found from this machine's
 * mount table: the helper sees the mounts (the app in a sandbox may not).
 * A destination kept as it was keeps what it had, so saving other settings
 * while a share is not mounted never records the wrong filesystem.
 */
export async function withMountPoints(data: unknown, previous: readonly RawDestination[]): Promise<unknown> {
  if (data === null || typeof data !== 'object' || !Array.isArray((data as { destinations?: unknown }).destinations)) return data;
  const destinations = [];
  for (const d of (data as { destinations: unknown[] }).destinations) {
    const raw = d as RawDestination;
    const wanted = raw && typeof raw === 'object' && raw.kind === 'files' && raw.filesystem === undefined && raw.mountPoint === undefined;
    if (!wanted || typeof raw.path !== 'string' || !raw.path.startsWith('/') || raw.path.split('/').includes('..')) {
      destinations.push(d);
      continue;
    }
    const before = previous.find((p) => p.id === raw.id && p.kind === 'files' && p.path === raw.path);
    if (before) destinations.push(before.mountPoint === undefined ? d : { ...raw, mountPoint: before.mountPoint });
    else destinations.push({ ...raw, mountPoint: await mountPointOf(raw.path) });
  }
  return { ...(data as object), destinations };
}
