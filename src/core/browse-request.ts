import * as z from 'zod';
import type { Change } from './send-stream/changes';
import { decodeName } from './send-stream/text';
import { parseSnapshotName } from './snapshot-name';
import { parseJsonRequest, pointFields, relativePath } from './restore-request';

/**
 * The restore browser's requests and answers (D-Bus ListFolder, Search and
 * WhatChanged). Paths follow RestoreFiles' rules (./restore-request): relative
 * to the backed-up folder, no "..", no "." parts, not absolute; "" is the
 * point's root. The listing itself runs with the caller's credentials
 * (src/helper/restore/browse.ts) and prints NUL-separated records, which
 * `parseListing` turns into entries here, so the shaping is tested without a
 * filesystem.
 */
const folderPath = z.union([z.literal(''), relativePath]);

export const listFolderSchema = z.strictObject({ ...pointFields, path: folderPath });
export const SEARCH_LIMIT_MAX = 1000;
export const searchSchema = z.strictObject({
  ...pointFields,
  /** Part of a name, matched without regard to case; no wildcards. */
  pattern: z.string().min(1, 'must not be empty').max(255).refine((p) => !p.includes('/') && !p.includes('\0'), 'must be part of a name, without "/"'),
  /** Search below this folder only ("" for everywhere). */
  path: folderPath.default(''),
  limit: z.number().int().min(1).max(SEARCH_LIMIT_MAX).default(200),
});
export const whatChangedSchema = z.strictObject(pointFields);

export type ListFolderRequest = z.infer<typeof listFolderSchema>;
export type SearchRequest = z.infer<typeof searchSchema>;
export type WhatChangedRequest = z.infer<typeof whatChangedSchema>;
/** What the app sends (Search's path and limit have defaults). */
export type ListFolderInput = z.input<typeof listFolderSchema>;
export type SearchInput = z.input<typeof searchSchema>;
export type WhatChangedInput = z.input<typeof whatChangedSchema>;

export const parseListFolderRequest = (json: string): ListFolderRequest => parseJsonRequest(listFolderSchema, json);
export const parseSearchRequest = (json: string): SearchRequest => parseJsonRequest(searchSchema, json);
export const parseWhatChangedRequest = (json: string): WhatChangedRequest => parseJsonRequest(whatChangedSchema, json);

export type EntryKind = 'file' | 'folder' | 'link' | 'other';

export interface BrowseEntry {
  name: string;
  /** Relative to the point's root, as RestoreFiles takes it. */
  path: string;
  kind: EntryKind;
  /** Bytes (for a link: the length of its target). */
  size: number;
  /** Modification time, seconds since 1970 with fractions. */
  mtime: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  uid: number;
  /** A link's target. */
  target?: string;
}

export interface FolderListing {
  path: string;
  entries: BrowseEntry[];
}

export interface SearchResult {
  pattern: string;
  entries: BrowseEntry[];
  /** More matched than `limit`, or the search ran out of time. */
  truncated: boolean;
  /** Folders that were skipped because the caller may not read them. */
  unreadable: number;
}

export interface WhatChangedResult {
  /** The point compared with, or none for the first point (nothing to compare). */
  previous?: string;
  changes: Change[];
  /** Changes left out because they are in folders the caller may not read. */
  hidden: number;
}

/** The fields `find -printf` prints per entry, each ending with NUL: depth, type, size, mtime, mode, uid, link target, path. */
export const LISTING_FORMAT = '%d\\0%y\\0%s\\0%T@\\0%m\\0%U\\0%l\\0%P\\0';
const FIELDS = 8;

const KINDS: Record<string, EntryKind> = { f: 'file', d: 'folder', l: 'link' };

function join(base: string, relative: string): string {
  return base === '' ? relative : relative === '' ? base : `${base}/${relative}`;
}

/**
 * Entries from `find START -printf LISTING_FORMAT`, START being the folder
 * `base` (relative to the point). The start itself (depth 0) is returned
 * apart, so the caller can tell a folder from a file or a link.
 */
export function parseListing(output: Uint8Array, base: string): { start?: BrowseEntry; entries: BrowseEntry[] } {
  const fields: string[] = [];
  let from = 0;
  for (let i = 0; i < output.length; i++) {
    if (output[i] !== 0) continue;
    fields.push(decodeName(output.subarray(from, i)));
    from = i + 1;
  }
  let start: BrowseEntry | undefined;
  const entries: BrowseEntry[] = [];
  for (let i = 0; i + FIELDS <= fields.length; i += FIELDS) {
    const [depth, type, size, mtime, mode, uid, target, relative] = fields.slice(i, i + FIELDS);
    const kind = KINDS[type] ?? 'other';
    const path = join(base, relative);
    const entry: BrowseEntry = {
      name: path === '' ? '' : path.slice(path.lastIndexOf('/') + 1),
      path,
      kind,
      size: Number(size),
      mtime: Number(mtime),
      mode: parseInt(mode, 8),
      uid: Number(uid),
      ...(kind === 'link' ? { target } : {}),
    };
    if (depth === '0') start = entry;
    else entries.push(entry);
  }
  return { start, entries };
}

/** Folders first, then by name as people sort (case-insensitive, numbers by value). */
export function sortEntries(entries: BrowseEntry[]): BrowseEntry[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return [...entries].sort((a, b) => Number(b.kind === 'folder') - Number(a.kind === 'folder') || collator.compare(a.name, b.name) || (a.name < b.name ? -1 : 1));
}

/** A `find -iname` pattern matching names that contain `text`: its wildcard characters escaped. */
export function nameContains(text: string): string {
  return `*${text.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}*`;
}

/** Snapshot names in time order (the "_2" suffix of a second one in the same second counts as a number). */
function order(name: string): [number, number] {
  const time = parseSnapshotName(name)?.getTime() ?? Number.NaN;
  const suffix = /_(\d+)$/.exec(name);
  return [time, suffix ? Number(suffix[1]) : 1];
}

/** The point just before `snapshot` among `names` (same subvolume, same place), if any. */
export function previousPoint(names: string[], snapshot: string): string | undefined {
  const [time, n] = order(snapshot);
  let best: string | undefined;
  let bestOrder: [number, number] | undefined;
  for (const name of names) {
    const o = order(name);
    const before = o[0] < time || (o[0] === time && o[1] < n);
    if (!before) continue;
    if (!bestOrder || o[0] > bestOrder[0] || (o[0] === bestOrder[0] && o[1] > bestOrder[1])) {
      best = name;
      bestOrder = o;
    }
  }
  return best;
}

/** The folder that holds a path ("" for the root). */
export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/**
 * The folders whose listing shows each change: in this point for what exists
 * in it, in the previous point for what was deleted or renamed away. A change
 * is shown only when the caller may read all the folders it needs.
 */
export function foldersToCheck(change: Change): Array<{ point: 'this' | 'previous'; folder: string }> {
  if (change.kind === 'deleted') return [{ point: 'previous', folder: parentOf(change.path) }];
  const here = { point: 'this' as const, folder: parentOf(change.path) };
  return change.kind === 'renamed' && change.from !== undefined ? [here, { point: 'previous', folder: parentOf(change.from) }] : [here];
}

/** The changes the caller may see, and how many were left out; "." (the root's own times) is never interesting. */
export function visibleChanges(changes: Change[], readable: (point: 'this' | 'previous', folder: string) => boolean): { changes: Change[]; hidden: number } {
  const shown = changes.filter((c) => c.path !== '.');
  const visible = shown.filter((c) => foldersToCheck(c).every((f) => readable(f.point, f.folder)));
  return { changes: visible, hidden: shown.length - visible.length };
}
