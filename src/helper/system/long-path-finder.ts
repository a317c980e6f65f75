import { RewindError } from '../../core/errors';
import { PATH_TOO_LONG_ADVICE, pathTooLongMessage, SEND_PATH_MAX } from '../../core/long-path';
import { runCommand } from './run-command';

/** A search of a large home is bounded: after this long the message names no path. */
const SEARCH_MS = 60_000;

/**
 * The first path in `snapshot` (relative to it) longer than `btrfs send` can
 * name, or undefined. `find` walks from inside the snapshot, so it reaches
 * paths longer than any one system call could take; the pattern matches only
 * paths past the limit, so nothing else is printed.
 */
export async function findTooLongPath(snapshot: string): Promise<string | undefined> {
  // "./" and at least SEND_PATH_MAX + 1 more characters.
  const pattern = `./${'?'.repeat(SEND_PATH_MAX + 1)}*`;
  const found = await runCommand('find', ['.', '-xdev', '-path', pattern, '-print', '-quit'], { cwd: snapshot, timeoutMs: SEARCH_MS }).catch(() => '');
  return found.startsWith('./') ? found.slice(2) : undefined;
}

/** Whether btrfs send's complaint is a path too long (ENAMETOOLONG, errno 36). */
export function isPathTooLong(stderr: string): boolean {
  return /File name too long|failed with -36\b/.test(stderr);
}

/** The error for a send that failed on a long path, naming it when it can be found in time. */
export async function pathTooLongError(snapshot: string): Promise<RewindError> {
  const relative = await findTooLongPath(snapshot);
  return new RewindError('TransferFailed', pathTooLongMessage(relative), { advice: PATH_TOO_LONG_ADVICE });
}
