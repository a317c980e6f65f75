import type { PostponeReason } from './conditions';
import { spaceState } from './free-space';
import { DEFAULT_NOTIFICATIONS, type NotificationSettings } from './notification-settings';
import { failureMessage, firstFailure } from './run-failure';
import { nextRun } from './schedule';
import { standingFailure } from './headline';
import type { DestinationSummary, ErrorReport, HelperStatus, RunRecord, SpaceFreed } from './status';
import { drillProblems } from './drill';
import { drillDamage, type DrillDamage } from './drill-damage';

/**
 * What the background monitor shows, decided from the helper's status, what
 * the monitor decided last time and the clock. The app only carries out the
 * decision (src/app/monitor.ts); docs/monitor.md says the same for users.
 *
 * 1. Backup failed: the last run failed (a cancelled or skipped run, whose
 *    destinations were all away, says nothing; a failure caused only by an
 *    absent disk is withdrawn once that disk is attached again). The
 *    notification carries the run's reason; a newer failure replaces it. It is
 *    withdrawn once a run succeeds.
 * 2. Backup succeeded: only with `onSuccess`, for a run that ended while the
 *    monitor watched (not one it finds at start); withdrawn by the next
 *    failure.
 * 3. Not seen: a destination that is not attached now, and whose last sight
 *    (the monitor seeing it attached, or a backup reaching it) is at least
 *    `remindAfterDays` whole days ago. Sent again at most once a day, with the
 *    new count. Withdrawn when it is seen again.
 * 4. Disk connected: a disk that was not attached at the last check and is
 *    now. When the schedule is due for it — a scheduled run elapsed since its
 *    last backup, or it never had one — the monitor asks for the run the
 *    timer would start (unless one runs already), which obeys the battery
 *    and metered-network conditions as the timer's does: it starts at once
 *    and the notification says so, or, while the status says a scheduled run
 *    would wait, it is recorded as postponed and the notification says until
 *    when (rule 8 runs it), with "Back Up Now". When the schedule is not due
 *    it offers "Back Up Now". Withdrawn when a backup reached the disk after
 *    it was connected, or when it is detached again.
 * 5. Space low: a disk that is low or full by `spaceState` (./free-space, the
 *    main page's rule): under `lowSpacePercent` of its size free, or under
 *    100 MiB (known while it is attached and mounted). Withdrawn when a
 *    check finds enough space again; while its space is unknown, it stays.
 * 6. Anything shown for a destination that is no longer configured and
 *    enabled is withdrawn. A notification is sent again only when what it
 *    says changed, so a check every few minutes does not repeat a popup.
 * 7. After the monitor starts again (a new login), what it had sent may be
 *    gone from the screen: every notification whose cause remains is sent
 *    again, except a reminder already sent less than a day ago and a "disk
 *    connected" about a connection that is no news any more.
 * 8. A postponed run: while the last run in the history is a scheduled run
 *    postponed (on battery, on a metered network) and automatic backups are
 *    on, the monitor asks for the scheduled run again as soon as the status
 *    says it would no longer wait. Once per end of the reason: it asks again
 *    for the same postponed run only after a status that says it would wait
 *    again, so a helper that refuses is not asked over and over.
 * 9. Space freed: a run that ended while the monitor watched and removed
 *    older backups to make room on a full destination, or local snapshots
 *    from a source disk that ran low, says so once (a failed run only its
 *    snapshots: its failure says the rest). It is not withdrawn by later
 *    runs; the next one that removes something replaces it.
 * 10. Check failed: a destination's last restore drill (`lastDrill`,
 *    docs/drills.md) found damage, or could not be done. Said once per
 *    drill; withdrawn when a later drill there checks out (or finds nothing
 *    to check), or the destination is no longer configured and enabled.
 *    It names the damaged files (or the stream) and the restore points
 *    affected (./drill-damage). When the drill marked the backup it
 *    checked, the next backup there is a full one, and the notification
 *    offers Back Up Now to make it.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the monitor remembers between checks (and restarts: it is saved as JSON). */
export interface MonitorState {
  /** Notifications on screen: id → what they said, so an unchanged one is not sent again. */
  shown: Record<string, string>;
  /** When the monitor last saw each destination attached (ISO 8601). */
  seen: Record<string, string>;
  /** When each destination was connected, while it stays attached (ISO 8601). */
  connectedAt: Record<string, string>;
  /** When each "not seen" reminder was last sent (ISO 8601). */
  reminded: Record<string, string>;
  /** Destinations known to be detached at the last check. */
  detached: string[];
  /** The last run the monitor has looked at; absent before the first check. */
  lastRunId?: string;
  /** The postponed run the monitor asked to run since its reason last ended (rule 8). */
  resumed?: string;
}

export const EMPTY_MONITOR_STATE: MonitorState = Object.freeze({ shown: {}, seen: {}, connectedAt: {}, reminded: {}, detached: [] });

export type MonitorNotification =
  /** `message`: every error's sentence, in English; `error`: the first error, for the app to word. */
  | { kind: 'backup-failed'; id: string; message: string; error?: ErrorReport }
  | { kind: 'backup-succeeded'; id: string }
  | { kind: 'not-seen'; id: string; destination: string; label: string; destinationKind: string; days: number }
  | { kind: 'disk-connected'; id: string; destination: string; label: string; backingUp: boolean; postponed?: PostponeReason }
  | { kind: 'space-low'; id: string; destination: string; label: string; freeBytes: number; sizeBytes: number }
  | { kind: 'space-freed'; id: string; freed: SpaceFreed[]; labels: Record<string, string> }
  /**
   * `damaged`: files came back wrong (`problems` of them); otherwise the check
   * itself could not be done. `freshFull`: the backup checked is marked
   * damaged, so the next backup there is a full one (src/core/parent.ts,
   * rule 7): the notification offers to make it now. `damage`: the files
   * or streams found damaged and the restore points affected, for its words.
   */
  | { kind: 'check-failed'; id: string; destination: string; label: string; damaged: boolean; problems: number; freshFull: boolean; damage: DrillDamage };

export interface MonitorDecision {
  /** Send these (new, or changed since they were sent). */
  show: MonitorNotification[];
  /** Withdraw these ids. */
  withdraw: string[];
  /**
   * Ask the helper for the run the timer would start now (StartScheduledBackup):
   * a disk came back and the schedule is due, or a postponed run's reason
   * ended. The helper postpones it again while the conditions say wait.
   */
  startScheduled: boolean;
  state: MonitorState;
}

/** Rule 7: the state to start from after a restart. What was shown is marked unsaid ('') but still known, so it is withdrawn if its cause went meanwhile. */
export function afterRestart(saved: MonitorState): MonitorState {
  return { ...saved, shown: Object.fromEntries(Object.keys(saved.shown).map((id) => [id, ''])) };
}

/** Stable notification ids: sending one again replaces it on screen. */
export const notificationId = {
  failed: 'backup-failed',
  succeeded: 'backup-succeeded',
  notSeen: (destination: string) => `not-seen-${destination}`,
  connected: (destination: string) => `disk-connected-${destination}`,
  spaceLow: (destination: string) => `space-low-${destination}`,
  spaceFreed: 'space-freed',
  checkFailed: (destination: string) => `check-failed-${destination}`,
};

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** A scheduled run elapsed since the last backup to this destination (or there never was one). */
export function scheduleDue(status: HelperStatus, destination: DestinationSummary, now: Date): boolean {
  if (!status.schedule || status.schedule.kind === 'manual') return false;
  if (!destination.lastBackup) return true;
  const next = nextRun(status.schedule, new Date(destination.lastBackup), status.timeZone ?? 'UTC');
  return next !== undefined && next.getTime() <= now.getTime();
}

/**
 * A run that failed only because a destination was not there (it stopped
 * responding, or was away) stops being a failure the moment every such
 * destination is attached again.
 */
function failureCauseGone(run: RunRecord, status: HelperStatus): boolean {
  if (standingFailure(run) !== undefined) return false;
  const named = new Set(run.transfers.filter((t) => !t.ok).map((t) => t.destination));
  const concerned = status.destinations.filter((d) => d.enabled && d.connected !== undefined && (named.size === 0 || named.has(d.id)));
  return concerned.length > 0 && concerned.every((d) => d.connected === true);
}

/** `settings`: the user's (src/app/notification-prefs.ts). */
export function decideNotifications(previous: MonitorState, status: HelperStatus, now: Date, settings: NotificationSettings = DEFAULT_NOTIFICATIONS): MonitorDecision {
  const nowIso = now.toISOString();
  const configured = new Set(status.destinations.map((d) => d.id));
  const state: MonitorState = {
    shown: {},
    seen: Object.fromEntries(Object.entries(previous.seen).filter(([id]) => configured.has(id))),
    connectedAt: {},
    reminded: {},
    detached: [],
    // '' : checked, and there was no run yet.
    lastRunId: status.lastRun?.id ?? '',
  };
  // id → [notification, what it says]; `keep` stays on screen as it is.
  const wanted = new Map<string, [MonitorNotification, string]>();
  const keep = new Set<string>();
  let startScheduled = false;

  const run = status.lastRun;
  if (run && !run.ok && run.outcome === undefined && run.error?.code !== 'Cancelled') {
    if (!failureCauseGone(run, status)) {
      const message = failureMessage(run) ?? '';
      const error = firstFailure(run);
      wanted.set(notificationId.failed, [{ kind: 'backup-failed', id: notificationId.failed, message, ...(error ? { error } : {}) }, `${run.id}`]);
    }
  } else if (run && !run.ok) {
    // A cancelled, skipped or postponed run changes nothing.
    keep.add(notificationId.failed);
  }
  // Rule 9. A failed run's own message already says what it removed to make room at a destination.
  const freed = (run?.spaceFreed ?? []).filter((f) => run?.ok || f.side === 'local');
  if (run && freed.length > 0 && previous.lastRunId !== undefined && previous.lastRunId !== run.id) {
    const labels = Object.fromEntries(status.destinations.map((d) => [d.id, d.label]));
    wanted.set(notificationId.spaceFreed, [{ kind: 'space-freed', id: notificationId.spaceFreed, freed, labels }, run.id]);
  } else {
    // News, not a condition: it stays until a newer run replaces it, or the user dismisses it.
    keep.add(notificationId.spaceFreed);
  }
  if (run?.ok && settings.onSuccess) {
    const isNew = previous.lastRunId !== undefined && previous.lastRunId !== run.id;
    if (isNew) wanted.set(notificationId.succeeded, [{ kind: 'backup-succeeded', id: notificationId.succeeded }, run.id]);
    else keep.add(notificationId.succeeded);
  }

  for (const d of status.destinations.filter((d) => d.enabled)) {
    if (d.connected === true) state.seen[d.id] = nowIso;
    if (d.connected === false) state.detached.push(d.id);

    const lastSeen = later(state.seen[d.id], d.lastBackup);
    const notSeen = notificationId.notSeen(d.id);
    if (d.connected !== true && lastSeen && settings.remindAfterDays > 0) {
      const days = Math.floor((now.getTime() - Date.parse(lastSeen)) / DAY_MS);
      const reminded = previous.reminded[d.id];
      if (days >= settings.remindAfterDays) {
        if (previous.shown[notSeen] !== undefined && reminded && now.getTime() - Date.parse(reminded) < DAY_MS) {
          keep.add(notSeen);
          state.reminded[d.id] = reminded;
        } else {
          const n: MonitorNotification = { kind: 'not-seen', id: notSeen, destination: d.id, label: d.label, destinationKind: d.kind, days };
          wanted.set(notSeen, [n, `${days}`]);
          state.reminded[d.id] = nowIso;
        }
      }
    }

    const connected = notificationId.connected(d.id);
    if (d.connected === true) {
      const arrived = previous.detached.includes(d.id);
      const since = arrived ? nowIso : previous.connectedAt[d.id];
      if (since !== undefined) state.connectedAt[d.id] = since;
      const backedUpSince = since !== undefined && d.lastBackup !== undefined && Date.parse(d.lastBackup) >= Date.parse(since);
      if (arrived) {
        const due = scheduleDue(status, d, now) && !status.running;
        const waits = due ? status.wouldPostpone : undefined;
        startScheduled ||= due;
        const n: MonitorNotification = { kind: 'disk-connected', id: connected, destination: d.id, label: d.label, backingUp: due && !waits, ...(waits ? { postponed: waits } : {}) };
        wanted.set(connected, [n, nowIso]);
      } else if (!backedUpSince) {
        keep.add(connected);
      }
    }

    // Rule 10.
    const drill = d.lastDrill;
    if (drill && (drill.outcome === 'damaged' || drill.outcome === 'failed')) {
      const id = notificationId.checkFailed(d.id);
      const damaged = drill.outcome === 'damaged';
      const freshFull = damaged && drill.sources.some((s) => s.damaged === true);
      const damage = drillDamage(drill);
      const n: MonitorNotification = { kind: 'check-failed', id, destination: d.id, label: d.label, damaged, problems: drillProblems(drill).length, freshFull, damage };
      wanted.set(id, [n, drill.id]);
    }

    const spaceLow = notificationId.spaceLow(d.id);
    if (d.freeBytes !== undefined && d.sizeBytes !== undefined && d.sizeBytes > 0) {
      if (spaceState(d.freeBytes, d.sizeBytes, settings.lowSpacePercent) !== 'ok') {
        const n: MonitorNotification = { kind: 'space-low', id: spaceLow, destination: d.id, label: d.label, freeBytes: d.freeBytes, sizeBytes: d.sizeBytes };
        // Said once while it stays low: a changing byte count is no news.
        if (previous.shown[spaceLow] === 'low') keep.add(spaceLow);
        else wanted.set(spaceLow, [n, 'low']);
      }
    } else {
      // Detached or not mounted: nothing new is known about its space.
      keep.add(spaceLow);
    }
  }

  // Rule 8.
  const pending = run?.outcome === 'postponed' && status.schedule !== undefined && status.schedule.kind !== 'manual' ? run : undefined;
  if (pending && (status.running || status.wouldPostpone === undefined)) {
    if (!status.running && previous.resumed !== pending.id) startScheduled = true;
    state.resumed = pending.id;
  }

  const show: MonitorNotification[] = [];
  for (const [id, [notification, says]] of wanted) {
    state.shown[id] = says;
    if (previous.shown[id] !== says) show.push(notification);
  }
  const withdraw: string[] = [];
  for (const [id, says] of Object.entries(previous.shown)) {
    if (wanted.has(id)) continue;
    if (keep.has(id)) state.shown[id] = says;
    else withdraw.push(id);
  }
  return { show, withdraw, startScheduled, state };
}
