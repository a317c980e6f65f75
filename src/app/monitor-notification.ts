import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type { MonitorNotification } from '../core/monitor-rules';
import { describeSpaceFreed } from './history-format';
import { affectedSentence, namedFiles, streamWhen } from './drill-words';
import { _, fmt, ngettext } from './i18n';
import { failureText } from './error-text';

/**
 * The words and actions of each notification the monitor sends
 * (src/core/monitor-rules.ts decides which). Every one opens Rewind when
 * clicked (app.open); the actions are the application's own, so GNOME Shell
 * activates them in the running monitor over D-Bus.
 */
export function buildNotification(n: MonitorNotification): Gio.Notification {
  const notification = new Gio.Notification();
  notification.set_default_action('app.open');
  switch (n.kind) {
    case 'backup-failed':
      notification.set_title(_('Backup failed'));
      notification.set_body(failureText(n.message, n.error, _('The last backup did not complete. Open Rewind to see why.')));
      notification.set_priority(Gio.NotificationPriority.HIGH);
      notification.add_button(_('Open'), 'app.open');
      break;
    case 'backup-succeeded':
      notification.set_title(_('Backup complete'));
      notification.set_body(_('Your files are backed up.'));
      notification.set_priority(Gio.NotificationPriority.LOW);
      break;
    case 'not-seen':
      if (n.destinationKind === 'ssh') {
        notification.set_title(_('Backup server not reached'));
        // Translators: %s is the server's name, %d a number of days.
        notification.set_body(fmt(ngettext('No backup has reached “%s” for %d day. Check that it is on and reachable from this computer.', 'No backup has reached “%s” for %d days. Check that it is on and reachable from this computer.', n.days).replace('%d', String(n.days)), n.label));
      } else {
        notification.set_title(_('Backup disk not connected'));
        // Translators: %s is the disk's name, %d a number of days.
        notification.set_body(fmt(ngettext('“%s” has not been connected for %d day. Connect it to back up your latest files.', '“%s” has not been connected for %d days. Connect it to back up your latest files.', n.days).replace('%d', String(n.days)), n.label));
      }
      break;
    case 'disk-connected':
      notification.set_title(_('Backup disk connected'));
      if (n.backingUp) {
        // Translators: %s is the disk's name.
        notification.set_body(fmt(_('Backing up to “%s” now, since a scheduled backup was missed while it was away.'), n.label));
      } else if (n.postponed) {
        notification.set_body(
          n.postponed === 'on-battery'
            ? // Translators: %s is the disk's name.
              fmt(_('A scheduled backup to “%s” was missed. It starts when the computer is plugged in.'), n.label)
            : // Translators: %s is the disk's name.
              fmt(_('A scheduled backup to “%s” was missed. It starts when the network connection is no longer metered.'), n.label),
        );
        notification.add_button(_('Back Up Now'), 'app.back-up-now');
      } else {
        notification.set_body(fmt(_('“%s” is ready for backups.'), n.label));
        notification.add_button(_('Back Up Now'), 'app.back-up-now');
      }
      break;
    case 'space-low':
      notification.set_title(_('Backup disk almost full'));
      // Translators: %s are an amount such as "2.1 GB", then the disk's name.
      notification.set_body(fmt(_('Only %s is free on “%s”. Rewind removes the oldest backups when it needs room; use a larger disk to keep more history.'), GLib.format_size(n.freeBytes), n.label));
      break;
    case 'space-freed': {
      const labels = new Map(Object.entries(n.labels));
      notification.set_title(n.freed.every((f) => f.side === 'local') ? _('Older snapshots removed') : _('Older backups removed'));
      notification.set_body(n.freed.map((f) => describeSpaceFreed(f, labels)).join('\n'));
      notification.set_priority(Gio.NotificationPriority.LOW);
      break;
    }
    case 'check-failed':
      notification.set_title(n.damaged ? _('Backup damaged') : _('Backup check failed'));
      notification.set_body(n.damaged ? damagedBody(n) : fmt(_('Rewind could not check the backups on “%s”. Open Rewind to see why, then choose Check Backups Now.'), n.label));
      notification.set_priority(Gio.NotificationPriority.HIGH);
      notification.add_button(_('Open'), 'app.open');
      if (n.freshFull) notification.add_button(_('Back Up Now'), 'app.back-up-now');
      break;
  }
  return notification;
}

/**
 * What was found damaged first, then the restore points it leaves not known
 * to be good, then what to do: GNOME Shell cuts a long body short, so the
 * most useful words come first.
 */
function damagedBody(n: Extract<MonitorNotification, { kind: 'check-failed' }>): string {
  const stream = streamWhen(n.damage);
  const what =
    n.damage.files.length > 0
      ? // Translators: the destination's name, then a list of files such as "Documents/a.txt, Music/b.ogg and 2 more".
        fmt(ngettext('A check of “%s” found a damaged file: %s.', 'A check of “%s” found damaged files: %s.', n.damage.files.length), n.label, namedFiles(n.damage.files))
      : stream !== undefined
        ? // Translators: the destination's name, then a restore point such as "Today 13:00".
          fmt(_('A check of “%s” found the stored backup of %s damaged: it cannot be restored.'), n.label, stream)
        : n.freshFull
          ? // Translators: %s is the destination's name. The backup checked could not be restored at all: no one file is named.
            fmt(_('A check of “%s” found a backup that could not be restored.'), n.label)
          : // Translators: %s is the destination's name.
            fmt(_('A backup on “%s” was changed after it was made and cannot be trusted.'), n.label);
  // The next backup there is a full one (the damaged one is never built on): Back Up Now makes it.
  const todo = n.freshFull
    ? _('Back up now to make a new, complete backup there; the damaged one is kept until it is done.')
    : _('Back up to another disk or server as well, and replace this one if it happens again.');
  return [what, affectedSentence(n.damage), todo].filter((s) => s).join(' ');
}
