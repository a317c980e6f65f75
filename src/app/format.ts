import GLib from 'gi://GLib';
import type { PostponeReason } from '../core/conditions';
import { failureMessage, firstFailure } from '../core/run-failure';
import type { Schedule, Weekday } from '../core/schedule';
import type { Progress, RunRecord } from '../core/status';
import { _, fmt, ngettext } from './i18n';
import { failureText, screenMessage } from './error-text';
import { describeLeftOut, runLeftOut } from './left-out-text';
import { sourceName } from './source-name';

/** Text for a property that takes Pango markup (StatusPage descriptions, row subtitles, toasts). */
export function escapeMarkup(text: string): string {
  return GLib.markup_escape_text(text, -1);
}

/**
 * When something happened, for people: "Just now", "25 minutes ago",
 * "Today at 14:03", "Yesterday at 09:12", then a date.
 */
export function formatWhen(iso: string, now: GLib.DateTime = GLib.DateTime.new_now_local()): string {
  const utc = GLib.DateTime.new_from_iso8601(iso, null);
  if (!utc) return iso;
  const when = utc.to_local();
  if (!when) return iso;
  const minutes = Math.floor(now.difference(when) / GLib.TIME_SPAN_MINUTE);
  if (minutes >= 0 && minutes < 1) return _('Just now');
  if (minutes >= 0 && minutes < 60) {
    return fmt(ngettext('%s minute ago', '%s minutes ago', minutes), minutes);
  }
  const days = dayNumber(now) - dayNumber(when);
  // Translators: a strftime format for a time today, e.g. "Today at 14:03".
  if (days === 0) return when.format(_('Today at %H:%M')) ?? iso;
  // Translators: a strftime format for a time yesterday.
  if (days === 1) return when.format(_('Yesterday at %H:%M')) ?? iso;
  // Translators: a strftime format for an older date and time, e.g. "3 March 2025 at 14:03".
  return when.format(_('%-d %B %Y at %H:%M')) ?? iso;
}

function dayNumber(time: GLib.DateTime): number {
  return GLib.Date.new_dmy(time.get_day_of_month(), time.get_month() as GLib.DateMonth, time.get_year())
    .get_julian();
}

/** The text on the progress bar: what the helper is doing and how much it copied; `labels` name destinations by their ids. */
export function describeProgress(progress: Progress | null, labels: Map<string, string> = new Map()): string {
  if (!progress) return _('Starting…');
  const bytes = GLib.format_size(progress.bytes);
  // The folder in words ("Your home folder", "The system"), never the helper's path; it stands after a colon, as it starts with a capital.
  const folder = sourceName(progress.source);
  switch (progress.phase) {
    case 'snapshot':
      // Translators: %s is the folder being backed up, such as "Your home folder".
      return fmt(_('Preparing the backup: %s…'), folder);
    case 'send': {
      // Translators: the backup destination, the folder ("Your home folder"), and how much was copied so far ("1.2 GB").
      return progress.destination
        ? fmt(_('Copying to %s: %s — %s'), destinationLabel(labels, progress.destination), folder, bytes)
        : fmt(_('Copying: %s — %s'), folder, bytes);
    }
    case 'verify':
      // Translators: the folder ("Your home folder"), and how much was copied ("1.2 GB").
      return fmt(_('Checking the copy: %s — %s'), folder, bytes);
    case 'cleanup':
      return _('Cleaning up…');
    default:
      // Translators: %s is how much was copied so far ("1.2 GB").
      return fmt(_('Backing up — %s'), bytes);
  }
}

/** The "Last result" row: success, or what went wrong in the last run. */
export function describeRun(run: RunRecord | undefined): string {
  if (!run) return _('No backup has run yet');
  if (run.ok) return _('Success');
  return run.error ? screenMessage(run.error) : _('The backup failed.');
}

const DAY_NAMES: Record<Weekday, () => string> = {
  mon: () => _('Monday'),
  tue: () => _('Tuesday'),
  wed: () => _('Wednesday'),
  thu: () => _('Thursday'),
  fri: () => _('Friday'),
  sat: () => _('Saturday'),
  sun: () => _('Sunday'),
};

export function dayName(day: Weekday): string {
  return DAY_NAMES[day]();
}

/** "Every hour", "Every day at 12:00", "Every Monday at 09:30", "Only when you start one". */
export function describeSchedule(schedule: Schedule | undefined): string {
  switch (schedule?.kind) {
    case undefined:
    case 'hourly':
      return _('Every hour');
    case 'daily':
      // Translators: %s is a time of day such as 12:00.
      return fmt(_('Every day at %s'), schedule.at);
    case 'weekly':
      // Translators: a day of the week, then a time of day: "Every Monday at 09:30".
      return fmt(_('Every %s at %s'), dayName(schedule.day), schedule.at);
    case 'manual':
      return _('Only when you start one');
  }
}

/** When something will happen, for people: "Today at 15:00", "Tomorrow at 12:00", then a date. */
export function formatNext(iso: string, now: GLib.DateTime = GLib.DateTime.new_now_local()): string {
  const when = GLib.DateTime.new_from_iso8601(iso, null)?.to_local();
  if (!when) return iso;
  const days = dayNumber(when) - dayNumber(now);
  if (days === 0) return when.format(_('Today at %H:%M')) ?? iso;
  // Translators: a strftime format for a time tomorrow.
  if (days === 1) return when.format(_('Tomorrow at %H:%M')) ?? iso;
  // Translators: a strftime format for a date within the next week, e.g. "Monday at 09:30".
  if (days > 1 && days < 7) return when.format(_('%A at %H:%M')) ?? iso;
  return when.format(_('%-d %B %Y at %H:%M')) ?? iso;
}

/**
 * A destination's name from the status's labels (id → name). A run in the
 * history may name one removed since: its id is internal, so it is not shown.
 */
export function destinationLabel(labels: Map<string, string>, id: string): string {
  return labels.get(id) ?? _('a removed destination');
}

/** What each kind of destination is, in a few words. */
export function describeKind(kind: string): string {
  if (kind === 'btrfs') return _('Backup disk');
  if (kind === 'ssh') return _('Backup server');
  if (kind === 'files') return _('Backup files on a disk or folder');
  return kind;
}

/** "about 3 minutes left", "about 1 hour left". */
export function formatEta(seconds: number): string {
  if (seconds < 60) return _('less than a minute left');
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return fmt(ngettext('about %s minute left', 'about %s minutes left', minutes), minutes);
  const hours = Math.round(minutes / 60);
  return fmt(ngettext('about %s hour left', 'about %s hours left', hours), hours);
}

/**
 * The line under the progress bar: "42 % · 1.2 GB · 30 MB/s · about 2 minutes
 * left"; the codec's fields (fraction, rate, ETA) are there only when the helper knows them.
 */
export function describeProgressDetail(progress: Pick<Progress, 'bytes' | 'fraction' | 'bytesPerSecond' | 'etaSeconds'> | null): string {
  if (!progress) return '';
  const parts: string[] = [];
  if (typeof progress.fraction === 'number') parts.push(`${Math.floor(progress.fraction * 100)} %`);
  parts.push(GLib.format_size(progress.bytes));
  // Translators: a transfer rate, %s is a size such as "30 MB".
  if (typeof progress.bytesPerSecond === 'number' && progress.bytesPerSecond > 0) parts.push(fmt(_('%s/s'), GLib.format_size(Math.round(progress.bytesPerSecond))));
  if (typeof progress.etaSeconds === 'number' && progress.etaSeconds >= 0) parts.push(formatEta(progress.etaSeconds));
  return parts.join(' · ');
}

/** A scheduled run that waits: why, in words ("Postponed: running on battery"). */
export function describePostponed(reason: PostponeReason | undefined): string {
  return reason === 'metered-network' ? _('Postponed: the network connection is metered') : _('Postponed: running on battery');
}

/** What ends the wait of a postponed run. */
export function describeResume(reason: PostponeReason | undefined): string {
  return reason === 'metered-network' ? _('It runs when the network connection is no longer metered.') : _('It runs when the computer is plugged in.');
}

/** One run in the history: when, and what happened. */
export function describeRunDetail(run: RunRecord, labels: Map<string, string>): string {
  if (run.outcome === 'postponed') return describePostponed(run.postponed);
  if (run.outcome === 'skipped') {
    const away = [...new Set((run.skipped ?? []).map((s) => destinationLabel(labels, s.destination)))];
    // Translators: the backup disks that were not connected, so this scheduled backup waited for them.
    return fmt(_('Skipped: %s was not connected'), away.join(', '));
  }
  if (!run.ok) {
    const message = failureMessage(run);
    return failureText(message, firstFailure(run));
  }
  const destinations = [...new Set(run.transfers.map((t) => destinationLabel(labels, t.destination)))];
  const bytes = run.transfers.reduce((sum, t) => sum + t.bytes, 0);
  if (destinations.length === 0) return _('Snapshots taken; no destination was connected');
  // Translators: %s is where the backups are ("Backup disk"); nothing had changed, so nothing was copied.
  if (run.transfers.every((t) => t.kind === 'up-to-date')) return fmt(_('To %s — nothing changed since the last backup'), destinations.join(', '));
  // Translators: where the backup went, and how much it copied ("1.2 GB").
  const copied = fmt(_('To %s — %s copied'), destinations.join(', '), GLib.format_size(bytes));
  const leftOut = runLeftOut(run);
  return leftOut ? `${copied}\n${describeLeftOut(leftOut)}` : copied;
}
