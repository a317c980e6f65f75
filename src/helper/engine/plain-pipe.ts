import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { collect } from './transfer-outcome';

/**
 * `btrfs send | btrfs receive`: two processes and one kernel pipe, nothing in
 * between — a local transfer at the speed of the disks. bash makes the pipe
 * (a kernel pipe, blocking, as in a shell) and reports on fd 5, one line each:
 * "send PID" and "receive PID" (so the helper can watch their progress in
 * /proc), "sent BYTES" (the stream's length: what the kernel counted for the
 * send process, read from its parent's /proc entry once it was reaped), and
 * "status S R" (the two exit statuses, 128 + n for a signal). Each process
 * has its own stderr (fds 3 and 4).
 *
 * A transfer nobody records must not complete: fd 6 is a pipe whose other
 * end only the helper holds; a watcher reads it, and its end of file — the
 * helper has gone — kills the whole process group before receive can finish.
 */
const SCRIPT = [
  'n=$1; shift',
  '{ read -r -u 6; kill -KILL 0; } 3>&- 4>&- 5>&- &',
  'watcher=$!',
  'exec 6<&-',
  'wchar() { local k v; while read -r k v; do [[ $k == wchar: ]] && W=$v; done < "/proc/$BASHPID/io"; }',
  '{',
  '  "${@:1:n}" 5>&- &',
  '  pid=$!',
  '  echo "send $pid" >&5',
  '  wchar; before=$W',
  '  wait "$pid"; status=$?',
  '  wchar; echo "sent $((W - before))" >&5',
  '  exit "$status"',
  '} 2>&3 3>&- 4>&- | { echo "receive $BASHPID" >&5; exec "${@:n+1}" 5>&-; } 2>&4 3>&- 4>&-',
  'echo "status ${PIPESTATUS[*]}" >&5',
  'kill "$watcher" 2>/dev/null',
].join('\n');

export interface PlainPipeReport {
  /** What bash said on fd 5, by key (see SCRIPT); statuses as numbers. */
  sendPid?: number;
  receivePid?: number;
  sent?: number;
  statuses?: number[];
  sendStderr: string;
  receiveStderr: string;
  /** bash's own complaints, or why it could not start. */
  bashError: string;
}

export interface PlainPipe {
  child: ChildProcess;
  /** The pids, as soon as bash has said them. */
  started: Promise<{ sendPid: number; receivePid: number } | undefined>;
  done: Promise<PlainPipeReport>;
}

/** Starts `SEND | RECEIVE` (each a command line: the program and its arguments). */
export function startPlainPipe(send: readonly string[], receive: readonly string[]): PlainPipe {
  const child = spawn('bash', ['-c', SCRIPT, 'rewind-transfer', String(send.length), ...send, ...receive], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    // A process group of its own, so that cancelling stops all of it at once.
    detached: true,
  });
  const stdio = child.stdio as unknown as Array<NodeJS.ReadableStream | Writable | null>;
  // The helper's end of the watched pipe: never written; closed when the helper goes.
  const watched = stdio[6] as Writable | null;
  watched?.on('error', () => undefined);
  const report: PlainPipeReport = { sendStderr: '', receiveStderr: '', bashError: '' };
  let announce: (pids: { sendPid: number; receivePid: number } | undefined) => void = () => undefined;
  const started = new Promise<{ sendPid: number; receivePid: number } | undefined>((resolve) => (announce = resolve));
  const lines = createInterface({ input: stdio[5] as NodeJS.ReadableStream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const [key, ...values] = line.split(' ');
    const numbers = values.map(Number);
    if (key === 'send') report.sendPid = numbers[0];
    else if (key === 'receive') report.receivePid = numbers[0];
    else if (key === 'sent') report.sent = numbers[0];
    else if (key === 'status') report.statuses = numbers;
    if (report.sendPid !== undefined && report.receivePid !== undefined) announce({ sendPid: report.sendPid, receivePid: report.receivePid });
  });
  const linesDone = new Promise<void>((resolve) => lines.once('close', resolve));
  const exited = new Promise<Error | undefined>((resolve) => {
    child.once('error', (error) => resolve(error));
    child.once('close', () => resolve(undefined));
  });
  const done = (async () => {
    const [error, sendStderr, receiveStderr, bashStderr] = await Promise.all([exited, collect(stdio[3] as NodeJS.ReadableStream), collect(stdio[4] as NodeJS.ReadableStream), collect(stdio[2] as NodeJS.ReadableStream)]);
    await linesDone;
    watched?.destroy();
    announce(undefined);
    return { ...report, sendStderr, receiveStderr, bashError: error?.message ?? bashStderr.trim() };
  })();
  return { child, started, done };
}
