import { execa } from 'execa';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../core/errors';

/**
 * One `btrfs send | btrfs receive`, with the stream passing through this
 * process so it can be counted (and, later, checked and filtered).
 */
export interface TransferRequest {
  snapshot: string;
  parent?: string;
  /** Protocol options for btrfs send (see ./send-capabilities). */
  sendArgs?: string[];
  receiveDir: string;
  onBytes?: (bytes: number) => void;
}

class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}

function classifyReceiveFailure(stderr: string): RewindError {
  const text = stderr.trim();
  if (/No space left on device/i.test(text)) {
    return new RewindError('DestinationFull', 'The backup disk ran out of space during the backup.');
  }
  if (/Input\/output error|No such device|not a btrfs/i.test(text)) {
    return new RewindError('DestinationMissing', `The backup disk stopped responding during the backup (${text}).`);
  }
  return new RewindError('TransferFailed', `Receiving the backup failed: ${text || 'no message from btrfs receive'}.`);
}

export async function sendReceive(request: TransferRequest): Promise<number> {
  const sendArgs = ['send', '-q', ...(request.sendArgs ?? []), ...(request.parent ? ['-p', request.parent] : []), request.snapshot];
  const send = execa('btrfs', sendArgs, { buffer: { stdout: false, stderr: true }, encoding: 'buffer', reject: false, stdin: 'ignore' });
  const receive = execa('btrfs', ['receive', '-q', request.receiveDir], {
    buffer: { stdout: true, stderr: true },
    reject: false,
    stdout: 'pipe',
  });
  const counter = new ByteCounter(request.onBytes);
  let pipeError: unknown;
  try {
    await pipeline(send.stdout!, counter, receive.stdin!);
  } catch (error) {
    // A broken pipe here means one side died; the exit statuses below say which.
    pipeError = error;
  }
  const [sendResult, receiveResult] = await Promise.all([send, receive]);
  if (receiveResult.exitCode !== 0 || receiveResult.signal) {
    if (sendResult.exitCode === 0 || receiveResult.stderr) {
      throw classifyReceiveFailure(String(receiveResult.stderr ?? receiveResult.signal ?? ''));
    }
  }
  if (sendResult.exitCode !== 0 || sendResult.signal) {
    const stderr = Buffer.isBuffer(sendResult.stderr) ? sendResult.stderr.toString('utf8') : String(sendResult.stderr ?? '');
    throw new RewindError('TransferFailed', `Reading the snapshot failed: ${stderr.trim() || sendResult.signal || 'btrfs send failed'}.`);
  }
  if (pipeError) {
    throw new RewindError('TransferFailed', `The backup stream was interrupted: ${(pipeError as Error).message}.`);
  }
  return counter.bytes;
}
