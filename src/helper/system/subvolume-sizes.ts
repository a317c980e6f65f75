import { SNAPSHOT_DIR } from '../../core/ids';
import { toRewindError } from '../../core/errors';
import { MAX_PATHS } from '../../core/contract/subvolume-request';
import type { SubvolumeRequest, SubvolumeSize } from '../../core/subvolume-size';
import { runCommand } from './run-command';
import { readMountTable, type MountEntry } from './mountinfo';
import { locate } from '../engine/sources';

/**
 * The folders setup and Preferences offer to back up, with their sizes
 * (D-Bus ListSubvolumes): every btrfs subvolume mounted on its own (as
 * Fedora mounts /home), and the folders the caller asks about.
 *
 * Sizes must come back in bounded time, since a person waits for the page:
 * - with quotas enabled, the quota group of the subvolume gives its
 *   referenced bytes at once (`btrfs qgroup show --raw`);
 * - otherwise `du -s -x -b` adds up the files' apparent sizes, which is what
 *   a first (full) send stream carries; -x stops at nested subvolumes, which
 *   a snapshot leaves out too. It only stats files, so it costs time in
 *   proportion to their number. All walks run at once and each is killed
 *   after TIME_LIMIT_MS; a size not found in time is left out (the app says
 *   "size not known") rather than guessed.
 * Not `btrfs filesystem du`: it maps every file's extents (several times
 * slower than du on many small files) and counts
 * small files stored inline in metadata as 0 bytes.
 * Rewind never turns quotas on: they slow every snapshot deletion.
 */
export const TIME_LIMIT_MS = 5000;

/** Subvolumes mounted on their own: a btrfs mount whose root is not the top level, not Rewind's or snapper's snapshots. */
function mountedSubvolumes(table: MountEntry[]): string[] {
  const seen = new Map<string, string>();
  for (const m of table) {
    if (m.fstype !== 'btrfs' || m.root === '/') continue;
    const parts = m.root.split('/');
    if (parts.includes(SNAPSHOT_DIR) || parts.includes('.snapshots')) continue;
    // The same subvolume mounted twice (bind mounts): offer the shortest path.
    const key = `${m.source}\0${m.root}`;
    const known = seen.get(key);
    if (known === undefined || m.target.length < known.length) seen.set(key, m.target);
  }
  return [...seen.values()];
}

async function byQgroup(dir: string): Promise<number | undefined> {
  try {
    const id = (await runCommand('btrfs', ['inspect-internal', 'rootid', dir], { timeoutMs: TIME_LIMIT_MS })).trim();
    const out = await runCommand('btrfs', ['qgroup', 'show', '--raw', '-f', dir], { timeoutMs: TIME_LIMIT_MS });
    const line = out.split('\n').find((l) => l.trim().startsWith(`0/${id} `));
    const referenced = line ? Number(line.trim().split(/\s+/)[1]) : NaN;
    return Number.isSafeInteger(referenced) ? referenced : undefined;
  } catch {
    // Quotas are off (the usual case): measure by walking.
    return undefined;
  }
}

async function byDu(dir: string): Promise<number | undefined> {
  try {
    const out = await runCommand('du', ['-s', '-x', '-b', '--', dir], { timeoutMs: TIME_LIMIT_MS });
    const total = Number(out.trim().split(/\s+/)[0]);
    return Number.isSafeInteger(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

async function measure(dir: string, found: boolean): Promise<SubvolumeSize> {
  let location;
  try {
    location = await locate(dir);
  } catch (error) {
    return { path: dir, subvolume: false, found, why: toRewindError(error).message };
  }
  if (!location.isSubvolumeRoot || location.pathBelowTop === '') {
    const why = location.pathBelowTop === '' ? `${dir} is the top level of its filesystem; Rewind backs up subvolumes such as /home.` : `${dir} is on btrfs but is not a subvolume of its own.`;
    return { path: dir, subvolume: false, fsUuid: location.fsUuid, found, why };
  }
  const qgroup = await byQgroup(dir);
  if (qgroup !== undefined) return { path: dir, subvolume: true, fsUuid: location.fsUuid, found, sizeBytes: qgroup, measuredBy: 'qgroup' };
  const du = await byDu(dir);
  return { path: dir, subvolume: true, fsUuid: location.fsUuid, found, ...(du === undefined ? {} : { sizeBytes: du, measuredBy: 'du' as const }) };
}

function clean(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The asked folders that are neither mounted subvolumes nor in `known` (the configured sources). */
export async function unknownFolders(request: SubvolumeRequest, known: readonly string[]): Promise<string[]> {
  const found = mountedSubvolumes(await readMountTable());
  return request.paths.map(clean).filter((p) => !found.includes(p) && !known.includes(p));
}

/** The mounted subvolumes, then the asked folders not among them; every one measured at once. */
export async function listSubvolumeSizes(request: SubvolumeRequest): Promise<SubvolumeSize[]> {
  const found = mountedSubvolumes(await readMountTable()).slice(0, MAX_PATHS);
  const asked = [...new Set(request.paths.map(clean))].filter((p) => !found.includes(p));
  return Promise.all([...found.map((p) => measure(p, true)), ...asked.map((p) => measure(p, false))]);
}
