import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { BtrfsDestinationConfig } from '../../core/config';
import { RewindError } from '../../core/errors';
import { LeftOutCounter, type XattrsLeftOut } from '../../core/xattrs-left-out';
import type { ProgressSnapshot } from '../../core/send-stream/progress';
import type { TransferProgress } from '../../core/status';
import type { CodecMessage, CodecProcessOptions } from '../codec/send-stream-process';
import { parseCodecMessage } from '../codec/send-stream-process';
import { sendArguments } from '../system/btrfs-send';
import { CODEC_OPTIONS_FD, startCodecPipe, stopGroup } from './transfer-pipe';
import { receiveComplaint } from '../system/receive-output';
import { plainSendReceive } from './plain-transfer';
import { estimateWork } from './transfer-meter';
import { collect, exitOf, failed, killed, killedBySignal, sendFailure, throwIfReceiveIsTheCause, type Exit } from './transfer-outcome';

/**
 * One local transfer into a btrfs folder: `btrfs send | btrfs receive`, or,
 * when the destination filters xattrs (configured, or after a receive refused
 * one), `btrfs send | rewind-helper stream-codec | btrfs receive`.
 *
 * With the codec, the three processes run in one bash pipe, each reading the previous one's
 * stdout through a kernel pipe, so no byte of the stream passes through the
 * helper. The codec (src/helper/codec/send-stream-process.ts, the helper bundle's
 * hidden `stream-codec` verb, dispatched by ../entry/helper-entry.ts before the rest of the
 * helper loads) checks every command's CRC, drops the xattrs the destination
 * is configured to refuse, and reports progress as JSON lines on its stderr,
 * which the helper reads.
 *
 * Which failure is reported, when several processes fail together (one dying
 * makes the others fail with a broken pipe or a cut stream): a process killed
 * by a signal first (codec, send, receive), then an xattr the destination
 * refused, a full or vanished destination, a bad stream found by the codec,
 * a failed send, any other receive failure, any other codec failure.
 */
export interface TransferRequest {
  snapshot: string;
  parent?: string;
  /** Protocol options for btrfs send (see ../system/send-capabilities). */
  sendArgs?: string[];
  receiveDir: string;
  /** Xattr filters and other codec options (see ../codec/send-stream-process). */
  codec?: Pick<CodecProcessOptions, 'selinux' | 'dropXattrs' | 'checksum' | 'receiverRules'>;
  /**
   * Estimated total work, in the codec's units (about the logical bytes to
   * send); null for none. Default: see defaultEstimate.
   */
  estimate?: number | null;
  onBytes?: (bytes: number, detail: TransferProgress) => void;
  /** The bundle whose stream-codec verb to run; default: the helper's own (bench/ drives transfers from another bundle). */
  helperBundle?: string;
  /** How the codec ran: which CRC32C, what it dropped. */
  onCodecDone?: (summary: CodecSummary) => void;
  /** Stops the processes (the user cancelled). */
  signal?: AbortSignal;
  /** The codec in the pipe even with nothing to filter (bench/ measures its hop). */
  codecAlways?: boolean;
}

export interface CodecSummary {
  checksum: 'native' | 'js' | 'custom';
  commands: number;
  droppedXattrs: number;
  rewrittenXattrs: number;
  /** What the receiver rules left out (codec option receiverRules), by name and file. */
  leftOut?: XattrsLeftOut;
}

/** A destination's xattr settings as codec options (default: keep everything). */
export function codecOptions(destination: Pick<BtrfsDestinationConfig, 'xattrs'>): TransferRequest['codec'] {
  const xattrs = destination.xattrs;
  if (!xattrs) return {};
  return {
    selinux: xattrs.selinux,
    dropXattrs: xattrs.drop.length > 0 ? xattrs.drop : undefined,
  };
}

/** Words for `mapfile -d ""`: each followed by a NUL (an argument cannot hold one). */
function commandLine(words: readonly string[]): string {
  return words.map((w) => `${w}\0`).join('');
}

/** The codec's progress in the shape of status.ts. */
export function transferProgress(p: ProgressSnapshot): TransferProgress {
  return {
    created: p.created,
    modified: p.modified,
    renamed: p.renamed,
    deleted: p.deleted,
    currentPath: p.currentPath,
    bytesPerSecond: p.bytesPerSecond === undefined ? undefined : Math.round(p.bytesPerSecond),
    fraction: p.fraction,
    etaSeconds: p.etaSeconds === undefined ? undefined : Math.round(p.etaSeconds),
  };
}

const STREAM_ERRORS = new Set(['empty', 'bad-magic', 'unsupported-version', 'truncated', 'command-too-long', 'crc-mismatch', 'bad-attribute']);

/** The caller's estimate, else estimateWork's. */
async function defaultEstimate(request: TransferRequest, stop: AbortSignal): Promise<number | undefined> {
  if (request.estimate !== undefined) return request.estimate ?? undefined;
  return estimateWork(request.snapshot, request.parent, stop);
}

/** True when the codec has work to do: an xattr filter, receiver rules or a chosen checksum. */
export function needsCodec(codec: TransferRequest['codec']): boolean {
  if (!codec) return false;
  const selinux = codec.selinux !== undefined && codec.selinux !== 'keep';
  return selinux || (codec.dropXattrs?.length ?? 0) > 0 || codec.receiverRules !== undefined || codec.checksum !== undefined;
}

/**
 * Runs the transfer; returns the bytes of the stream btrfs send made (before
 * any filter). With nothing for the codec to do, send and receive share one
 * kernel pipe (./plain-transfer.ts); `btrfs receive` checks every command's
 * CRC itself.
 */
export async function sendReceive(request: TransferRequest): Promise<number> {
  const sendArgs = sendArguments({ snapshot: request.snapshot, parent: request.parent, protocol: request.sendArgs });
  // Confined to the folder it receives into: paths are then resolved from there, so a path as long as the kernel allows still fits in PATH_MAX.
  const receiveArgs = ['btrfs', 'receive', '-q', '-C', request.receiveDir];
  const estimating = new AbortController();
  const estimate = () => defaultEstimate(request, estimating.signal);
  try {
    if (!needsCodec(request.codec) && !request.codecAlways) {
      return await plainSendReceive({
        send: ['btrfs', ...sendArgs],
        receive: receiveArgs,
        receiveDir: request.receiveDir,
        name: path.basename(request.snapshot),
        snapshot: request.snapshot,
        estimate,
        onBytes: request.onBytes,
        signal: request.signal,
      });
    }
    // The codec takes its estimate up front: an incremental's --no-data pass would delay the transfer, so it goes without.
    const codecEstimate = request.parent && request.estimate === undefined ? undefined : await estimate();
    return await codecSendReceive(request, ['btrfs', ...sendArgs], receiveArgs, codecEstimate);
  } finally {
    estimating.abort();
  }
}

/** `btrfs send | rewind-helper stream-codec | btrfs receive`. */
async function codecSendReceive(request: TransferRequest, send: string[], receive: string[], estimate: number | undefined): Promise<number> {
  const options: CodecProcessOptions = {
    ...request.codec,
    estimate,
    progressIntervalMs: 500,
    helperPid: process.pid,
    label: request.receiveDir,
  };
  const { process: pipe, exit } = startCodecPipe(request.helperBundle);
  const cancel = () => stopGroup(pipe);
  if (request.signal?.aborted) cancel();
  request.signal?.addEventListener('abort', cancel, { once: true });
  const writeCommand = (fd: number, text: string) => (pipe.stdio[fd] as Writable | null)?.end(text);
  writeCommand(CODEC_OPTIONS_FD, JSON.stringify(options));
  writeCommand(7, commandLine(send));
  writeCommand(9, commandLine(receive));
  const stdio = pipe.stdio as unknown as Array<NodeJS.ReadableStream | null>;
  const statuses = collect(stdio[6]);
  const sendStderr = collect(stdio[3]);
  const receiveStderr = collect(stdio[5]);
  const bashStderr = collect(stdio[2]);
  let last: CodecMessage | undefined;
  let bytes = 0;
  const leftOut = new LeftOutCounter();
  const codecOther: string[] = [];
  const lines = createInterface({ input: stdio[4]!, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const message = parseCodecMessage(line);
    if (!message) {
      if (codecOther.length < 20) codecOther.push(line);
      return;
    }
    if (message.type === 'progress' || message.type === 'done') {
      bytes = message.type === 'done' ? message.stats.bytesIn : message.progress.bytes;
      request.onBytes?.(bytes, transferProgress(message.progress));
    }
    if (message.type === 'xattr' && message.change.action === 'dropped' && request.codec?.receiverRules) {
      leftOut.add(message.change.name, message.change.path);
    }
    if (message.type === 'done') {
      const dropped = leftOut.value;
      request.onCodecDone?.({
        ...(dropped ? { leftOut: dropped } : {}),
        checksum: message.stats.checksum,
        commands: message.stats.commands,
        droppedXattrs: message.stats.droppedCommands,
        rewrittenXattrs: message.stats.rewrittenCommands,
      });
    }
    if (message.type !== 'progress') last = message;
  });
  const linesDone = new Promise<void>((resolve) => lines.once('close', resolve));
  const bashExit = await exit;
  await linesDone;
  request.signal?.removeEventListener('abort', cancel);
  if (request.signal?.aborted) throw new RewindError('Cancelled', 'The backup was cancelled.');
  const codes = (await statuses).trim().split(/\s+/).map(Number);
  if (codes.length !== 3 || codes.some((n) => !Number.isInteger(n))) {
    const why = bashExit.error?.message ?? ((await bashStderr).trim() || `bash ${bashExit.signal ?? `exited with status ${bashExit.code}`}`);
    throw new RewindError('TransferFailed', `The transfer could not run: ${why}.`);
  }
  const [s, c, r]: Exit[] = [exitOf(codes[0], await sendStderr), exitOf(codes[1], ''), exitOf(codes[2], receiveComplaint(await receiveStderr))];
  if (killedBySignal(c)) throw killed(c, 'the stream codec');
  if (killedBySignal(s)) throw killed(s, 'btrfs send');
  if (killedBySignal(r)) throw killed(r, 'btrfs receive');
  const codecError = last?.type === 'error' ? last : undefined;
  // A stream that is cut short or never began because btrfs send failed: send's reason is the cause.
  const cutBySend = failed(s) && (codecError?.reason === 'truncated' || codecError?.reason === 'empty');
  const streamError = codecError && STREAM_ERRORS.has(codecError.reason) && !cutBySend;
  if (!streamError) throwIfReceiveIsTheCause(s, r);
  if (streamError) {
    throw new RewindError(
      'TransferFailed',
      `The stream from btrfs send is invalid at byte ${codecError.offset} (${codecError.reason}): ${codecError.message}`,
    );
  }
  if (failed(s)) throw await sendFailure(s, request.snapshot);
  throwIfReceiveIsTheCause(s, r);
  if (failed(c) || last?.type !== 'done') {
    const why = codecError?.message ?? (codecOther.join('\n').trim() || `it exited with status ${c.code}`);
    throw new RewindError('TransferFailed', `The stream codec failed: ${why}`);
  }
  return last.stats.bytesIn;
}
