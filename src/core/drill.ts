import { streamUuid } from './parent';
import type { Subvolume } from './subvolume';

/**
 * A restore drill's record: which backup of each source was restored in
 * part, how many files came back and compared equal, and what did not, in
 * words that name the file. Kept apart from the runs' history
 * (<state>/drills.json, src/helper/drill/drill-history.ts): a drill is no
 * backup, and the runs' history decides the last success, a pending
 * postponed run and the monitor's failure notices, none of which a drill
 * may change.
 */
export type DrillOutcome =
  /** Every sampled file came back identical. */
  | 'identical'
  /** Something came back different, or not at all: `problems` says what. */
  | 'damaged'
  /** The destination could not be opened (a disk not attached, a server not answering): not checked. */
  | 'not-connected'
  /** No backup there has a snapshot on this computer to compare it with. */
  | 'nothing-to-check'
  /** The drill itself failed (not the backup): `problems` says why. */
  | 'failed';

export interface DrillSourceResult {
  /** The backed-up folder. */
  source: string;
  /** The backup restored from (its name at the destination), when there was one to check. */
  backup?: string;
  /** Files restored and compared, and their bytes. */
  compared: number;
  bytes: number;
  /** Files sampled but not compared: the time budget ran out. */
  notCompared?: number;
  problems: string[];
  /**
   * The backup checked is damaged itself (not only a newer one left
   * incomplete): it is marked so that no backup is built on it, and the
   * next backup there is full (./parent, rule 7).
   */
  damaged?: boolean;
  /** Stream files: the point whose stream was found damaged (a part missing, cut short, or failing a checksum). */
  damagedStream?: string;
  /**
   * The restore points (names at the destination, oldest first) that the
   * problems leave not known to be good (./drill-damage says which).
   */
  affected?: string[];
}

export interface DrillRecord {
  id: string;
  started: string;
  finished: string;
  destination: string;
  /** The destination's name as people know it. */
  destinationName: string;
  /** The sample's seed: the same backup and seed choose the same files again. */
  seed: number;
  outcome: DrillOutcome;
  sources: DrillSourceResult[];
}

/** `skipped`: a drill that did not start, and why (never recorded). */
export interface DrillSkipped {
  skipped: 'on-battery';
}

export type DrillResult = { drills: DrillRecord[] } | DrillSkipped;

/**
 * The backup to drill in a folder of backups (`points`, oldest first): the
 * newest complete one whose snapshot is still on this computer, found by
 * UUID as the parent choice pairs them (./parent): the point's received
 * UUID is the local snapshot's own UUID, or the UUID its stream carries
 * (a snapshot that was itself received). Names are never compared.
 */
export function pointToDrill<P extends { name: string; receivedUuid?: string; complete: boolean }>(
  points: readonly P[],
  localSnapshots: readonly Subvolume[],
): { point: P; snapshot: Subvolume; newer: number } | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i];
    if (!point.complete || point.receivedUuid === undefined) continue;
    const snapshot = localSnapshots.find((s) => s.readOnly && (streamUuid(s) === point.receivedUuid || s.uuid === point.receivedUuid));
    if (snapshot) return { point, snapshot, newer: points.length - 1 - i };
  }
  return undefined;
}

export function drillCompared(record: DrillRecord): number {
  return record.sources.reduce((n, s) => n + s.compared, 0);
}

export function drillProblems(record: DrillRecord): string[] {
  return record.sources.flatMap((s) => s.problems);
}

/**
 * Backups newer than the one drilled (all, when none is) that are not
 * complete: not read-only, or without a Received UUID. Made writable, a
 * backup loses its Received UUID, so it pairs with nothing and a drill
 * cannot compare it; it is reported, never passed over as if it were good.
 */
export function incompleteNewer<P extends { name: string; complete: boolean }>(points: readonly P[], drilled: P | undefined): string[] {
  const from = drilled ? points.indexOf(drilled) + 1 : 0;
  return points
    .slice(from)
    .filter((p) => !p.complete)
    .map((p) => `The backup ${p.name} was changed or left incomplete after it was received (it is not read-only, or has no Received UUID): what it holds cannot be trusted, and no backup is built on it`);
}

/** The drill in one sentence, for the command line and the journal (the app says it in its own, translated words). */
export function drillSummary(record: DrillRecord): string {
  const compared = drillCompared(record);
  const problems = drillProblems(record);
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  switch (record.outcome) {
    case 'identical': {
      const short = record.sources.reduce((n, s) => n + (s.notCompared ?? 0), 0);
      const rest = short > 0 ? ` (${files(short)} more were not compared: the time allowed ran out)` : '';
      return `${record.destinationName}: all ${compared} sampled file${compared === 1 ? '' : 's'} came back identical${rest}.`;
    }
    case 'damaged': {
      const marked = record.sources.filter((s) => s.damaged && s.backup !== undefined).map((s) => s.backup as string);
      const next =
        marked.length === 0
          ? []
          : [`No backup is built on ${marked.join(', ')} or an older one: the next backup there is a full one, and the damaged backup is kept until it has landed.`];
      const affected = record.sources.flatMap((s) => {
        const names = s.affected ?? [];
        const which = names.length <= 3 ? names.join(', ') : `${names[0]} to ${names[names.length - 1]}`;
        return names.length === 0 ? [] : [`Restore points not known to be good${s.source ? ` of ${s.source}` : ''} (${names.length}): ${which}.`];
      });
      return [`${record.destinationName}: DAMAGED. ${files(compared)} compared; ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:`, ...problems.map((p) => `  ${p}`), ...affected, ...next].join('\n');
    }
    case 'not-connected':
      return `${record.destinationName}: not connected, not checked.`;
    case 'nothing-to-check':
      return `${record.destinationName}: no backup there has a snapshot on this computer to compare it with; nothing was checked.`;
    case 'failed':
      return [`${record.destinationName}: the check could not be done:`, ...problems.map((p) => `  ${p}`)].join('\n');
  }
}
