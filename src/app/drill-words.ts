import GLib from 'gi://GLib';
import { drillCompared, drillProblems, type DrillRecord } from '../core/drill';
import { isPlainText } from '../core/plain-text';
import { _, fmt, ngettext } from './i18n';

/**
 * A restore drill (docs/drills.md) in the app's words: the main page's "Last
 * checked 3 days ago: all 6 sampled files came back identical" and what
 * Check Backups Now says when it ends. The helper's problems name files in
 * English sentences; here only the files are named, and what to do.
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

/** The files a damaged drill names ("Documents/a.txt: its content differs…"), without the helper's sentences. */
function damagedFiles(record: DrillRecord): string[] {
  const files = drillProblems(record).flatMap((p) => {
    const m = /^(.+?): (it|its) /.exec(p);
    return m ? [m[1]] : [];
  });
  return [...new Set(files)];
}

/** What the drill found, without when. */
export function describeDrillOutcome(record: DrillRecord): string {
  const compared = drillCompared(record);
  switch (record.outcome) {
    case 'identical':
      // Translators: the number of files restored as a check.
      return fmt(ngettext('the sampled file came back identical', 'all %s sampled files came back identical', compared), compared);
    case 'damaged': {
      const files = damagedFiles(record);
      const named = files.slice(0, MAX_FILES_NAMED).join(', ');
      const more = files.length > MAX_FILES_NAMED ? fmt(ngettext(' and %s more', ' and %s more', files.length - MAX_FILES_NAMED), files.length - MAX_FILES_NAMED) : '';
      const what =
        files.length > 0
          ? // Translators: a list of files, such as "Documents/a.txt, Music/b.ogg and 2 more".
            fmt(_('some files did not come back as they were backed up (%s)'), `${named}${more}`)
          : _('a backup there was changed after it was made and cannot be trusted');
      return `${what}. ${_('Back up to another disk or server as well, and replace this one if it happens again.')}`;
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
