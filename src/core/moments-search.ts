import * as z from 'zod';
import { searchSchema, type BrowseEntry } from './browse-request';
import type { Change } from './send-stream/changes';
import { parseSnapshotName } from './snapshot-name';
import { parseJsonRequest, pointFields } from './restore-request';

/**
 * Find across time (D-Bus SearchMoments): names containing a text in every
 * local snapshot of a backed-up folder and every backup kept only on a
 * btrfs disk (its local snapshot pruned), newest match first, each hit with
 * the newest moment in which its path has that name.
 *
 * Running find in each of hundreds of snapshots of a large home would take
 * minutes, so only the newest moment is searched whole. A name found in an
 * older moment and not in the newest was deleted or renamed away on some
 * step between two consecutive snapshots; that step's changes (btrfs send
 * --no-data, as What changed reads them) name it. So for each step, newest
 * first, the helper keeps the deleted and renamed-away paths these rules
 * pick (`leftBehind`), and looks at them in the older moment as the caller.
 * A btrfs disk's backups are searched the same way, after the local ones:
 * its newest disk-only moment whole, then its steps. The search stops at a
 * number of hits and at a time limit, and says how many moments it got
 * through.
 */
export const searchMomentsSchema = z.strictObject({
  source: pointFields.source,
  pattern: searchSchema.shape.pattern,
  path: searchSchema.shape.path,
  limit: searchSchema.shape.limit,
});

export type SearchMomentsRequest = z.infer<typeof searchMomentsSchema>;
export type SearchMomentsInput = z.input<typeof searchMomentsSchema>;
export const parseSearchMomentsRequest = (json: string): SearchMomentsRequest => parseJsonRequest(searchMomentsSchema, json);

export interface MomentHit {
  /** The newest moment in which the path has this name: a local snapshot, or a backup on `from`. */
  snapshot: string;
  /** The btrfs disk (destination id) of a moment kept only there; absent for a local snapshot. */
  from?: string;
  entry: BrowseEntry;
}

export interface MomentsSearchResult {
  pattern: string;
  /** Newest moment first. */
  hits: MomentHit[];
  /** Moments of the folder (local snapshots, then those only on connected btrfs disks), and how many of them, newest first, were searched through. */
  moments: number;
  searched: number;
  /** More hits than `limit`. */
  truncated: boolean;
  /** The time limit stopped the search before the oldest moment. */
  outOfTime: boolean;
  /** Folders skipped because the caller may not read them. */
  unreadable: number;
}

/** Case-insensitive "contains", as `find -iname '*text*'` matches in the C locale (ASCII letters only). */
export function nameHas(name: string, text: string): boolean {
  const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return fold(name).includes(fold(text));
}

/** A `find -name` pattern that matches exactly `name`. */
export function exactName(name: string): string {
  return name.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

function within(path: string, folder: string): boolean {
  return folder === '' || path === folder || path.startsWith(`${folder}/`);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * What a step's changes (older → newer) left behind in the older moment:
 * `paths`, entries below `under` whose name contains `text` and that were
 * deleted or renamed away; `folders`, folders deleted or renamed away whose
 * contents must be searched in the older moment (a renamed folder's contents
 * are not listed one by one). A folder renamed above `under` makes `under`
 * itself one to search.
 */
export function leftBehind(changes: readonly Change[], text: string, under: string): { paths: string[]; folders: string[] } {
  const paths = new Set<string>();
  const folders = new Set<string>();
  for (const change of changes) {
    const old = change.kind === 'deleted' ? change.path : change.kind === 'renamed' ? change.from : undefined;
    if (old === undefined || old === '.') continue;
    if (within(old, under)) {
      if (old !== under && nameHas(baseName(old), text)) paths.add(old);
      if (change.type === 'dir' && change.kind === 'renamed') folders.add(old);
    } else if (change.type === 'dir' && change.kind === 'renamed' && within(under, old)) {
      folders.add(under);
    }
  }
  // A folder inside another one searched already adds nothing.
  const sorted = [...folders].sort();
  const outer = sorted.filter((f) => !sorted.some((g) => g !== f && within(f, g)));
  return { paths: [...paths].filter((p) => !outer.some((f) => within(p, f) && p !== f)), folders: outer };
}

/** Snapshot names newest first (a "_2" of the same second after the first). */
export function newestFirst(names: readonly string[]): string[] {
  const key = (name: string): [number, number] => {
    const suffix = /_(\d+)$/.exec(name);
    return [parseSnapshotName(name)?.getTime() ?? Number.NEGATIVE_INFINITY, suffix ? Number(suffix[1]) : 1];
  };
  return [...names].sort((a, b) => {
    const [ta, na] = key(a);
    const [tb, nb] = key(b);
    return tb - ta || nb - na;
  });
}

/**
 * Hits in their moments' order, newest first (stable): a disk's moments are
 * searched after the local ones, but one kept only on a disk may be newer
 * than a local one that is kept longer.
 */
export function hitsNewestFirst(hits: readonly MomentHit[]): MomentHit[] {
  const rank = new Map(newestFirst([...new Set(hits.map((h) => h.snapshot))]).map((name, i) => [name, i]));
  return [...hits].sort((a, b) => rank.get(a.snapshot)! - rank.get(b.snapshot)!);
}

/** Hits newest moment first, one per path (the first, newest, wins), at most `limit` (then `full`). */
export class HitList {
  readonly hits: MomentHit[] = [];
  private readonly _seen = new Set<string>();
  full = false;

  constructor(private readonly limit: number) {}

  has(path: string): boolean {
    return this._seen.has(path);
  }

  add(snapshot: string, entries: readonly BrowseEntry[], from = 'local'): void {
    for (const entry of entries) {
      if (this._seen.has(entry.path)) continue;
      if (this.hits.length >= this.limit) {
        this.full = true;
        return;
      }
      this._seen.add(entry.path);
      this.hits.push(from === 'local' ? { snapshot, entry } : { snapshot, from, entry });
    }
  }
}
