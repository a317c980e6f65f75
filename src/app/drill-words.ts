import GLib from 'gi://GLib';
import { drillCompared, drillProblems, type DrillRecord } from '../core/drill';
import { drillDamage, type AffectedPoints, type DrillDamage } from '../core/drill-damage';
import { isPlainText } from '../core/plain-text';
import { pointLabels } from '../core/point-labels';
import { _, fmt, ngettext } from './i18n';
import { pointWhen, timelineWords } from './timeline-words';

/**
 * A restore drill (docs/drills.md) in the app's words: the main page's "Last
 * checked 3 days ago: all 6 sampled files came back identical" and what
 * Check Backups Now says when it ends. The helper's problems name files in
 * English sentences; here only the files are named (or the restore point
 * whose stored files are damaged), the restore points the damage leaves not
 * known to be good (src/core/drill-damage.ts), and what to do. The monitor's
 * notification uses the same words.
 */

const MAX_FILES_NAMED = 3;

/** "today", "yesterday", "3 days ago". */
export function checkedAgo(iso: string, now: GLib.DateTime = GLib.DateTime.new_now_local()): string {
  const when = GLib.DateTime.new_from_iso8601(iso, null)?.to_local();
  if (!when) return '';
  const days = Math.max(0, Math.floor(now.difference(when) / GLib.TIME_SPAN_DAY));
  if (days === 0) return _('today');
  if (days === 1) return _('yesterday');
  // Translators: how long ago backups were checked.
  return fmt(ngettext('%s day ago', '%s days ago', days), days);
}

/** "Documents/a.txt, Music/b.ogg, c.txt and 2 more". */
export function namedFiles(files: readonly string[]): string {
  const named = files.slice(0, MAX_FILES_NAMED).join(', ');
  const rest = files.length - MAX_FILES_NAMED;
  return rest > 0 ? `${named}${fmt(ngettext(' and %s more', ' and %s more', rest), rest)}` : named;
}

/** One folder's restore points not known to be good: "the backup of Today 13:00 and the 4 before it". */
function affectedPhrase(points: AffectedPoints): string {
  const labels = pointLabels(points.names, new Date(), timelineWords());
  const label = (name: string) => labels.get(name) ?? name;
  const n = points.names.length;
  const first = points.names[0];
  const last = points.names[n - 1];
  // Translators: a restore point, e.g. "the backup of Today 13:00".
  if (n === 1) return fmt(_('the backup of %s'), label(first));
  if (points.found === last) {
    // Translators: a restore point and the older ones, e.g. "the backup of Today 13:00 and the 4 before it".
    return fmt(ngettext('the backup of %s and the one before it', 'the backup of %s and the %s before it', n - 1), label(last), n - 1);
  }
  if (points.found === first) {
    // Translators: a restore point and the newer ones, e.g. "the backup of Monday 1 December 09:00 and the 3 after it".
    return fmt(ngettext('the backup of %s and the one after it', 'the backup of %s and the %s after it', n - 1), label(first), n - 1);
  }
  // Translators: restore points, e.g. "the 5 backups from Monday 1 December 09:00 to Today 13:00".
  return fmt(ngettext('the %s backups from %s to %s', 'the %s backups from %s to %s', n), n, label(first), label(last));
}

/** "Not known to be good: the backup of Today 13:00 and the 4 before it.", or '' when the drill names none. */
export function affectedSentence(damage: DrillDamage): string {
  const phrases = [...new Set(damage.affected.filter((a) => a.names.length > 0).map(affectedPhrase))];
  // Translators: the restore points a check found damaged or that may share the damage.
  return phrases.length === 0 ? '' : fmt(_('Not known to be good: %s.'), phrases.join('; '));
}

/** The restore point whose stored backup files were found damaged, in words ("Today 13:00"). */
export function streamWhen(damage: DrillDamage): string | undefined {
  const name = damage.streams[0];
  return name === undefined ? undefined : pointWhen(name);
}

/** What the drill found, without when. */
export function describeDrillOutcome(record: DrillRecord): string {
  const compared = drillCompared(record);
  switch (record.outcome) {
    case 'identical':
      // Translators: the number of files restored as a check.
      return fmt(ngettext('the sampled file came back identical', 'all %s sampled files came back identical', compared), compared);
    case 'damaged': {
      const damage = drillDamage(record);
      const stream = streamWhen(damage);
      const what =
        damage.files.length > 0
          ? // Translators: a list of files, such as "Documents/a.txt, Music/b.ogg and 2 more".
            fmt(_('some files did not come back as they were backed up (%s)'), namedFiles(damage.files))
          : stream !== undefined
            ? // Translators: a restore point, e.g. "Today 13:00".
              fmt(_('the stored backup of %s is damaged and cannot be restored'), stream)
            : record.sources.some((s) => s.damaged)
              ? // The backup checked could not be restored at all: no one file is named.
                _('files restored from a backup there as a check did not come back')
              : _('a backup there was changed after it was made and cannot be trusted');
      return [`${what}.`, affectedSentence(damage), _('Back up to another disk or server as well, and replace this one if it happens again.')].filter((s) => s).join(' ');
    }
    case 'failed': {
      const why = drillProblems(record).find((p) => isPlainText(p));
      return [_('the check could not be done'), why].filter((s) => s).join(': ');
    }
    case 'nothing-to-check':
      return _('no backup there could be compared with this computer yet');
    case 'not-connected':
      return _('it was not connected, so it was not checked');
  }
}

/** The main page's line under a destination. */
export function describeLastDrill(record: DrillRecord, now?: GLib.DateTime): string {
  // Translators: when, then what a check of the backups found: "Last checked 3 days ago: all 6 sampled files came back identical".
  return fmt(_('Last checked %s: %s'), checkedAgo(record.finished, now), describeDrillOutcome(record));
}

/** What Check Backups Now says when it ends: one line per destination. */
export function describeCheckResult(drills: readonly DrillRecord[], labels: Map<string, string>): string {
  if (drills.length === 0) return _('There is no backup destination to check.');
  return drills
    .map((d) => {
      const text = describeDrillOutcome(d);
      // Translators: the destination, then what the check found.
      return fmt(_('%s: %s'), labels.get(d.destination) ?? d.destinationName, `${text.charAt(0).toUpperCase()}${text.slice(1)}`);
    })
    .join('\n');
}

/** Whether the drill calls for attention on the page. */
export const drillWentWrong = (record: DrillRecord): boolean => record.outcome === 'damaged' || record.outcome === 'failed';
