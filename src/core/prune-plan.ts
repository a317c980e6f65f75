import { choosePlan, damagedAwaitingFull, isCompleteBackup } from './parent';
import { planRetention, type RetentionPlan } from './retention';
import type { RetentionRules } from './retention-policy';
import { parseSnapshotName } from './snapshot-name';
import type { Subvolume } from './subvolume';

/**
 * What pruning may delete, on each side of one source subvolume.
 *
 * Rules:
 * 1. Only Rewind's own snapshots and backups are candidates: those whose name
 *    is a Rewind timestamp. Anything renamed by hand is kept ("unknown name").
 * 2. A snapshot's time is the time in its name, the same on both sides.
 * 3. Locally, the newest snapshot is always kept, and so is, for each enabled
 *    destination, the newest snapshot it shares with the source (its next
 *    parent). For a destination that is not connected, that snapshot is the
 *    one last sent to it according to the history; when the history does not
 *    say, nothing is deleted locally ("destination X is not connected").
 * 4. At a destination (only when connected), the newest backup shared with
 *    the source is kept; incomplete backups are not pruning's business (they
 *    are removed before each transfer and by `clean`). A backup a drill found
 *    damaged is never the next parent, and is kept until a fresh full backup
 *    has landed after it (./parent, rule 7).
 * 5. Within those bounds, the retention rules decide (./retention).
 */
export interface PruneDecision {
  /** Why nothing is deleted, when nothing may be. */
  skipped?: string;
  keep: Array<{ subvolume: Subvolume; reasons: string[] }>;
  remove: Subvolume[];
}

export type DestinationView =
  | { id: string; connected: true; backups: readonly Subvolume[]; damaged?: ReadonlySet<string> }
  | { id: string; connected: false; lastSentUuid?: string };

export interface PruneContext {
  rules: RetentionRules;
  now: Date;
  timeZone: string;
}

function baseName(s: Subvolume): string {
  return s.path.slice(s.path.lastIndexOf('/') + 1);
}

/** Why each protected snapshot is kept; one snapshot may be protected for several reasons. */
class Protection {
  readonly reasons = new Map<string, string[]>();
  add(uuid: string, reason: string): void {
    this.reasons.set(uuid, [...(this.reasons.get(uuid) ?? []), reason]);
  }
}

function decide(candidates: readonly Subvolume[], protection: ReadonlyMap<string, string[]>, context: PruneContext): PruneDecision {
  const named: Array<{ subvolume: Subvolume; time: Date }> = [];
  const keep: PruneDecision['keep'] = [];
  for (const subvolume of candidates) {
    const time = parseSnapshotName(baseName(subvolume));
    if (time) named.push({ subvolume, time });
    else keep.push({ subvolume, reasons: ['unknown name'] });
  }
  const plan: RetentionPlan = planRetention(
    named.map((n) => ({ id: n.subvolume.uuid, time: n.time })),
    context.rules,
    { now: context.now, timeZone: context.timeZone, protect: new Set(protection.keys()) },
  );
  const byUuid = new Map(named.map((n) => [n.subvolume.uuid, n.subvolume]));
  for (const k of plan.keep) {
    const reasons = k.reasons.flatMap((r) => (r === 'protected' ? (protection.get(k.id) ?? [r]) : [r]));
    keep.push({ subvolume: byUuid.get(k.id)!, reasons });
  }
  return { keep, remove: plan.remove.map((r) => byUuid.get(r.id)!) };
}

/**
 * Rule 3: the local snapshots that must stay, each with why (by UUID); or,
 * when a destination is away and the history does not say what it last
 * received, why none may go. Retention and a source disk that runs low
 * (./source-thinning) both keep these.
 */
export function localProtection(snapshots: readonly Subvolume[], destinations: readonly DestinationView[]): { skipped: string } | { reasons: ReadonlyMap<string, string[]> } {
  const protection = new Protection();
  const newest = snapshots.at(-1);
  if (newest) protection.add(newest.uuid, 'newest');
  for (const destination of destinations) {
    if (!destination.connected) {
      if (destination.lastSentUuid === undefined) return { skipped: `destination ${destination.id} is not connected` };
      protection.add(destination.lastSentUuid, `next parent for ${destination.id}`);
      continue;
    }
    const plan = choosePlan(snapshots, destination.backups, undefined, destination.damaged);
    if (plan.kind === 'incremental') protection.add(plan.parent.uuid, `next parent for ${destination.id}`);
  }
  return { reasons: protection.reasons };
}

/** Local snapshots of one subvolume: `snapshots` are Rewind's own, oldest first. */
export function planLocalPrune(snapshots: readonly Subvolume[], destinations: readonly DestinationView[], context: PruneContext): PruneDecision {
  const protection = localProtection(snapshots, destinations);
  if ('skipped' in protection) {
    return { skipped: protection.skipped, keep: snapshots.map((s) => ({ subvolume: s, reasons: ['kept while a destination is away'] })), remove: [] };
  }
  return decide(snapshots, protection.reasons, context);
}

/** Backups of one subvolume at a connected destination. */
export function planDestinationPrune(
  backups: readonly Subvolume[],
  sourceSnapshots: readonly Subvolume[],
  context: PruneContext,
  damaged: ReadonlySet<string> = new Set(),
): PruneDecision {
  const complete = backups.filter(isCompleteBackup);
  const protection = new Protection();
  const plan = choosePlan(sourceSnapshots, complete, undefined, damaged);
  if (plan.kind === 'incremental') protection.add(plan.parentBackup.uuid, 'next parent');
  for (const d of damagedAwaitingFull(complete, damaged)) protection.add(d.uuid, 'damaged, kept until a full backup has landed after it');
  return decide(complete, protection.reasons, context);
}
