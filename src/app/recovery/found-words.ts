import GLib from 'gi://GLib';
import { foundFolder, isOnServer, type FoundBackups } from '../../core/discovery';
import { pointLabels } from '../../core/point-labels';
import { _, fmt, ngettext } from '../i18n';
import { timelineWords } from '../timeline-words';

/**
 * How Restore from a Backup speaks of a found entry: its restore points'
 * times, what it holds in a line, and the place it is in, a disk or a
 * server, so that no page says "this disk" of backups on a server.
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

/** "Keep backing up" in the words of the entry's place: a row on the points page, a note and a button after a restore, and the page once saved. */
export interface KeepWords {
  row: string;
  rowDetail: string;
  note: string;
  button: string;
  doneTitle: string;
  done: (restoredAll: boolean) => string;
}

export function keepWords(found: FoundBackups): KeepWords {
  const place = found.disk.name;
  if (isOnServer(found)) {
    return {
      row: _('Keep backing up to this server'),
      rowDetail: _('Back up this computer to the same place from now on; the backups already there stay. The server lets this computer only read them until its administrator lets it write there.'),
      note: _('Keep backing up to this server: the next backup copies only what changes from now on.'),
      button: _('_Keep Backing Up to This Server'),
      doneTitle: _('Backups Continue on This Server'),
      done: (restoredAll) =>
        restoredAll
          ? fmt(_('This computer backs up to %s, beside the backups already there, once the server lets it write there. The next backup copies only what changed.'), place)
          : fmt(_('This computer backs up to %s, beside the backups already there, once the server lets it write there. The first backup copies all your files once.'), place),
    };
  }
  return {
    row: _('Keep backing up to this disk'),
    rowDetail: _('Back up this computer to the same place from now on; the backups already there stay. The first backup copies all your files once.'),
    note: _('Keep backing up to this disk: the next backup copies only what changes from now on.'),
    button: _('_Keep Backing Up to This Disk'),
    doneTitle: _('Backups Continue on This Disk'),
    done: (restoredAll) =>
      restoredAll
        ? fmt(_('This computer backs up to %s, beside the backups already there. The next backup copies only what changed.'), place)
        : fmt(_('This computer backs up to %s, beside the backups already there. The first backup copies all your files once.'), place),
  };
}
