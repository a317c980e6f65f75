import GLib from 'gi://GLib';
import type { ErrorReasonId, ErrorReasonParams } from '../core/error-reasons';
import { _ as gettext, fmt, ngettext as ngettextOf } from './i18n';

/**
 * The app's words for the helper's errors, in the user's language: one
 * sentence per reason (src/core/error-reasons.ts), filled with its
 * parameters, and one per error code for when the reason is not known.
 * Each wording is a function of a `say` whose `_` and `ngettext` are
 * gettext's, and which remembers whether any of its strings had a
 * translation: ./error-text decides from that whether the app's words
 * or the helper's own English sentence go on screen.
 */
interface Say {
  _: (msgid: string) => string;
  ngettext: (singular: string, plural: string, n: number) => string;
}

export interface Words {
  text: string;
  /** Some of it came from a translation (the user's language is not English). */
  translated: boolean;
}

/** A parameter the sentence needs: a string or a number as the helper sent it; none makes the wording fail. */
function param(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new Error('missing parameter');
}

const REASONS: { [K in ErrorReasonId]: (p: ErrorReasonParams[K], say: Say) => string } = {
  'disk-not-connected': (p, { _ }) =>
    // Translators: %s is the backup disk's name.
    fmt(_('The backup disk “%s” is not connected. Connect it, then try again.'), param(p.destination)),
  'disk-not-opened': (p, { _ }) =>
    // Translators: %s is the backup disk's name.
    fmt(_('The backup disk “%s” is connected, but it could not be opened. Connect it again; if that does not help, check the disk for errors.'), param(p.destination)),
  'disk-stopped-responding': (p, { _ }) =>
    p.destination
      ? // Translators: %s is the backup disk's name.
        fmt(_('The backup disk “%s” stopped responding during the backup. Check its cable, then try again.'), param(p.destination))
      : _('The backup disk stopped responding during the backup. Check its cable, then try again.'),
  'folder-unusable': (p, { _ }) =>
    // Translators: %s is the name of the disk, share or folder that backups go to.
    fmt(_('The backup folder on “%s” cannot be used. Check that its disk or share is connected and can be written to, then try again.'), param(p.destination)),
  'full-during-backup': (p, { _ }) =>
    p.destination
      ? // Translators: %s is the name of the disk, server or folder that backups go to.
        fmt(_('“%s” ran out of space during the backup. Free up space on it, or use a larger disk.'), param(p.destination))
      : _('The backup disk ran out of space during the backup. Free up space on it, or use a larger one.'),
  'no-room': (p, { _, ngettext }) => {
    const where = param(p.destination);
    const fits =
      typeof p.freeBytes === 'number'
        ? // Translators: %s are an amount such as "30 MB", then the backup disk's name.
          fmt(_('This backup does not fit in the %s free on “%s”.'), GLib.format_size(p.freeBytes), where)
        : // Translators: %s is the backup disk's name.
          fmt(_('This backup does not fit on “%s”.'), where);
    const removed = Number(param(p.removed));
    const why =
      removed === 0
        ? _('No older backup there may be removed to make room.')
        : fmt(
            // Translators: %s is a number of backups.
            ngettext('The oldest backup was removed to make room, and the backups left are needed for the next one.', 'The %s oldest backups were removed to make room, and the backups left are needed for the next one.', removed),
            removed,
          );
    const todo =
      p.place === 'server'
        ? _('Whoever looks after the server can free space on the disk that holds its backup folder, or you can add the server again with a folder on a larger disk. The backups already there are kept.')
        : _('Delete other files from the disk, or use a larger one.');
    return `${fits} ${why} ${todo}`;
  },
  'restore-no-space': (p, { _ }) =>
    // Translators: %s is the folder the files are restored into.
    fmt(_('There is not enough space in “%s” for the restored files. Make room there, or restore into a folder on another disk.'), param(p.folder)),
  'read-snapshot-failed': (_p, { _ }) => _('Copying the backup failed: the snapshot of your files could not be read. Try again; if it keeps failing, check this computer’s disk for errors.'),
  'receive-failed': (p, { _ }) =>
    p.destination
      ? // Translators: %s is the name of the disk or server that backups go to.
        fmt(_('Copying the backup failed: “%s” did not take it. Try again; if it keeps failing, check the backup disk for errors.'), param(p.destination))
      : _('Copying the backup failed: the backup disk did not take it. Try again; if it keeps failing, check the backup disk for errors.'),
  'transfer-killed': (_p, { _ }) => _('Copying the backup stopped because a program it needs was stopped. Try again.'),
  'stream-interrupted': (_p, { _ }) => _('Copying the backup was interrupted before it was complete. Try again; the next backup continues from the last complete one.'),
  'arrived-incomplete': (p, { _ }) =>
    // Translators: %s is the name of the disk or server that backups go to.
    fmt(_('The backup arrived incomplete on “%s”. Try again; if it keeps failing, check the backup disk for errors.'), param(p.destination)),
  'server-closed': (_p, { _ }) => _('The backup server ended the connection. Try again; the next backup continues from the last complete one.'),
  'server-not-rewind': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The server “%s” answered, but Rewind did not start there. Check that Rewind is installed on the server and that this computer’s key is set up there, then try again.'), param(p.server)),
  'restore-copy-failed': (p, { _ }) =>
    // Translators: %s is the folder the files are restored into.
    fmt(_('Copying the files out of the backup into “%s” failed. Check that the folder can be written to, then try again.'), param(p.folder)),
  'server-unreachable': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The backup server “%s” could not be reached. Check that it is on and connected to the network, then try again.'), param(p.server)),
  'key-not-accepted': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The backup server “%s” did not accept this computer’s key; it may have been removed there. An administrator of the server can accept it again with the command Rewind showed when the server was added. The backups already there are kept.'), param(p.server)),
  'host-key-changed': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The backup server “%s” shows a different key than before, so Rewind did not connect. If it was reinstalled, confirm its new key; otherwise do not connect to it.'), param(p.server)),
  'host-key-unknown': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The identity of the backup server “%s” is not confirmed yet. Add the server again to compare its key and confirm it.'), param(p.server)),
  'connection-lost': (p, { _ }) =>
    // Translators: %s is the backup server's name.
    fmt(_('The connection to the backup server “%s” was lost. The next backup continues from the last complete one.'), param(p.server)),
  'source-folder-missing': (p, { _ }) =>
    // Translators: %s is a folder that is backed up.
    fmt(_('The folder “%s” does not exist, so it could not be backed up. Check that it exists and that its disk is connected.'), param(p.folder)),
  'restore-not-readable': (p, { _ }) =>
    p.name
      ? // Translators: %s is a file or folder in a restore point.
        fmt(_('Your account may not read “%s” in this restore point. An administrator of this computer can restore it for you.'), param(p.name))
      : _('Your account may not read this restore point. An administrator of this computer can restore it for you.'),
  'restore-not-in-backup': (p, { _ }) =>
    // Translators: %s is a file or folder to restore.
    fmt(_('“%s” is not in this backup. Look again, then choose again.'), param(p.name)),
  'restore-path-too-long': (p, { _ }) =>
    // Translators: %s is the folder the files are restored into.
    fmt(_('A path is too long to restore into “%s”. Restore into a folder with a shorter path.'), param(p.folder)),
  'restore-target-changed': (p, { _ }) =>
    // Translators: %s is the folder the files are restored into.
    fmt(_('Something new appeared in “%s” during the restore, so nothing was replaced. Look there, then try again.'), param(p.folder)),
  'restore-file-damaged': (p, { _ }) =>
    // Translators: %s is the name of the disk, server or folder the backups are on.
    fmt(_('A file of the backups on “%s” is damaged, and this point in time needs it, so it cannot be restored from there. Choose another point in time or another backup, and check that disk for errors.'), param(p.destination)),
};

/** What to say for each error code when its reason is not known (or the helper gave none). */
const CODES: Record<string, (say: Say) => string> = {
  NotAuthorized: ({ _ }) => _('The system’s policy does not allow this account to do that. Ask an administrator.'),
  Dismissed: ({ _ }) => _('Authentication was cancelled. Try again to authenticate.'),
  Busy: ({ _ }) => _('A backup is running. Wait for it to finish, or cancel it.'),
  NotConfigured: ({ _ }) => _('Backups are not set up yet. Set up backups first.'),
  InvalidConfig: ({ _ }) => _('The backup settings on this computer cannot be used. Set up backups again, or ask an administrator to check them.'),
  InvalidArgs: ({ _ }) => _('That could not be done: what was chosen may have changed in the meantime. Look again, then choose again.'),
  SourceNotBtrfs: ({ _ }) => _('A folder cannot be backed up: Rewind backs up folders it can take snapshots of, such as /home on Fedora. Choose other folders in Preferences.'),
  SourceMissing: ({ _ }) => _('A folder to back up is missing. Check that it exists and that its disk is connected.'),
  DestinationMissing: ({ _ }) => _('The backup disk is not connected. Connect it, then try again.'),
  DestinationFull: ({ _ }) => _('The backup disk is full. Free up space on it, or use a larger one.'),
  TransferFailed: ({ _ }) => _('Copying the backup failed. Try again; if it keeps failing, check the backup disk.'),
  BackupDamaged: ({ _ }) => _('A backup is damaged and cannot be used. Restore from another point in time, and check the backup disk.'),
  WrongKey: ({ _ }) => _('The key does not open these backups. Use the recovery key Rewind showed when encryption was turned on.'),
  HostKeyUnknown: ({ _ }) => _('The backup server’s identity is not confirmed yet. Add the server again to compare its key and confirm it.'),
  HostKeyChanged: ({ _ }) => _('The backup server shows a different key than before. If it was reinstalled, confirm its new key; otherwise do not connect to it.'),
  HostUnreachable: ({ _ }) => _('The backup server could not be reached. Check that it is on and connected to the network.'),
  KeyNotAccepted: ({ _ }) => _('The backup server did not accept this computer’s key; it may have been removed there. An administrator of the server can accept it again with the command Rewind showed when the server was added. The backups already there are kept.'),
  ConnectionLost: ({ _ }) => _('The connection to the backup server was lost. The next backup continues from the last complete one.'),
  Cancelled: ({ _ }) => _('The backup was cancelled. Nothing was lost.'),
  Timeout: ({ _ }) => _('The backup helper did not answer in time. Try again.'),
  Internal: ({ _ }) => _('Something went wrong in Rewind. If it happens again, please report it with the system log.'),
};

function speak(wording: (say: Say) => string): Words | undefined {
  let translated = false;
  const say: Say = {
    _: (msgid) => {
      const text = gettext(msgid);
      if (text !== msgid) translated = true;
      return text;
    },
    ngettext: (singular, plural, n) => {
      const text = ngettextOf(singular, plural, n);
      if (text !== (n === 1 ? singular : plural)) translated = true;
      return text;
    },
  };
  try {
    return { text: wording(say), translated };
  } catch {
    // A parameter the sentence needs is missing (a helper of another version): not this wording.
    return undefined;
  }
}

/** The sentence for a reason and its parameters, or undefined when the reason is not one this version words. */
export function reasonWords(reason: string, params: Record<string, unknown> = {}): Words | undefined {
  if (!Object.hasOwn(REASONS, reason)) return undefined;
  const wording = REASONS[reason as ErrorReasonId] as (p: Record<string, unknown>, say: Say) => string;
  return speak((say) => wording(params, say));
}

/** The sentence for an error code, or undefined for a code this version does not know. */
export function codeWords(code: string | undefined): Words | undefined {
  return code && Object.hasOwn(CODES, code) ? speak(CODES[code]) : undefined;
}
