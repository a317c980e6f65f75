import type { Headline } from '../core/headline';
import { firstFailure } from '../core/run-failure';
import type { RunRecord } from '../core/status';
import { formatWhen } from './format';
import { _, fmt } from './i18n';
import { screenMessage } from './error-text';

export interface Problem {
  icon: string;
  /** Names what happened. */
  title: string;
  /** What happened in detail and what to do: the helper's sentence, which says both, or the app's for its code (./error-text). */
  whatToDo: string;
}


/**
 * A failed run as the main page heads it. The helper's message already says
 * what happened and what to do; the heading names the kind of problem.
 */
export function problemFor(run: RunRecord): Problem {
  const error = firstFailure(run);
  const message = error ? screenMessage(error) : _('The backup failed. Try again.');
  switch (error?.code) {
    case 'SourceNotBtrfs':
      return {
        icon: 'folder-symbolic',
        title: _('This folder cannot be backed up'),
        whatToDo: error && error.message !== message ? message : `${message} ${_('Rewind copies only what changed since the last backup by comparing snapshots, so it backs up only folders it can take snapshots of, such as /home on Fedora. Choose another folder in Preferences.')}`,
      };
    case 'SourceMissing':
      return { icon: 'folder-symbolic', title: _('A folder to back up is missing'), whatToDo: message };
    case 'DestinationMissing':
      return { icon: 'drive-harddisk-symbolic', title: _('The backup disk is not connected'), whatToDo: message };
    case 'DestinationFull':
      return { icon: 'drive-harddisk-symbolic', title: _('The backup disk is full'), whatToDo: message };
    case 'HostUnreachable':
    case 'ConnectionLost':
      return { icon: 'network-offline-symbolic', title: _('The backup server could not be reached'), whatToDo: message };
    case 'HostKeyUnknown':
    case 'HostKeyChanged':
    case 'KeyNotAccepted':
      return { icon: 'dialog-password-symbolic', title: _('The backup server needs attention'), whatToDo: message };
    case 'NotAuthorized':
      return { icon: 'changes-prevent-symbolic', title: _('Not allowed to back up'), whatToDo: message };
    case 'InvalidConfig':
      return { icon: 'dialog-error-symbolic', title: _('The backup settings are not valid'), whatToDo: message };
    default:
      return { icon: 'dialog-warning-symbolic', title: _('The last backup failed'), whatToDo: message };
  }
}

/** What the top of the main page shows for a headline (src/core/headline.ts). */
export interface PageHeadline {
  icon: string;
  title: string;
  description: string;
}

export function describeHeadline(h: Headline): PageHeadline {
  const cancelled = _('The last backup was cancelled. Nothing was lost; the next backup continues from the last complete one.');
  switch (h.kind) {
    case 'running':
      return { icon: 'emblem-synchronizing-symbolic', title: _('Backing up…'), description: _('You can keep working while your files are copied.') };
    case 'not-configured':
      return { icon: 'drive-harddisk-symbolic', title: _('Backups are not set up'), description: _('Choose where to back up to in Preferences.') };
    case 'failed': {
      const problem = problemFor({ id: '', started: '', finished: '', ok: false, transfers: [], error: h.error.message ? h.error : undefined });
      return { icon: problem.icon, title: problem.title, description: problem.whatToDo };
    }
    case 'damaged': {
      const names = h.destinations.join(', ');
      return {
        icon: 'dialog-warning-symbolic',
        title: _('A backup check found damage'),
        description: fmt(
          // Translators: %s is the name of a backup disk or server (or several, separated by commas).
          _('Files restored from “%s” as a check did not come back as they were backed up, so the backups there cannot be trusted. Back up now to make a new, complete backup there; the damaged one is kept until it is done.'),
          names,
        ),
      };
    }
    case 'waiting': {
      const names = h.destinations.join(', ');
      const last = h.lastBackup
        ? // Translators: when the last backup was made, such as "Yesterday at 14:03".
          fmt(_('Last backup: %s.'), formatWhen(h.lastBackup))
        : _('No backup has been made yet.');
      return {
        icon: 'drive-harddisk-symbolic',
        // Translators: the backup disk's name, such as "Waiting for Blue USB disk".
        title: fmt(_('Waiting for %s'), names),
        description: `${fmt(_('Connect %s and the next backup starts on its own, or back up now.'), names)} ${last}`,
      };
    }
    case 'backed-up': {
      const notes = [
        ...(h.away.length > 0 ? [fmt(_('%s is not connected; it is backed up to when it is.'), h.away.join(', '))] : []),
        ...(h.cancelled ? [cancelled] : []),
      ];
      return { icon: 'emblem-ok-symbolic', title: _('Your files are backed up'), description: notes.join(' ') };
    }
    case 'never':
      return {
        icon: 'drive-harddisk-symbolic',
        title: _('Not backed up yet'),
        description: h.cancelled ? cancelled : _('Back up now to make the first copy of your files.'),
      };
  }
}
