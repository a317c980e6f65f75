import type { RunRecord } from '../core/status';
import { _ } from './i18n';

export interface Problem {
  icon: string;
  /** Names what happened. */
  title: string;
  /** What happened in detail and what to do: the helper's sentence, which says both. */
  whatToDo: string;
}

/** The first error of a failed run: the run's own, a source's, then a transfer's. */
export function firstError(run: RunRecord): { code: string; message: string } | undefined {
  return run.error ?? run.sourceProblems?.[0]?.error ?? run.transfers.find((t) => !t.ok && t.error)?.error;
}

/**
 * A failed run as the main page heads it. The helper's message already says
 * what happened and what to do; the heading names the kind of problem.
 */
export function problemFor(run: RunRecord): Problem {
  const error = firstError(run);
  const message = error?.message ?? _('The backup failed. Try again.');
  switch (error?.code) {
    case 'SourceNotBtrfs':
      return {
        icon: 'folder-symbolic',
        title: _('This folder cannot be backed up'),
        whatToDo: `${message} ${_('Rewind copies only what changed by comparing btrfs snapshots, so it can back up only folders that are btrfs subvolumes. Choose another folder in Preferences.')}`,
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
