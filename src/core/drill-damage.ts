import type { DrillRecord } from './drill';
import { chainTo } from './stream-chains';
import type { StreamEntry } from './stream-manifest';

/**
 * Which restore points a drill's damage reaches (`DrillSourceResult.affected`,
 * names at the destination, oldest first), so that the app can say which
 * restore points are not known to be good. The helper decides it where it
 * finds the damage:
 *
 * 1. Received backups (a btrfs disk, an SSH server that receives): the
 *    backup checked, and every older one in its folder. An incremental
 *    receive starts from a snapshot of its parent, so every unchanged file
 *    shares its data with the older backups, and damage found in the newest
 *    may lie in blocks they hold too; the drill read only the newest
 *    (./parent, rule 7, says the same for the next parent). Newer backups
 *    were made after it and never share its damaged blocks as their own
 *    writes; they are not named.
 * 2. Stream files, a stream found damaged (a part missing, cut short, or
 *    failing its checksum or a command's CRC): its own point and every point
 *    whose chain passes through it, since restoring one replays that stream
 *    (./stream-chains). The streams before it in its chain checked out, and
 *    other chains are files of their own: they are not named.
 * 3. Stream files whose every checksum is right but a file came back wrong
 *    (or could not be replayed): the damage cannot be placed in one stream
 *    of the chain, so the whole chain of the point checked, and every point
 *    built on it.
 * 4. A backup newer than the one checked that was changed or left
 *    incomplete after it was received: itself (it is no parent, and older
 *    backups do not take its changes).
 */

/** Rule 1: `checked` and every point before it (points oldest first). */
export function receivedAffected(points: readonly { name: string }[], checked: string): string[] {
  const at = points.findIndex((p) => p.name === checked);
  return points.slice(0, at + 1).map((p) => p.name);
}

/**
 * Rules 2 and 3: the points of `entries` (as listed) that replay the stream
 * `damaged`, or, without one, that replay any stream of the chain of
 * `checked`.
 */
export function streamAffected(entries: readonly StreamEntry[], checked: string, damaged?: string): string[] {
  const target = entries.find((e) => e.name === (damaged ?? checked));
  if (!target) return [damaged ?? checked];
  const from = damaged === undefined ? (chainTo(entries, target)?.[0] ?? target) : target;
  const byReceived = new Map(entries.map((e) => [e.receivedUuid, e]));
  // Followed by parent UUID, not by chainTo: a chain broken further down still replays `from`.
  const replays = (entry: StreamEntry): boolean => {
    const seen = new Set<string>();
    for (let at: StreamEntry | undefined = entry; at && !seen.has(at.receivedUuid); at = at.parentUuid ? byReceived.get(at.parentUuid) : undefined) {
      if (at === from) return true;
      if (at.kind === 'full') return false;
      seen.add(at.receivedUuid);
    }
    return false;
  };
  return entries.filter(replays).map((e) => e.name);
}

/** `names` in the order of `points` (oldest first), each once; a name not among them goes last. */
export function inPointOrder(points: readonly { name: string }[], names: Iterable<string>): string[] {
  const wanted = new Set(names);
  const known = points.filter((p) => wanted.has(p.name)).map((p) => p.name);
  return [...new Set([...known, ...wanted])];
}

/** What one backed-up folder's damage reaches, for the words. */
export interface AffectedPoints {
  /** Names at the destination, oldest first. */
  names: string[];
  /** The one the damage was found in (a stream found damaged, or the backup checked), when it is among them. */
  found?: string;
}

/** A damaged drill, as the app and the monitor name it. */
export interface DrillDamage {
  /** The files that did not come back as they were backed up, each once, as the problems name them. */
  files: string[];
  /** The points whose stream files were found damaged. */
  streams: string[];
  /** Per backed-up folder, the points not known to be good. */
  affected: AffectedPoints[];
}

/** A problem that names a file starts with its path: "Documents/a.txt: its content differs…", "…: it could not be restored…". */
const FILE_PROBLEM = /^(.+?): (it|its) /;

export function drillDamage(record: DrillRecord): DrillDamage {
  const files = record.sources.flatMap((s) => s.problems.flatMap((p) => FILE_PROBLEM.exec(p)?.[1] ?? []));
  const streams = record.sources.flatMap((s) => (s.damagedStream === undefined ? [] : [s.damagedStream]));
  const affected = record.sources.flatMap((s): AffectedPoints[] => {
    if (!s.affected?.length) return [];
    const found = s.damagedStream ?? (s.damaged ? s.backup : undefined);
    return [found !== undefined && s.affected.includes(found) ? { names: s.affected, found } : { names: s.affected }];
  });
  return { files: [...new Set(files)], streams: [...new Set(streams)], affected };
}
