import { constants } from 'node:os';
import { RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { isPathTooLong, pathTooLongError } from '../system/long-path-finder';

/**
 * How the processes of one transfer ended, and which failure is the cause
 * when several fail together (one dying makes the others fail with a broken
 * pipe or a cut stream), for both transfer pipes (./transfer.ts with the
 * stream codec in the middle, ./plain-transfer.ts without): a process killed
 * by a signal first, then an xattr the destination refused, a full or
 * vanished destination, a bad stream, a failed send, any other receive
 * failure.
 */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A receive that stopped at an xattr the destination's kernel refused: the run retries with the receiver rules. */
export class XattrRefused extends RewindError {
  constructor(
    detail: string,
    readonly xattr: { path: string; name: string; reason: string },
  ) {
    super('TransferFailed', detail, { advice: '' });
  }
}

/** A status as bash reports it: 128 + n for a process killed by signal n. */
export function exitOf(status: number, stderr: string): Exit {
  if (status > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals | undefined;
    if (name) return { code: null, signal: name, stderr };
  }
  return { code: status, signal: null, stderr };
}

export const failed = (e: Exit) => e.code !== 0 || e.signal !== null;

/** SIGPIPE is what the others get when one dies: a consequence, not a cause. */
export const killedBySignal = (e: Exit) => e.signal !== null && e.signal !== 'SIGPIPE';

export function killed(e: Exit, what: string): RewindError {
  return new RewindError('TransferFailed', `The transfer stopped because ${what} was killed (${e.signal}).`, { reason: reason('transfer-killed', {}) });
}

/** Everything a stream says, up to 64 KiB. */
export function collect(stream: NodeJS.ReadableStream | null | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (!stream) return resolve('');
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      if (text.length < 64 * 1024) text += d;
    });
    stream.once('end', () => resolve(text));
    stream.once('error', () => resolve(text));
  });
}

/**
 * What `btrfs receive` said when the destination refused an xattr, e.g.
 * "ERROR: lsetxattr dir/file security.capability=… failed: Invalid argument".
 */
export function refusedXattr(stderr: string): { path: string; name: string; reason: string } | undefined {
  const m = /(?:lsetxattr|set_xattr) (.*?) ([^\s=]+)=[\s\S]*? failed: ([^\n]+)/.exec(stderr);
  return m ? { path: m[1], name: m[2], reason: m[3].trim() } : undefined;
}

export function classifyReceiveFailure(stderr: string): RewindError {
  const text = stderr.trim();
  const xattr = refusedXattr(text);
  if (xattr) {
    const selinux = xattr.name === 'security.selinux';
    return new XattrRefused(
      `The backup disk refused the extended attribute ${xattr.name} of "${xattr.path}" (${xattr.reason}). ` +
        (selinux
          ? 'Set "xattrs": {"selinux": "drop"} (or "keepOnlyKnown") for this destination in the configuration, then back up again.'
          : `Add "${xattr.name}" to "xattrs": {"drop": [...]} for this destination in the configuration, then back up again.`),
      xattr,
    );
  }
  if (/No space left on device/i.test(text)) {
    return new RewindError('DestinationFull', 'The backup disk ran out of space during the backup.', { reason: reason('full-during-backup', {}) });
  }
  if (/Input\/output error|No such device|not a btrfs/i.test(text)) {
    return new RewindError('DestinationMissing', `The backup disk stopped responding during the backup (${text}).`, { reason: reason('disk-stopped-responding', {}) });
  }
  return new RewindError('TransferFailed', `Receiving the backup failed: ${text || 'no message from btrfs receive'}.`, { reason: reason('receive-failed', {}) });
}

/**
 * A failed receive whose own words name the cause (a refused xattr, a full
 * or vanished disk), or any failed receive while send succeeded: thrown.
 * A receive that only failed because send did is left to `sendFailure`.
 */
export function throwIfReceiveIsTheCause(send: Exit, receive: Exit): void {
  if (!failed(receive)) return;
  const error = classifyReceiveFailure(receive.stderr);
  if (error.code !== 'TransferFailed' || refusedXattr(receive.stderr) || !failed(send)) throw error;
}

/** Why `btrfs send` of `snapshot` failed, in words: a path too long is named briefly, on this computer. */
export async function sendFailure(send: Exit, snapshot: string): Promise<RewindError> {
  if (isPathTooLong(send.stderr)) return pathTooLongError(snapshot);
  return new RewindError('TransferFailed', `Reading the snapshot failed: ${send.stderr.trim() || `btrfs send exited with status ${send.code}`}.`, {
    reason: reason('read-snapshot-failed', {}),
  });
}
