import type { DestinationSummary, ErrorReport, HelperStatus, RunRecord } from './status';

/**
 * What the main page says at its top: the state of backups now, not the
 * story of the last run. One pure function of the status the helper returns
 * (configuration, which destinations are there now, whether a backup runs,
 * the last run and the last success), so the headline and the destination
 * rows, read from the same status, always agree.
 *
 * The rules, first match wins:
 * 1. A backup runs: 'running'.
 * 2. Not configured: 'not-configured'.
 * 3. The last run failed for a reason that is still true (anything but an
 *    absent destination, which rule 4 or 5 describes as it is now, and a
 *    cancel, which is no failure; a skipped or postponed run did not fail):
 *    'failed', with the run's first error.
 * 4. A restore drill found damage on an enabled destination and no backup
 *    has reached it since: 'damaged', with those destinations. The backups
 *    there are not known to be good, whatever the last run says; the next
 *    backup there is a new one (src/core/parent.ts, rule 7), after which the
 *    page says what that run says.
 * 5. Every enabled destination the helper can see is not attached, and none
 *    is of a kind it cannot see (a server): 'waiting' for them, with the
 *    last backup's date. A laptop away from its disk is normal, not an error.
 * 6. A backup exists: 'backed-up', with when, the destinations away now,
 *    and whether the last run, after it, was cancelled.
 * 7. Otherwise 'never', with the same cancel flag.
 */
export type Headline =
  | { kind: 'running' }
  | { kind: 'not-configured' }
  | { kind: 'failed'; error: ErrorReport }
  | { kind: 'damaged'; destinations: string[] }
  | { kind: 'waiting'; destinations: string[]; lastBackup?: string }
  | { kind: 'backed-up'; finished: string; away: string[]; cancelled: boolean }
  | { kind: 'never'; cancelled: boolean };

export type HeadlineInput = Pick<HelperStatus, 'configured' | 'destinations' | 'running' | 'lastRun' | 'lastSuccess'>;

/** A destination whose last drill found damage that no backup has replaced since. */
export function damageStands(d: DestinationSummary): boolean {
  const drill = d.lastDrill;
  if (!drill || drill.outcome !== 'damaged') return false;
  return d.lastBackup === undefined || Date.parse(d.lastBackup) <= Date.parse(drill.finished);
}

/** Errors that say only that a destination was not there; what is true now is read from the status instead. */
const ABSENCE = new Set(['DestinationMissing', 'HostUnreachable']);

function errorsOf(run: RunRecord): ErrorReport[] {
  return [run.error, ...(run.sourceProblems ?? []).map((p) => p.error), ...run.transfers.filter((t) => !t.ok).map((t) => t.error)].filter(
    (e): e is ErrorReport => e !== undefined,
  );
}

/** The error a failed run still stands for now, or undefined when it did not fail or its cause was only an absence. */
export function standingFailure(run: RunRecord | undefined): ErrorReport | undefined {
  // A skipped or postponed run is no failure.
  if (!run || run.ok || run.outcome !== undefined) return undefined;
  const errors = errorsOf(run);
  if (errors.some((e) => e.code === 'Cancelled')) return undefined;
  if (errors.length === 0) return { code: 'Internal', message: '' };
  return errors.find((e) => !ABSENCE.has(e.code));
}

/**
 * An absence the status cannot see now (a server, a folder on a share: their
 * `connected` is unknown) still stands as the last run's failure; only a
 * disk's presence is read afresh, as the monitor reads it.
 */
function unseenAbsence(run: RunRecord | undefined, destinations: HeadlineInput['destinations']): ErrorReport | undefined {
  if (!run || run.ok || run.outcome !== undefined) return undefined;
  const unseen = (id: string) => destinations.find((d) => d.id === id)?.connected === undefined;
  return run.transfers.find((t) => !t.ok && t.error && ABSENCE.has(t.error.code) && unseen(t.destination))?.error;
}

export function headline(status: HeadlineInput): Headline {
  if (status.running) return { kind: 'running' };
  if (!status.configured) return { kind: 'not-configured' };
  const failure = standingFailure(status.lastRun) ?? unseenAbsence(status.lastRun, status.destinations);
  if (failure) return { kind: 'failed', error: failure };

  const enabled = status.destinations.filter((d) => d.enabled);
  const damaged = enabled.filter(damageStands).map((d) => d.label);
  if (damaged.length > 0) return { kind: 'damaged', destinations: damaged };
  const away = enabled.filter((d) => d.connected === false).map((d) => d.label);
  const lastBackup = status.lastSuccess?.finished;
  if (enabled.length > 0 && away.length === enabled.length) {
    return lastBackup ? { kind: 'waiting', destinations: away, lastBackup } : { kind: 'waiting', destinations: away };
  }
  const last = status.lastRun;
  const cancelled = !!last && last.id !== status.lastSuccess?.id && errorsOf(last).some((e) => e.code === 'Cancelled');
  if (lastBackup) return { kind: 'backed-up', finished: lastBackup, away, cancelled };
  return { kind: 'never', cancelled };
}
