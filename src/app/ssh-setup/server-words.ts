import GLib from 'gi://GLib';
import type { ServerCheck, ServerCheckProblem } from '../../core/server-check';
import { isRootAccount } from '../../core/server-setup';
import { _, fmt } from '../i18n';

/**
 * Add Backup Server's connection test in words (src/core/server-check.ts):
 * what the server is, or what stops it and what to do. No store kind,
 * filesystem or protocol word is shown; free space is in the units GNOME uses.
 */
export function describeServer(name: string, check: Extract<ServerCheck, { ok: true }>): string {
  const free = check.server.freeBytes;
  const how = check.store === 'btrfs' ? _('stores backups as snapshots') : _('stores backups as compressed files');
  // Translators: the server's name, how much space it has free ("1.8 TB"), and how it keeps backups.
  return free === undefined ? fmt(_('“%s” — %s'), name, how) : fmt(_('“%s” — %s free — %s'), name, GLib.format_size(free), how);
}

/** What the store means for the person, in a sentence; `user` is the account on the server. */
export function describeStore(check: Extract<ServerCheck, { ok: true }>, user: string): string {
  if (check.store === 'btrfs') return _('Each backup is a complete copy of your files that you can browse on the server, and only what changed is sent.');
  // A folder that could keep snapshots, but not for an ordinary account.
  if (check.server.filesystem === 'btrfs' && !isRootAccount(user)) {
    // Translators: %s is the user name on the server.
    return fmt(_('Backups that arrive as %s are kept as compressed backup files; only the user root can keep snapshots on this server. Only what changed is sent.'), user);
  }
  return _('The server’s backup folder cannot keep snapshots, so Rewind keeps compressed backup files there; only what changed is sent.');
}

const PROBLEMS: Record<ServerCheckProblem, (folder: string, user: string) => string> = {
  'no-route': () => _('The server could not be reached. Check that it is switched on and on the network, and that the name or address and port are right.'),
  'host-key-unknown': () => _('The server’s identity is not confirmed yet. Go back and compare its fingerprint.'),
  'host-key-changed': () => _('The server’s identity changed since you confirmed it. If it was reinstalled, go back and compare the new fingerprint; otherwise do not use it.'),
  // Translators: %s is the user name on the server.
  'key-not-accepted': (_folder, user) => fmt(_('The server did not accept this computer’s key for the user %s. Run the third command from the second step on the server, as an administrator, then test again.'), user),
  'not-installed': () => _('The server answered, but Rewind is not set up there. Run the commands from the second step on the server, then test again.'),
  // Translators: the backup folder on the server.
  'folder-missing': (folder) => fmt(_('The backup folder %s does not exist on the server. Create it there with the second command from the second step, then test again.'), folder),
  // Translators: the backup folder, then the user name on the server, twice.
  'not-writable': (folder, user) => fmt(_('The user %s cannot write in the backup folder %s on the server. An administrator there can give the folder to %s (the second command from the second step), then test again.'), user, folder, user),
  full: () => _('The server’s backup folder has almost no free space. Free some space there, or choose a folder on a larger disk.'),
  'too-old': () => _('The server’s Rewind is too old for this computer. Update Rewind on the server, then test again.'),
  other: () => _('The connection test failed.'),
};

export function describeProblem(check: Extract<ServerCheck, { ok: false }>, folder: string, user: string): string {
  return PROBLEMS[check.problem](folder, user);
}
