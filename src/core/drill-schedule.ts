import type { DrillRecord } from './drill';
import type { RunRecord } from './status';

/**
 * When a scheduled run also checks its backups (a restore drill,
 * docs/drills.md): once a month per destination by default. After a
 * scheduled backup, each destination the run reached is checked when its
 * last check is older than DRILL_EVERY_DAYS, or it never had one. A check
 * that found the destination not connected checked nothing, so it does not
 * count. The drill takes the run lock after the backup released it, so it
 * never competes with a backup (one started meanwhile makes it Busy, and the
 * next scheduled run tries again).
 */
export const DRILL_EVERY_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The newest drill of each destination that checked something (`drills` oldest first, as drills.json keeps them). */
export function lastChecks(drills: readonly DrillRecord[]): Map<string, DrillRecord> {
  const last = new Map<string, DrillRecord>();
  for (const d of drills) if (d.outcome !== 'not-connected') last.set(d.destination, d);
  return last;
}

/** The destinations to check after `run`, in the order the run reached them. */
export function drillsDue(run: RunRecord, drills: readonly DrillRecord[], now: Date, everyDays = DRILL_EVERY_DAYS): string[] {
  const last = lastChecks(drills);
  const reached = [...new Set(run.transfers.filter((t) => t.ok).map((t) => t.destination))];
  return reached.filter((id) => {
    const previous = last.get(id);
    if (!previous) return true;
    const finished = Date.parse(previous.finished);
    // An unreadable time is no reason to skip a check.
    return !Number.isFinite(finished) || now.getTime() - finished >= everyDays * DAY_MS;
  });
}
