import GLib from 'gi://GLib';
import { foundFolder, isOnServer, type FoundBackups } from '../../core/discovery';
import { pointLabels } from '../../core/point-labels';
import { _, fmt, ngettext } from '../i18n';
import { timelineWords } from '../timeline-words';

/**
 * How Restore from a Backup speaks of a found entry: its restore points'
 * times, what it holds in a line, and what may follow a restore from the
 * place it is in, a disk or a server, so that no page says "this disk" of
 * backups on a server.
 */

/** The points' times in the timeline's words, two of one minute told apart by their seconds. */
export function labelsOf(found: FoundBackups): Map<string, string> {
  return pointLabels(foundFolder(found)!.points, new Date(), timelineWords());
}

/** Whose a found entry is: the computer's name, or, for the snapshots of an old system disk that names none, an earlier installation. */
export function computerOf(found: FoundBackups): string {
  return found.host || _('An earlier installation');
}

/** What a found entry holds, in a line: what, how many points from when to when, and how big. */
export function describeFound(found: FoundBackups): string {
  const home = foundFolder(found)!;
  const labels = labelsOf(found);
  const when = (name: string) => labels.get(name)!;
  const what = found.folders.length === 1 && home.folder === '/home' ? _('Home folders') : found.folders.map((f) => f.folder).join(', ');
  const points = fmt(ngettext('%s restore point', '%s restore points', home.points.length), home.points.length);
  const span = home.points.length === 1 ? when(home.points[0]) : fmt(_('from %s to %s'), when(home.points[0]), when(home.points[home.points.length - 1]));
  const used = (bytes: number) => (isOnServer(found) ? fmt(_('%s used on the server'), GLib.format_size(bytes)) : fmt(_('%s used on the disk'), GLib.format_size(bytes)));
  const amount = found.bytes !== undefined ? GLib.format_size(found.bytes) : found.diskUsedBytes !== undefined ? used(found.diskUsedBytes) : '';
  const kind = found.kind === 'snapshots' ? _('Snapshots kept on the old computer’s disk') : '';
  return [kind, what, `${points}, ${span}`, amount].filter((s) => s !== '').join(' · ');
}

/**
 * What the page after a whole restore says of backing up from now on. From
 * a disk, "Keep Backing Up to This Disk" follows. A server lets a fresh
 * install's key only read there (accept-key --read-only) and the helper
 * refuses to keep backing up there, so a server's backups get a note
 * instead of a button that could only fail.
 */
export function keepNote(found: FoundBackups): string {
  if (found.kind === 'snapshots') return _('These were snapshots kept on the old computer’s disk, not backups. To keep your files safe from now on, set up backups.');
  return isOnServer(found)
    ? _('To keep backing up to this server, its administrator first lets this computer write there; then add the server when you set up backups.')
    : _('Keep backing up to this disk: the next backup copies only what changes from now on.');
}
