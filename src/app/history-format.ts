import GLib from 'gi://GLib';
import type { RunRecord, SpaceFreed, TransferRecord } from '../core/status';
import { describePostponed } from './format';
import { _, fmt, ngettext } from './i18n';
import { describeLeftOut } from './left-out-text';
import { problemFor } from './problems';

/** "less than a second", "12 seconds", "3 minutes", "1 hour 5 minutes". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 1) return _('less than a second');
  if (s < 60) return fmt(ngettext('%s second', '%s seconds', s), s);
  const minutes = Math.round(s / 60);
  if (minutes < 60) return fmt(ngettext('%s minute', '%s minutes', minutes), minutes);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const h = fmt(ngettext('%s hour', '%s hours', hours), hours);
  // Translators: a duration in hours and minutes, such as "1 hour 5 minutes".
  return rest === 0 ? h : fmt(_('%s %s'), h, fmt(ngettext('%s minute', '%s minutes', rest), rest));
}

function runSeconds(run: RunRecord): number {
  const ms = Date.parse(run.finished) - Date.parse(run.started);
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

/** A run's line in the history: the heading of its problem, or what it copied, where, and how long it took. */
export function describeRunSummary(run: RunRecord, labels: Map<string, string>): string {
  // Nothing ran: no duration to give.
  if (run.outcome === 'postponed') return describePostponed(run.postponed);
  const took = formatDuration(runSeconds(run));
  if (run.outcome === 'skipped') {
    // Translators: a run that found no backup disk or server connected, then how long it took.
    return fmt(_('%s · %s'), _('Skipped: no backup disk or server was connected'), took);
  }
  if (!run.ok) {
    // Translators: what went wrong, then how long the run took ("The backup disk is full · 3 seconds").
    return fmt(_('%s · %s'), problemFor(run).title, took);
  }
  const destinations = [...new Set(run.transfers.filter((t) => t.ok).map((t) => labels.get(t.destination) ?? t.destination))];
  if (destinations.length === 0) return fmt(_('%s · %s'), _('Snapshots taken; no destination was connected'), took);
  // Translators: where the backups are; nothing had changed since the last backup, so nothing was copied.
  if (run.transfers.every((t) => t.kind === 'up-to-date')) return fmt(_('To %s — nothing changed since the last backup'), destinations.join(', '));
  const bytes = run.transfers.reduce((sum, t) => sum + t.bytes, 0);
  // Translators: where the backup went, how much it copied ("1.2 GB"), and how long it took.
  return fmt(_('To %s — %s copied in %s'), destinations.join(', '), GLib.format_size(bytes), took);
}

/** One transfer's line: "Full backup · 3.1 MB · 2 seconds", or its error sentence; then why a damaged backup was not built on. */
export function describeTransfer(transfer: TransferRecord): string {
  if (!transfer.ok) return transfer.error?.message ?? _('This copy failed.');
  if (transfer.kind === 'up-to-date') return _('Already there: nothing changed since the last backup');
  const kind = transfer.kind === 'full' ? _('Full backup: every file copied') : _('Incremental backup: only what changed');
  const line = fmt(_('%s · %s · %s'), kind, GLib.format_size(transfer.bytes), formatDuration(transfer.seconds));
  // The helper's sentence on a damaged earlier backup, as its error messages are shown.
  const lines = [line, ...(transfer.damagedParent ? [transfer.damagedParent] : []), ...(transfer.leftOut ? [describeLeftOut(transfer.leftOut)] : [])];
  return lines.join('\n');
}

/**
 * What a run removed for space, in words: the helper's record says how many
 * and where (src/core/space-notice.ts says the same for the CLI).
 */
export function describeSpaceFreed(freed: SpaceFreed, labels: Map<string, string>): string {
  const n = freed.removed.length;
  if (freed.side === 'local') {
    // Translators: the folders backed up ("/home"), then how many snapshots were removed from their disk.
    return fmt(ngettext('The disk that holds %s was running out of space, so the oldest snapshot on it was removed; your backups are kept.', 'The disk that holds %s was running out of space, so the %s oldest snapshots on it were removed; your backups are kept.', n), (freed.sources ?? []).join(', '), n);
  }
  const where = (freed.destination && labels.get(freed.destination)) || _('the backup disk');
  // Translators: the backup disk's name, then how many of its backups were removed.
  return fmt(ngettext('To make room on %s, the oldest backup was removed.', 'To make room on %s, the %s oldest backups were removed.', n), where, n);
}
