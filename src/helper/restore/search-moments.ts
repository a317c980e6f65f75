import path from 'node:path';
import { LISTING_FORMAT, nameContains, parentOf, parseListing } from '../../core/browse-request';
import { ADVICE, RewindError } from '../../core/errors';
import { exactName, HitList, hitsNewestFirst, leftBehind, newestFirst, type MomentsSearchResult, type SearchMomentsRequest } from '../../core/moments-search';
import { listChanges } from '../../core/send-stream/changes';
import { withRunContext, type RunContext } from '../engine/run-context';
import { resolveSource } from '../engine/sources';
import { noDataStream } from '../system/btrfs-send';
import { openRoot, runAsCaller, walkFailure, walkTo, type BrowseCaller, type Paths } from './browse';
import { comparablePoints } from './diff';
import { openDestination, pointsReadInPlace } from '../destinations/open-destination';

/** Like Search's: the whole search, every moment, within this. */
const SEARCH_MOMENTS_TIMEOUT_MS = 20_000;

/** One backed-up folder's moments in one place, newest first: where each one's root is, and where it is (`local` or a destination id). */
interface Chain {
  from: string;
  names: string[];
  roots: Map<string, string>;
}

/**
 * The moments kept only on btrfs disks (their local snapshots pruned), each
 * disk's own chain: its received backups are read-only subvolumes on one
 * filesystem, read in place, so `btrfs send --no-data` between two of them
 * gives a step's changes as between two local snapshots. A disk that is not
 * connected adds nothing. Server and stream-file destinations are left out:
 * their points would have to be fetched, their streams read.
 */
async function diskOnlyChains(context: RunContext, paths: Paths, dirName: string, local: ReadonlySet<string>): Promise<Chain[]> {
  const chains: Chain[] = [];
  for (const configured of context.config.destinations.filter(pointsReadInPlace)) {
    try {
      const destination = await openDestination(configured, context.host, context.mounts, paths.stateDir);
      try {
        const names = newestFirst((await destination.points(dirName)).filter((p) => p.complete && !local.has(p.name)).map((p) => p.name));
        const roots = new Map<string, string>();
        for (const name of names) roots.set(name, await destination.pointFolder(dirName, name, () => Promise.reject(new Error('read in place'))));
        if (names.length > 0) chains.push({ from: configured.id, names, roots });
      } finally {
        await destination.close();
      }
    } catch {
      // Not connected, or not readable now: its moments are not searched (nor counted).
    }
  }
  return chains;
}

/**
 * SearchMoments (../../core/moments-search): the newest local snapshot
 * searched whole as Search searches one point, then each older step's
 * deleted and renamed-away names looked at in the older snapshot; then the
 * same on each btrfs disk for the moments kept only there. Every read of a
 * moment's files runs as the caller (./browse: the walk that refuses links,
 * then find), so a hit is only what the caller may read in that moment. The
 * changes come from `btrfs send --no-data` as root, but only their paths are
 * used, to choose what the caller's find looks at.
 */
export async function searchMoments(paths: Paths, request: SearchMomentsRequest, caller: BrowseCaller): Promise<MomentsSearchResult> {
  const deadline = Date.now() + SEARCH_MOMENTS_TIMEOUT_MS;
  const left = () => Math.max(1, deadline - Date.now());
  return withRunContext(paths, false, async (context) => {
    const { config, mounts } = context;
    const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
    if (!sourcePath || !config.sources.some((s) => s.path === sourcePath)) {
      throw new RewindError('InvalidArgs', `${sourcePath ?? 'The source'} is not one of the backed-up folders.`, { advice: ADVICE.chooseAgain });
    }
    const [source] = await resolveSource({ path: sourcePath }, mounts);
    const byName = new Map((await comparablePoints(source)).map((s) => [path.basename(s.path), path.join(source.top, s.path)]));
    const chains: Chain[] = [{ from: 'local', names: newestFirst([...byName.keys()]), roots: byName }];
    chains.push(...(await diskOnlyChains(context, paths, source.dirName, new Set(byName.keys()))));
    const moments = chains.reduce((n, c) => n + c.names.length, 0);
    const hits = new HitList(request.limit);
    let searched = 0;
    let unreadable = 0;
    const result = (outOfTime: boolean): MomentsSearchResult => ({
      pattern: request.pattern,
      hits: hitsNewestFirst(hits.hits),
      moments,
      searched,
      truncated: hits.full,
      outOfTime,
      unreadable,
    });
    const findIn = async (fd: number, folder: string, find: string[]) => {
      const output = await runAsCaller(walkTo(folder, find), caller, [fd], { maxNuls: (request.limit + 1) * 8, timeoutMs: left() });
      return { output, entries: parseListing(output.stdout, folder).entries };
    };
    const deniedIn = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('find: ') && l.includes('Permission denied')).length;
    const contains = ['find', '.', '-mindepth', '1', '-iname', nameContains(request.pattern), '-printf', LISTING_FORMAT];

    /** One chain, newest first; false when a bound stopped the search. */
    const searchChain = async ({ from, names, roots }: Chain): Promise<boolean> => {
      // One moment's root open as root; the caller's processes read below it.
      const inPoint = async <T>(name: string, fn: (fd: number) => Promise<T>): Promise<T> => {
        const handle = await openRoot(roots.get(name)!, { from, snapshot: name });
        try {
          return await fn(handle.fd);
        } finally {
          await handle.close();
        }
      };
      const add = (name: string, entries: Parameters<HitList['add']>[1]) => hits.add(name, entries, from);

      // The newest moment, whole.
      const newest = await inPoint(names[0], (fd) => findIn(fd, request.path, contains));
      if (!newest.output.stopped && newest.output.code !== 0 && (newest.output.code !== 1 || !/^find: /m.test(newest.output.stderr))) {
        // A folder that is not in a disk's newest moment is no reason to fail what the computer's moments found.
        if (from === 'local') throw walkFailure(request.path, newest.output);
      }
      unreadable += deniedIn(newest.output.stderr);
      add(names[0], newest.entries);
      if (newest.output.stopped) {
        if (hits.full) searched += 1;
        return false;
      }
      searched += 1;

      // Each older moment: what the step to the next newer one deleted or renamed away.
      for (let i = 1; i < names.length; i++) {
        if (hits.full || Date.now() >= deadline) return false;
        let changes;
        try {
          changes = listChanges(await noDataStream(roots.get(names[i])!, roots.get(names[i - 1])!, AbortSignal.timeout(left()))).flatMap((l) => l.changes);
        } catch {
          // Out of time, or a step send cannot compare: what was searched is said.
          return false;
        }
        const { paths: found, folders } = leftBehind(changes, request.pattern, request.path);
        await inPoint(names[i], async (fd) => {
          for (const folder of folders) {
            if (hits.full || Date.now() >= deadline) return;
            const inside = await findIn(fd, folder, contains);
            unreadable += deniedIn(inside.output.stderr);
            add(names[i], inside.entries);
          }
          for (const one of found) {
            if (hits.full || Date.now() >= deadline) return;
            if (hits.has(one)) continue;
            // The entry as the caller sees it in its folder: nothing when they may not read that folder then.
            const folder = parentOf(one);
            const entry = await findIn(fd, folder, ['find', '.', '-mindepth', '1', '-maxdepth', '1', '-name', exactName(one.slice(one.lastIndexOf('/') + 1)), '-printf', LISTING_FORMAT]);
            add(names[i], entry.entries);
          }
        });
        if (Date.now() >= deadline && !hits.full) return false;
        searched += 1;
      }
      return true;
    };

    for (const chain of chains) {
      if (chain.names.length === 0) continue;
      if (hits.full) return result(false);
      if (Date.now() >= deadline) return result(true);
      if (!(await searchChain(chain))) return result(!hits.full);
    }
    return result(false);
  });
}
