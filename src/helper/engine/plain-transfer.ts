import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import type { TransferProgress } from '../../core/status';
import { receiveComplaint } from '../system/receive-output';
import { startPlainPipe } from './plain-pipe';
import { TransferMeter } from './transfer-meter';
import { stopGroup } from './transfer-pipe';
import { exitOf, failed, killed, killedBySignal, sendFailure, throwIfReceiveIsTheCause } from './transfer-outcome';

/**
 * A local transfer with nothing between `btrfs send` and `btrfs receive`
 * (./plain-pipe.ts), watched from outside: the stream's bytes from the kernel's
 * count of what send wrote (/proc/PID/io), the path being received from the
 * file that receive has open (/proc/PID/fd) — both read twice a second, at no
 * cost to the transfer. The estimate of the total comes from the caller,
 * asked for once the transfer lasts (./transfer-meter.ts).
 */
export interface PlainTransfer {
  send: readonly string[];
  receive: readonly string[];
  /** Where receive makes the subvolume `name`: paths of its open files below that are the current path. */
  receiveDir: string;
  name: string;
  /** The snapshot being sent, to name a path too long to send. */
  snapshot: string;
  estimate: () => Promise<number | undefined>;
  onBytes?: (bytes: number, detail: TransferProgress) => void;
  signal?: AbortSignal;
}

const POLL_MS = 500;

async function bytesWritten(pid: number): Promise<number | undefined> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => undefined);
  const m = io && /^wchar:\s*(\d+)/m.exec(io);
  return m ? Number(m[1]) : undefined;
}

/** The file below `prefix` that the process has open, relative to it (the newest descriptor wins). */
async function openFileBelow(pid: number, prefix: string): Promise<string | undefined> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  let found: string | undefined;
  for (const fd of fds.sort((a, b) => Number(a) - Number(b))) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
    if (target?.startsWith(prefix)) found = target.slice(prefix.length);
  }
  return found;
}

/** Runs the transfer; returns the bytes of the stream that btrfs send made. */
export async function plainSendReceive(request: PlainTransfer): Promise<number> {
  const pipe = startPlainPipe(request.send, request.receive);
  const cancel = () => stopGroup(pipe.child);
  if (request.signal?.aborted) cancel();
  request.signal?.addEventListener('abort', cancel, { once: true });

  const meter = new TransferMeter(request.estimate);
  const prefix = path.join(request.receiveDir, request.name) + '/';
  let bytes = 0;
  let currentPath: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const report = (ended: boolean) => request.onBytes?.(bytes, { currentPath, ...meter.progress(bytes, ended) });
  void pipe.started.then((pids) => {
    if (!pids || !request.onBytes) return;
    let polling = false;
    timer = setInterval(() => {
      if (polling) return;
      polling = true;
      void Promise.all([bytesWritten(pids.sendPid), openFileBelow(pids.receivePid, prefix)])
        .then(([written, file]) => {
          if (written !== undefined) bytes = Math.max(bytes, written);
          currentPath = file ?? currentPath;
          if (timer) report(false);
        })
        .finally(() => (polling = false));
    }, POLL_MS);
  });

  const outcome = await pipe.done;
  clearInterval(timer);
  timer = undefined;
  request.signal?.removeEventListener('abort', cancel);
  if (request.signal?.aborted) throw new RewindError('Cancelled', 'The backup was cancelled.');
  const codes = outcome.statuses ?? [];
  if (codes.length !== 2 || codes.some((n) => !Number.isInteger(n))) {
    throw new RewindError('TransferFailed', `The transfer could not run: ${outcome.bashError || 'bash ended before it said how the transfer went'}.`);
  }
  const send = exitOf(codes[0], outcome.sendStderr);
  const receive = exitOf(codes[1], receiveComplaint(outcome.receiveStderr));
  if (killedBySignal(send)) throw killed(send, 'btrfs send');
  if (killedBySignal(receive)) throw killed(receive, 'btrfs receive');
  throwIfReceiveIsTheCause(send, receive);
  if (failed(send)) throw await sendFailure(send, request.snapshot);
  bytes = outcome.sent ?? bytes;
  report(true);
  return bytes;
}
