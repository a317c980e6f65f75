import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { helperBundlePath } from '../entry/own-bundle';

/** The codec's own bundle beside the helper's, if it is there (else the helper's own verb). */
function codecBundlePath(helperBundle: string): string {
  const codec = path.join(path.dirname(helperBundle), 'rewind-stream-codec.cjs');
  return existsSync(codec) ? codec : helperBundle;
}

/**
 * bash -c PIPE_SCRIPT NAME CODEC…: the three commands in one pipe, each with
 * its own stderr (fds 3, 4, 5) and no other extra fds; fd 6 gets the exit
 * statuses. The codec starts at once and waits for its options on fd 8;
 * send and receive wait for their command lines (NUL-separated words) on fds
 * 7 and 9.
 * No command on fd 7 or 9 (the helper went): status 125.
 */
const PIPE_SCRIPT = [
  'stage() { local -a cmd; mapfile -d "" -t cmd <&"$1"; exec 7<&- 8<&- 9<&-; ((${#cmd[@]})) || exit 125; exec "${cmd[@]}"; }',
  'stage 7 2>&3 3>&- 4>&- 5>&- 6>&- | "$@" 2>&4 3>&- 4>&- 5>&- 6>&- 7<&- 9<&- | stage 9 2>&5 3>&- 4>&- 5>&- 6>&-',
  'echo "${PIPESTATUS[@]}" >&6',
].join('\n');

/** The codec's option: read the options as JSON from this descriptor. */
export const CODEC_OPTIONS_FD = 8;

export interface PipeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/**
 * Starts `btrfs send | rewind-helper stream-codec | btrfs receive` for one
 * transfer (`sendReceive`, for a disk that filters xattrs); the caller then
 * writes the codec's options and the two command lines to their fds. A
 * helper that dies closes its end of those pipes, and the waiting processes
 * exit.
 */
export function startCodecPipe(helperBundle: string = helperBundlePath()): { process: ChildProcess; exit: Promise<PipeExit> } {
  const codec = [process.execPath, codecBundlePath(helperBundle), 'stream-codec', `--options-fd=${CODEC_OPTIONS_FD}`];
  // bash makes the two pipes: kernel pipes, blocking, as in a shell. (Node's
  // own stdio 'pipe' is a non-blocking socket pair: the codec then spins on
  // EAGAIN and the transfer is several times slower.)
  // A process group of its own, so that cancelling stops all three at once.
  const child = spawn('bash', ['-c', PIPE_SCRIPT, 'rewind-transfer', ...codec], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exit = new Promise<PipeExit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  // A pipe whose processes died refuses the commands: that is reported by its exit.
  for (const fd of [7, 8, 9]) (child.stdio[fd] as Writable | null)?.on('error', () => undefined);
  return { process: child, exit };
}

export function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}
