/**
 * A file's or folder's previous versions ("Restore previous versions",
 * `rewind --restore PATH`): which backed-up folder holds a path, and the
 * versions it had in the moments of that folder's timeline (./timeline).
 *
 * Rules:
 * 1. A path is taken as a person types it: "~" and "~/…" are the home
 *    folder, a relative path is relative to the folder the command ran in,
 *    and "." and ".." parts are resolved by name (the path may not exist any
 *    more, so nothing on disk is asked).
 * 2. The backed-up folder is the longest one that holds the path (or is
 *    it); none: the path is not backed up. The path inside it is relative, as
 *    ListFolder and RestoreFiles take it.
 * 3. What a moment had at the path is read with the browser's own reading
 *    (ListFolder, as the caller): the entry of that name in its folder, and
 *    for a folder its own listing. Not there (or its folder not there): it
 *    did not exist then. A moment with no copy that can be opened (a disk
 *    that is away) is skipped, counted, and does not split what is around it.
 * 4. Two moments hold the same version of a file when kind, size and
 *    modification time (nanoseconds, as the listing gives them) and a link's
 *    target are equal; of a folder, when the names, kinds, sizes and
 *    modification times of what it holds directly are. Inode numbers are
 *    not compared: a backup received on a disk numbers its files anew, so
 *    they would split one version between this computer and the disk.
 * 5. Moments are listed newest first; consecutive moments with the same
 *    version are folded into one row (the newest of them is restored, the
 *    oldest says "unchanged since"), and so are consecutive moments where it
 *    did not exist. A moment that could not be read is a row of its own.
 */

/** What a moment held at the path, as much as comparing versions needs. */
export interface VersionEntry {
  kind: 'file' | 'folder' | 'link' | 'other';
  /** Bytes; for a folder, how many items it holds directly. */
  size: number;
  /** Seconds since 1970 with fractions; for a folder, the newest of its own and its items'. */
  mtime: number;
  target?: string;
  /** A folder's items, for rule 4. */
  signature?: string;
}

export type Sighting =
  | { kind: 'present'; entry: VersionEntry }
  | { kind: 'absent' }
  /** The moment could not be read (a folder the caller may not read then, a failed fetch). */
  | { kind: 'unreadable'; message: string }
  /** No copy of the moment can be opened now. */
  | { kind: 'unavailable' };

export interface Observation<M> {
  moment: M;
  seen: Sighting;
}

export type VersionRow<M> =
  | { kind: 'version'; newest: M; oldest: M; count: number; entry: VersionEntry }
  | { kind: 'absent'; newest: M; oldest: M; count: number }
  | { kind: 'unreadable'; newest: M; oldest: M; count: 1; message: string };

export interface FoldedVersions<M> {
  rows: VersionRow<M>[];
  /** How many distinct versions (rows of kind "version"). */
  versions: number;
  /** Moments skipped because no copy can be opened (rule 3). */
  unavailable: number;
}

function normalise(parts: string[]): string {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** Rule 1: an absolute, clean path from what was typed; undefined for an empty argument. */
export function resolvePathArgument(arg: string, cwd: string, home: string): string | undefined {
  if (arg === '') return undefined;
  let full = arg;
  if (arg === '~' || arg.startsWith('~/')) full = `${home}/${arg.slice(1)}`;
  else if (!arg.startsWith('/')) full = `${cwd}/${arg}`;
  return normalise(full.split('/'));
}

/** Rule 2: the backed-up folder that holds `path`, and the path inside it ("" for the folder itself). */
export function backedUpSource(path: string, sources: readonly string[]): { source: string; relative: string } | undefined {
  let best: { source: string; relative: string } | undefined;
  for (const source of sources) {
    const clean = source === '/' ? '/' : source.replace(/\/+$/, '');
    let relative: string | undefined;
    if (path === clean) relative = '';
    else if (clean === '/') relative = path.slice(1);
    else if (path.startsWith(`${clean}/`)) relative = path.slice(clean.length + 1);
    if (relative === undefined) continue;
    if (!best || clean.length > best.source.length) best = { source: clean, relative };
  }
  return best;
}

/** A folder's own entry from the items it holds (rule 4). */
export function folderVersion(ownMtime: number, items: ReadonlyArray<{ name: string; kind: string; size: number; mtime: number; target?: string }>): VersionEntry {
  const sorted = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const signature = JSON.stringify(sorted.map((i) => [i.name, i.kind, i.kind === 'folder' ? 0 : i.size, i.mtime, i.target ?? null]));
  const mtime = items.reduce((m, i) => Math.max(m, i.mtime), ownMtime);
  return { kind: 'folder', size: items.length, mtime, signature };
}

/** Rule 4. */
export function sameVersion(a: VersionEntry, b: VersionEntry): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'folder') return a.signature === b.signature;
  return a.size === b.size && a.mtime === b.mtime && (a.target ?? null) === (b.target ?? null);
}

/** Rule 5: `observations` newest first, folded into rows. */
export function foldVersions<M>(observations: ReadonlyArray<Observation<M>>): FoldedVersions<M> {
  const rows: VersionRow<M>[] = [];
  let unavailable = 0;
  for (const { moment, seen } of observations) {
    if (seen.kind === 'unavailable') {
      unavailable++;
      continue;
    }
    const last = rows.at(-1);
    if (seen.kind === 'unreadable') {
      rows.push({ kind: 'unreadable', newest: moment, oldest: moment, count: 1, message: seen.message });
    } else if (seen.kind === 'absent' && last?.kind === 'absent') {
      last.oldest = moment;
      last.count++;
    } else if (seen.kind === 'absent') {
      rows.push({ kind: 'absent', newest: moment, oldest: moment, count: 1 });
    } else if (last?.kind === 'version' && sameVersion(last.entry, seen.entry)) {
      last.oldest = moment;
      last.count++;
    } else {
      rows.push({ kind: 'version', newest: moment, oldest: moment, count: 1, entry: seen.entry });
    }
  }
  return { rows, versions: rows.filter((r) => r.kind === 'version').length, unavailable };
}

/** Whether the file as it is now is this version (size and time; the clock of now is in microseconds). */
export function sameAsNow(entry: VersionEntry, now: { kind: VersionEntry['kind']; size: number; mtime: number } | undefined): boolean {
  if (!now || now.kind !== entry.kind || entry.kind === 'folder') return false;
  return now.size === entry.size && Math.abs(now.mtime - entry.mtime) < 2e-6;
}
