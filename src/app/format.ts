import GLib from 'gi://GLib';
import type { Progress, RunRecord } from '../core/status';
import { _, fmt, ngettext } from './i18n';

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

/** The text on the progress bar: what the helper is doing and how much it copied. */
export function describeProgress(progress: Progress | null): string {
  if (!progress) return _('Starting…');
  const bytes = GLib.format_size(progress.bytes);
  switch (progress.phase) {
    case 'snapshot':
      // Translators: %s is the folder being backed up.
      return fmt(_('Taking a snapshot of %s…'), progress.source);
    case 'send': {
      // Translators: the folder, the backup destination, and how much was copied so far ("1.2 GB").
      const text = progress.destination
        ? fmt(_('Copying %s to %s — %s'), progress.source, progress.destination, bytes)
        : fmt(_('Copying %s — %s'), progress.source, bytes);
      const left = formatTimeLeft(progress.etaSeconds);
      return left ? `${text}, ${left}` : text;
    }
    case 'verify':
      // Translators: the folder, and how much was copied ("1.2 GB").
      return fmt(_('Checking the copy of %s — %s'), progress.source, bytes);
    case 'cleanup':
      return _('Cleaning up…');
    default:
      // Translators: %s is how much was copied so far ("1.2 GB").
      return fmt(_('Backing up — %s'), bytes);
  }
}

/** "about 3 minutes left", when the helper knows the total; otherwise nothing. */
export function formatTimeLeft(seconds: number | undefined): string | null {
  if (seconds === undefined || !Number.isFinite(seconds)) return null;
  if (seconds < 60) return _('less than a minute left');
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return fmt(ngettext('about %s minute left', 'about %s minutes left', minutes), minutes);
  const hours = Math.round(minutes / 60);
  return fmt(ngettext('about %s hour left', 'about %s hours left', hours), hours);
}

/** The "Last result" row: success, or what went wrong in the last run. */
export function describeRun(run: RunRecord | undefined): string {
  if (!run) return _('No backup has run yet');
  if (run.ok) return _('Success');
  return run.error?.message ?? _('The backup failed.');
}
