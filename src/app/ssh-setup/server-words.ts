import GLib from 'gi://GLib';
import type { ServerCheck, ServerCheckProblem } from '../../core/server-check';
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

/** What the store means for the person, in a sentence. */
export function describeStore(check: Extract<ServerCheck, { ok: true }>): string {
  return check.store === 'btrfs'
    ? _('Each backup is a complete copy of your files that you can browse on the server, and only what changed is sent.')
    : _('The server’s backup folder cannot keep snapshots, so Rewind keeps compressed backup files there; only what changed is sent.');
}

const PROBLEMS: Record<ServerCheckProblem, (folder: string) => string> = {
  'no-route': () => _('The server could not be reached. Check that it is switched on and on the network, and that the name or address and port are right.'),
  'host-key-unknown': () => _('The server’s identity is not confirmed yet. Go back and compare its fingerprint.'),
  'host-key-changed': () => _('The server’s identity changed since you confirmed it. If it was reinstalled, go back and compare the new fingerprint; otherwise do not use it.'),
  'key-not-accepted': () => _('The server did not accept this computer’s key. Run the command from the second step on the server, as an administrator, then test again.'),
  'not-installed': () => _('The server answered, but Rewind is not set up there. Install Rewind on the server and run the command from the second step, then test again.'),
  // Translators: the backup folder on the server, twice.
  'folder-missing': (folder) => fmt(_('The backup folder %s does not exist on the server. Create it there as an administrator (sudo mkdir -p %s), then test again.'), folder, folder),
  'not-writable': () => _('Rewind cannot write in the backup folder on the server. Make the folder writable for the user Rewind connects as, then test again.'),
  full: () => _('The server’s backup folder has almost no free space. Free some space there, or choose a folder on a larger disk.'),
  'too-old': () => _('The server’s Rewind is too old for this computer. Update Rewind on the server, then test again.'),
  other: () => _('The connection test failed.'),
};

export function describeProblem(check: Extract<ServerCheck, { ok: false }>, folder: string): string {
  return PROBLEMS[check.problem](folder);
}
