import { isPlainText } from '../core/plain-text';
import { _ } from './i18n';

/**
 * What a screen says about a helper's error. The helper's message names the
 * cause and what to do, and is shown as it is when it is plain words
 * (src/core/plain-text.ts); one with a device path, a snapshot name, a
 * validator's field path or btrfs words belongs to the CLI and the history's
 * details, so a screen says the sentence for its code instead.
 */
const SENTENCES: Record<string, () => string> = {
  NotAuthorized: () => _('The system’s policy does not allow this account to do that. Ask an administrator.'),
  Dismissed: () => _('Authentication was cancelled. Try again to authenticate.'),
  Busy: () => _('A backup is running. Wait for it to finish, or cancel it.'),
  NotConfigured: () => _('Backups are not set up yet. Set up backups first.'),
  InvalidConfig: () => _('The backup settings on this computer cannot be used. Set up backups again, or ask an administrator to check them.'),
  InvalidArgs: () => _('That could not be done: what was chosen may have changed in the meantime. Look again, then choose again.'),
  SourceNotBtrfs: () => _('A folder cannot be backed up: Rewind backs up folders it can take snapshots of, such as /home on Fedora. Choose other folders in Preferences.'),
  SourceMissing: () => _('A folder to back up is missing. Check that it exists and that its disk is connected.'),
  DestinationMissing: () => _('The backup disk is not connected. Connect it, then try again.'),
  DestinationFull: () => _('The backup disk is full. Free up space on it, or use a larger one.'),
  TransferFailed: () => _('Copying the backup failed. Try again; if it keeps failing, check the backup disk.'),
  BackupDamaged: () => _('A backup is damaged and cannot be used. Restore from another point in time, and check the backup disk.'),
  WrongKey: () => _('The key does not open these backups. Use the recovery key Rewind showed when encryption was turned on.'),
  HostKeyUnknown: () => _('The backup server’s identity is not confirmed yet. Add the server again to compare its key and confirm it.'),
  HostKeyChanged: () => _('The backup server shows a different key than before. If it was reinstalled, confirm its new key; otherwise do not connect to it.'),
  HostUnreachable: () => _('The backup server could not be reached. Check that it is on and connected to the network.'),
  KeyNotAccepted: () => _('The backup server did not accept this computer’s key; it may have been removed there. An administrator of the server can accept it again with the command Rewind showed when the server was added. The backups already there are kept.'),
  ConnectionLost: () => _('The connection to the backup server was lost. The next backup continues from the last complete one.'),
  Cancelled: () => _('The backup was cancelled. Nothing was lost.'),
  Timeout: () => _('The backup helper did not answer in time. Try again.'),
};

/** The sentence a screen shows for an error of `code`. */
export function sentenceFor(code: string | undefined): string {
  const sentence = code ? SENTENCES[code] : undefined;
  return sentence ? sentence() : _('Something went wrong in Rewind. If it happens again, please report it with the system log.');
}

/** The helper's message when it is plain words, else the sentence for its code. */
export function screenMessage(error: { code?: string; message?: string } | undefined): string {
  const message = error?.message?.trim();
  return message && isPlainText(message) ? message : sentenceFor(error?.code);
}
