import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SNAPSHOT_DIR } from '../../core/ids';
import { RewindError, toRewindError } from '../../core/errors';
import { MAX_PATHS } from '../../core/contract/subvolume-request';
import { isOfferedNested } from '../../core/nested-subvolume';
import type { FolderProblem, SubvolumeRequest, SubvolumeSize } from '../../core/subvolume-size';
import { runCommand } from './run-command';
import { readMountTable, type MountEntry } from './mountinfo';
import { isBackupCandidate, locate } from '../engine/sources';
import { listSubvolumes } from './btrfs';
import { holderOf } from './folder-holder';
import { homeOfUid, ownerOf } from './home-owners';
import { isKeptApartByRewind, keptApartList } from './kept-apart';

/**
 * The folders setup and Preferences offer to back up, with their sizes
 * (D-Bus ListSubvolumes): every btrfs subvolume mounted on its own (as
 * Fedora mounts /home), the folders the caller asks about, and the
 * subvolumes inside any of these (a systemd-homed home, a folder Rewind
 * set apart), which a snapshot of the folder around them leaves out. A
 * user's home is named by its user; a folder that is not a subvolume says
 * which subvolume holds it and what else that holds.
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

/**
 * Subvolumes mounted on their own: a btrfs mount whose root is not the top
 * level, not Rewind's or snapper's snapshots, and not one inside another such
 * mount (systemd-homed mounts /home/NAME.homedir at /home/NAME: it is listed
 * where it always is, inside /home).
 */
function mountedSubvolumes(table: MountEntry[]): string[] {
  const seen = new Map<string, { target: string; source: string; root: string }>();
  for (const m of table) {
    if (m.fstype !== 'btrfs' || m.root === '/') continue;
    const parts = m.root.split('/');
    if (parts.includes(SNAPSHOT_DIR) || parts.includes('.snapshots')) continue;
    // The same subvolume mounted twice (bind mounts): offer the shortest path.
    const key = `${m.source}\0${m.root}`;
    const known = seen.get(key);
    if (known === undefined || m.target.length < known.target.length) seen.set(key, m);
  }
  const mounts = [...seen.values()];
  return mounts.filter((m) => !mounts.some((o) => o.source === m.source && m.root.startsWith(`${o.root}/`))).map((m) => m.target);
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

type Location = Awaited<ReturnType<typeof locate>>;

function problemOf(error: RewindError): FolderProblem {
  return error.code === 'SourceNotBtrfs' ? 'not-btrfs' : 'missing';
}

/** A folder with its size, or why it cannot be backed up and, when it is on btrfs, what holds it. */
async function measure(dir: string, found: boolean, location: Location | RewindError, nestedIn?: string): Promise<SubvolumeSize> {
  const base = { path: dir, found, ...(nestedIn !== undefined ? { nestedIn } : {}) };
  if (location instanceof RewindError) return { ...base, subvolume: false, why: location.message, problem: problemOf(location) };
  const owner = await ownerOf(dir);
  const known = { ...base, fsUuid: location.fsUuid, ...(owner ? { owner } : {}) };
  if (location.pathBelowTop === '') {
    return { ...known, subvolume: false, problem: 'top-level', why: `${dir} is the top level of its filesystem; Rewind backs up subvolumes such as /home.` };
  }
  if (!location.isSubvolumeRoot) {
    // Its size too: a folder offered to leave out shows what leaving it out saves.
    const [held, size] = await Promise.all([holderOf(dir).catch(() => undefined), byDu(dir)]);
    // The top level holds everything and is never backed up as it is.
    const holder = held && (await locate(held.holder).catch(() => undefined))?.pathBelowTop ? held : undefined;
    return {
      ...known,
      subvolume: false,
      problem: 'not-subvolume',
      why: `${dir} is on btrfs but is not a subvolume of its own.`,
      ...(size === undefined ? {} : { sizeBytes: size, measuredBy: 'du' as const }),
      ...(holder ? { holder: holder.holder, others: holder.others, ...(holder.othersMore ? { othersMore: holder.othersMore } : {}), ...(holder.files ? { filesBeside: holder.files } : {}) } : {}),
    };
  }
  const qgroup = await byQgroup(dir);
  if (qgroup !== undefined) return { ...known, subvolume: true, sizeBytes: qgroup, measuredBy: 'qgroup' };
  const du = await byDu(dir);
  return { ...known, subvolume: true, ...(du === undefined ? {} : { sizeBytes: du, measuredBy: 'du' as const }) };
}

function clean(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/**
 * Whether `folder` is the caller's to measure anyway: the system's root
 * (whether it is on btrfs is no secret), or a folder of the caller's own home
 * that is theirs (or not there: the folders offered to leave out). Setup and
 * Preferences ask about these for everyone who opens them, without an
 * administrator's password.
 */
async function callersOwn(folder: string, uid: number | undefined): Promise<boolean> {
  if (folder === '/') return true;
  if (uid === undefined) return false;
  const home = await homeOfUid(uid);
  if (!home || (folder !== home && !folder.startsWith(`${home}/`))) return false;
  const real = await realpath(folder).catch(() => undefined);
  if (real === undefined) return true;
  const realHome = await realpath(home).catch(() => home);
  const info = await lstat(real).catch(() => undefined);
  return (real === realHome || real.startsWith(`${realHome}/`)) && info?.uid === uid;
}

/** The asked folders that are neither mounted subvolumes, nor in `known` (the configured sources), nor the caller's own. */
export async function unknownFolders(request: SubvolumeRequest, known: readonly string[], uid?: number): Promise<string[]> {
  const found = mountedSubvolumes(await readMountTable());
  const asked = request.paths.map(clean).filter((p) => !found.includes(p) && !known.includes(p));
  const own = await Promise.all(asked.map((p) => callersOwn(p, uid)));
  return asked.filter((_p, i) => !own[i]);
}

/**
 * The subvolumes inside the listed ones (some may be listed themselves: a
 * folder asked about), each as the folder it is in the outermost listed one,
 * with the folder around it: every filesystem is listed once.
 */
async function nestedFolders(listed: { path: string; location: Location | RewindError }[]): Promise<{ path: string; nestedIn: string }[]> {
  const subvolumes = listed.filter((l): l is { path: string; location: Location } => !(l.location instanceof RewindError) && l.location.isSubvolumeRoot && l.location.pathBelowTop !== '');
  const byFs = new Map<string, Awaited<ReturnType<typeof listSubvolumes>> | undefined>();
  for (const l of subvolumes) {
    if (!byFs.has(l.location.fsUuid)) byFs.set(l.location.fsUuid, await listSubvolumes(l.path, { anyFolder: true }).catch(() => undefined));
  }
  const taken = new Set<string>();
  const nested: { path: string; nestedIn: string }[] = [];
  for (const l of subvolumes) {
    const below = l.location.pathBelowTop;
    // A folder inside another listed subvolume is found from that one.
    if (subvolumes.some((o) => o.location.fsUuid === l.location.fsUuid && below.startsWith(`${o.location.pathBelowTop}/`))) continue;
    for (const s of byFs.get(l.location.fsUuid) ?? []) {
      if (!s.path.startsWith(`${below}/`) || !isBackupCandidate(s) || !isOfferedNested(s.path)) continue;
      const folder = path.join(l.path, s.path.slice(below.length + 1));
      if (taken.has(folder)) continue;
      taken.add(folder);
      const holder = path.dirname(s.path);
      // Its nearest listed subvolume around it: the outer folder, or a nested one.
      const around = [...(byFs.get(l.location.fsUuid) ?? [])].filter((o) => holder === o.path || holder.startsWith(`${o.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
      const nestedIn = around && around.path.startsWith(`${below}/`) ? path.join(l.path, around.path.slice(below.length + 1)) : l.path;
      nested.push({ path: folder, nestedIn });
    }
  }
  return nested;
}

/**
 * The mounted subvolumes, the asked folders not among them, and the
 * subvolumes inside them; every one measured at once. With the helper's
 * state folder, those Rewind set apart say so (./kept-apart.ts).
 */
export async function listSubvolumeSizes(request: SubvolumeRequest, stateDir?: string): Promise<SubvolumeSize[]> {
  const found = mountedSubvolumes(await readMountTable()).slice(0, MAX_PATHS);
  const asked = [...new Set(request.paths.map(clean))].filter((p) => !found.includes(p));
  const listed = await Promise.all(
    [...found.map((p) => ({ path: p, found: true })), ...asked.map((p) => ({ path: p, found: false }))].map(async (f) => ({
      ...f,
      location: await locate(f.path).catch((error: unknown) => toRewindError(error)),
    })),
  );
  const nested = await nestedFolders(listed);
  const around = (p: string) => nested.find((n) => n.path === p)?.nestedIn;
  const more = nested.filter((n) => !listed.some((l) => l.path === n.path)).slice(0, MAX_PATHS);
  const nestedLocations = await Promise.all(more.map(async (n) => ({ ...n, location: await locate(n.path).catch((error: unknown) => toRewindError(error)) })));
  const sizes = await Promise.all([...listed.map((l) => measure(l.path, l.found, l.location, around(l.path))), ...nestedLocations.map((n) => measure(n.path, true, n.location, n.nestedIn))]);
  const kept = stateDir === undefined ? [] : await keptApartList(stateDir);
  return Promise.all(sizes.map(async (s) => (s.subvolume && (await isKeptApartByRewind(kept, s.path)) ? { ...s, keptApartByRewind: true } : s)));
}
