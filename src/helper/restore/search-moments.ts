import path from 'node:path';
import { LISTING_FORMAT, nameContains, parentOf, parseListing } from '../../core/browse-request';
import { ADVICE, RewindError } from '../../core/errors';
import { exactName, HitList, leftBehind, newestFirst, type MomentsSearchResult, type SearchMomentsRequest } from '../../core/moments-search';
import { listChanges } from '../../core/send-stream/changes';
import { withRunContext } from '../engine/run-context';
import { resolveSource } from '../engine/sources';
import { noDataStream } from '../system/btrfs-send';
import { openRoot, runAsCaller, walkFailure, walkTo, type BrowseCaller, type Paths } from './browse';
import { comparablePoints } from './diff';

/** Like Search's: the whole search, every moment, within this. */
const SEARCH_MOMENTS_TIMEOUT_MS = 20_000;

/**
 * SearchMoments (../../core/moments-search): the newest local snapshot
 * searched whole as Search searches one point, then each older step's
 * deleted and renamed-away names looked at in the older snapshot. Every
 * read of a snapshot's files runs as the caller (./browse: the walk that
 * refuses links, then find), so a hit is only what the caller may read in
 * that moment. The changes come from `btrfs send --no-data` as root, but
 * only their paths are used, to choose what the caller's find looks at.
 */
export async function searchMoments(paths: Paths, request: SearchMomentsRequest, caller: BrowseCaller): Promise<MomentsSearchResult> {
  const deadline = Date.now() + SEARCH_MOMENTS_TIMEOUT_MS;
  const left = () => Math.max(1, deadline - Date.now());
  return withRunContext(paths, false, async ({ config, mounts }) => {
    const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
    if (!sourcePath || !config.sources.some((s) => s.path === sourcePath)) {
      throw new RewindError('InvalidArgs', `${sourcePath ?? 'The source'} is not one of the backed-up folders.`, { advice: ADVICE.chooseAgain });
    }
    const [source] = await resolveSource({ path: sourcePath }, mounts);
    const byName = new Map((await comparablePoints(source)).map((s) => [path.basename(s.path), path.join(source.top, s.path)]));
    const names = newestFirst([...byName.keys()]);
    const hits = new HitList(request.limit);
    const result = (searched: number, outOfTime: boolean, unreadable: number): MomentsSearchResult => ({
      pattern: request.pattern,
      hits: hits.hits,
      moments: names.length,
      searched,
      truncated: hits.full,
      outOfTime,
      unreadable,
    });
    if (names.length === 0) return result(0, false, 0);

    // One snapshot's root open as root; the caller's processes read below it.
    const inPoint = async <T>(name: string, fn: (fd: number) => Promise<T>): Promise<T> => {
      const handle = await openRoot(byName.get(name)!, { from: 'local', snapshot: name });
      try {
        return await fn(handle.fd);
      } finally {
        await handle.close();
      }
    };
    const findIn = async (fd: number, folder: string, find: string[]) => {
      const output = await runAsCaller(walkTo(folder, find), caller, [fd], { maxNuls: (request.limit + 1) * 8, timeoutMs: left() });
      return { output, entries: parseListing(output.stdout, folder).entries };
    };
    const deniedIn = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('find: ') && l.includes('Permission denied')).length;

    // The newest moment, whole.
    let unreadable = 0;
    const newest = await inPoint(names[0], (fd) => findIn(fd, request.path, ['find', '.', '-mindepth', '1', '-iname', nameContains(request.pattern), '-printf', LISTING_FORMAT]));
    if (!newest.output.stopped && newest.output.code !== 0 && (newest.output.code !== 1 || !/^find: /m.test(newest.output.stderr))) throw walkFailure(request.path, newest.output);
    unreadable += deniedIn(newest.output.stderr);
    hits.add(names[0], newest.entries);
    if (newest.output.stopped) return result(hits.full ? 1 : 0, !hits.full, unreadable);

    // Each older moment: what the step to the next newer one deleted or renamed away.
    for (let i = 1; i < names.length; i++) {
      if (hits.full) return result(i, false, unreadable);
      if (Date.now() >= deadline) return result(i, true, unreadable);
      let changes;
      try {
        changes = listChanges(await noDataStream(byName.get(names[i])!, byName.get(names[i - 1])!, AbortSignal.timeout(left()))).flatMap((l) => l.changes);
      } catch {
        // Out of time, or a step send cannot compare: what was searched is said.
        return result(i, true, unreadable);
      }
      const { paths: found, folders } = leftBehind(changes, request.pattern, request.path);
      await inPoint(names[i], async (fd) => {
        for (const folder of folders) {
          if (hits.full || Date.now() >= deadline) return;
          const inside = await findIn(fd, folder, ['find', '.', '-mindepth', '1', '-iname', nameContains(request.pattern), '-printf', LISTING_FORMAT]);
          unreadable += deniedIn(inside.output.stderr);
          hits.add(names[i], inside.entries);
        }
        for (const one of found) {
          if (hits.full || Date.now() >= deadline) return;
          if (hits.has(one)) continue;
          // The entry as the caller sees it in its folder: nothing when they may not read that folder then.
          const folder = parentOf(one);
          const entry = await findIn(fd, folder, ['find', '.', '-mindepth', '1', '-maxdepth', '1', '-name', exactName(one.slice(one.lastIndexOf('/') + 1)), '-printf', LISTING_FORMAT]);
          hits.add(names[i], entry.entries);
        }
      });
      if (Date.now() >= deadline && !hits.full) return result(i, true, unreadable);
    }
    return result(names.length, false, unreadable);
  });
}
