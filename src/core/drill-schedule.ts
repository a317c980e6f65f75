import type { DrillRecord } from './drill';
import type { RunRecord } from './status';

/**
 * When a scheduled run also checks its backups (a restore drill,
 * docs/drills.md). After a scheduled backup, each destination the run
 * reached is checked when:
 * 1. it never had a check, or its last one is DRILL_EVERY_DAYS old (once a
 *    month by default);
 * 2. its last check found damage and this run sent a full backup there: the
 *    fresh full backup that replaces the damaged one (./parent, rule 7) is
 *    checked as soon as it has landed;
 * 3. a whole subvolume was restored from a backup (restore-subvolume) after
 *    its last check: the first backups after a restore are built on the
 *    restored snapshot.
 * A check that found the destination not connected checked nothing, so it
 * does not count. The drill takes the run lock after the backup released
 * it, so it never competes with a backup (one started meanwhile makes it
 * Busy, and the next scheduled run tries again).
 */
export const DRILL_EVERY_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The newest drill of each destination that checked something (`drills` oldest first, as drills.json keeps them). */
export function lastChecks(drills: readonly DrillRecord[]): Map<string, DrillRecord> {
  const last = new Map<string, DrillRecord>();
  for (const d of drills) if (d.outcome !== 'not-connected') last.set(d.destination, d);
  return last;
}

/** The destinations to check after `run`, in the order the run reached them; `wholeRestore`: when a subvolume was last restored whole. */
export function drillsDue(run: RunRecord, drills: readonly DrillRecord[], now: Date, everyDays = DRILL_EVERY_DAYS, wholeRestore?: string): string[] {
  const last = lastChecks(drills);
  const sent = run.transfers.filter((t) => t.ok);
  const reached = [...new Set(sent.map((t) => t.destination))];
  const restored = wholeRestore === undefined ? NaN : Date.parse(wholeRestore);
  return reached.filter((id) => {
    const previous = last.get(id);
    if (!previous) return true;
    const finished = Date.parse(previous.finished);
    // An unreadable time is no reason to skip a check.
    if (!Number.isFinite(finished) || now.getTime() - finished >= everyDays * DAY_MS) return true;
    if (previous.outcome === 'damaged' && sent.some((t) => t.destination === id && t.kind === 'full')) return true;
    return Number.isFinite(restored) && restored > finished;
  });
}
