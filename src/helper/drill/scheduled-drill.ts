import { drillSummary } from '../../core/drill';
import { drillsDue } from '../../core/drill-schedule';
import type { RunRecord } from '../../core/status';
import { toRewindError } from '../../core/errors';
import { drillDestinations, type DrillPaths } from './drill';
import { DrillHistory } from './drill-history';
import { lastWholeRestore } from './whole-restore';

/**
 * After a scheduled backup: a restore drill of each destination the run
 * reached whose last check is a month old, found damage the run's full
 * backup replaces, or came before a whole restore
 * (src/core/drill-schedule.ts). The backup has released the run lock; the drill takes it again, so a backup
 * started meanwhile makes it Busy and it waits for the next scheduled run.
 * It never fails the run: the backup is done, and the drill's record (and
 * the monitor's notification) says what it found.
 */
export async function drillWhenDue(paths: DrillPaths, run: RunRecord, now = new Date()): Promise<void> {
  const due = drillsDue(run, await new DrillHistory(paths.stateDir).read(), now, undefined, await lastWholeRestore(paths.stateDir));
  for (const destination of due) {
    try {
      const result = await drillDestinations(paths, { destination });
      if ('drills' in result) for (const record of result.drills) console.error(drillSummary(record));
      else break; // on battery: the next scheduled run tries again
    } catch (error) {
      console.error(`The check of ${destination} after the backup did not run: ${toRewindError(error).message}`);
    }
  }
}
