import { execa } from 'execa';
import { PassThrough } from 'node:stream';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import type { ReceiveResult, StreamDestination } from '../backup-destination';
import { outputText } from '../../system/output-text';
import { sendArguments } from '../../system/btrfs-send';
import { isPathTooLong, pathTooLongError } from '../../system/long-path-finder';

/**
 * `btrfs send [-p parent] snapshot` into a destination that takes a stream
 * (over SSH). When the destination fails, send is stopped; when send fails,
 * the destination has already refused or removed the partial backup, and the
 * error says that reading the snapshot failed.
 */
export interface SendRequest {
  snapshot: string;
  parent?: string;
  sendArgs?: string[];
  dirName: string;
  name: string;
  onBytes?: (bytes: number) => void;
  /** Stops btrfs send (the user cancelled); the server then drops the partial backup. */
  signal?: AbortSignal;
}

export async function sendToStream(destination: StreamDestination, request: SendRequest): Promise<ReceiveResult> {
  const args = sendArguments({ snapshot: request.snapshot, parent: request.parent, protocol: request.sendArgs });
  const send = execa('btrfs', args, { stdin: 'ignore', stdout: 'pipe', buffer: { stdout: false, stderr: true }, encoding: 'buffer', reject: false });
  const cancel = () => send.kill('SIGTERM');
  request.signal?.addEventListener('abort', cancel, { once: true });
  void send.finally(() => request.signal?.removeEventListener('abort', cancel));
  // Read from the start: Node drops what a child wrote to a pipe nobody read once it exits.
  const stream = new PassThrough();
  send.stdout!.pipe(stream);
  let result: ReceiveResult;
  try {
    result = await destination.receive({ dirName: request.dirName, name: request.name, stream, onBytes: request.onBytes });
  } catch (error) {
    // Nobody reads the rest: drop it, or the end of send's output would be waited for forever.
    send.kill('SIGTERM');
    send.stdout!.unpipe(stream);
    stream.destroy();
    send.stdout!.resume();
    await send;
    throw error;
  }
  const sent = await send;
  if (sent.exitCode !== 0 || sent.signal) {
    const stderr = outputText(sent.stderr);
    if (isPathTooLong(stderr)) throw await pathTooLongError(request.snapshot);
    throw new RewindError('TransferFailed', `Reading the snapshot failed: ${stderr.trim() || sent.signal || 'btrfs send failed'}.`, { reason: reason('read-snapshot-failed', {}) });
  }
  return result;
}
