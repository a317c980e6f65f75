import { constants } from 'node:os';
import { statfs } from 'node:fs/promises';
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
import { isPathTooLong, pathTooLongError } from '../system/long-path-finder';
import { CODEC_OPTIONS_FD, stopGroup, TransferPipe } from './transfer-pipe';
import { receiveComplaint } from '../system/receive-output';

/**
 * One `btrfs send | rewind-helper stream-codec | btrfs receive`.
 *
 * The three processes run in one bash pipe, each reading the previous one's
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
   * send). Default: none for an incremental send; for a full one, the space
   * used on the source filesystem (one statfs, an upper bound when there are
   * other subvolumes or snapshots on it).
   */
  estimate?: number | null;
  onBytes?: (bytes: number, detail: TransferProgress) => void;
  /** The bundle whose stream-codec verb to run; default: the helper's own (bench/ drives transfers from another bundle). */
  helperBundle?: string;
  /** How the codec ran: which CRC32C, what it dropped. */
  onCodecDone?: (summary: CodecSummary) => void;
  /** Stops the three processes (the user cancelled). */
  signal?: AbortSignal;
  /** A pipe started ahead (TransferPipe.start); default: one started now. */
  pipe?: TransferPipe;
}

export interface CodecSummary {
  checksum: 'native' | 'js' | 'custom';
  commands: number;
  droppedXattrs: number;
  rewrittenXattrs: number;
  /** What the receiver rules left out (codec option receiverRules), by name and file. */
  leftOut?: XattrsLeftOut;
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

/** A destination's xattr settings as codec options (default: keep everything). */
export function codecOptions(destination: Pick<BtrfsDestinationConfig, 'xattrs'>): TransferRequest['codec'] {
  const xattrs = destination.xattrs;
  if (!xattrs) return {};
  return {
    selinux: xattrs.selinux,
    dropXattrs: xattrs.drop.length > 0 ? xattrs.drop : undefined,
  };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Everything a stream says, up to 64 KiB. */
function collect(stream: NodeJS.ReadableStream | null | undefined): Promise<string> {
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

/** A status as bash reports it: 128 + n for a process killed by signal n. */
function exitOf(status: number, stderr: string): Exit {
  if (status > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === status - 128)?.[0] as NodeJS.Signals | undefined;
    if (name) return { code: null, signal: name, stderr };
  }
  return { code: status, signal: null, stderr };
}

/** Words for `mapfile -d ""`: each followed by a NUL (an argument cannot hold one). */
function commandLine(words: readonly string[]): string {
  return words.map((w) => `${w}\0`).join('');
}

const failed = (e: Exit) => e.code !== 0 || e.signal !== null;

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
    return new RewindError('DestinationFull', 'The backup disk ran out of space during the backup.');
  }
  if (/Input\/output error|No such device|not a btrfs/i.test(text)) {
    return new RewindError('DestinationMissing', `The backup disk stopped responding during the backup (${text}).`);
  }
  return new RewindError('TransferFailed', `Receiving the backup failed: ${text || 'no message from btrfs receive'}.`);
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

async function defaultEstimate(request: TransferRequest): Promise<number | undefined> {
  if (request.estimate !== undefined) return request.estimate ?? undefined;
  if (request.parent) return undefined;
  try {
    const s = await statfs(request.snapshot);
    return (s.blocks - s.bfree) * s.bsize;
  } catch {
    return undefined;
  }
}

const STREAM_ERRORS = new Set(['empty', 'bad-magic', 'unsupported-version', 'truncated', 'command-too-long', 'crc-mismatch', 'bad-attribute']);

/** Runs the transfer; returns the bytes of the stream btrfs send made (before any filter). */
export async function sendReceive(request: TransferRequest): Promise<number> {
  const sendArgs = sendArguments({ snapshot: request.snapshot, parent: request.parent, protocol: request.sendArgs });
  const options: CodecProcessOptions = {
    ...request.codec,
    estimate: await defaultEstimate(request),
    progressIntervalMs: 500,
    helperPid: process.pid,
    label: request.receiveDir,
  };
  // Confined to the folder it receives into: paths are then resolved from there, so a path as long as the kernel allows still fits in PATH_MAX.
  const receiveArgs = ['btrfs', 'receive', '-q', '-C', request.receiveDir];
  const { process: pipe, exit } = (request.pipe ?? TransferPipe.start(request.helperBundle)).take();
  const cancel = () => stopGroup(pipe);
  if (request.signal?.aborted) cancel();
  request.signal?.addEventListener('abort', cancel, { once: true });
  const writeCommand = (fd: number, text: string) => (pipe.stdio[fd] as Writable | null)?.end(text);
  writeCommand(CODEC_OPTIONS_FD, JSON.stringify(options));
  writeCommand(7, commandLine(['btrfs', ...sendArgs]));
  writeCommand(9, commandLine(receiveArgs));
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
  const [s, c, r] = [exitOf(codes[0], await sendStderr), exitOf(codes[1], ''), exitOf(codes[2], receiveComplaint(await receiveStderr))];

  const killed = (e: Exit, what: string) =>
    new RewindError('TransferFailed', `The transfer stopped because ${what} was killed (${e.signal}).`);
  // SIGPIPE is what the others get when one dies: a consequence, not a cause.
  const killedBySignal = (e: Exit) => e.signal !== null && e.signal !== 'SIGPIPE';
  if (killedBySignal(c)) throw killed(c, 'the stream codec');
  if (killedBySignal(s)) throw killed(s, 'btrfs send');
  if (killedBySignal(r)) throw killed(r, 'btrfs receive');
  const codecError = last?.type === 'error' ? last : undefined;
  // A stream that is cut short or never began because btrfs send failed: send's reason is the cause.
  const cutBySend = failed(s) && (codecError?.reason === 'truncated' || codecError?.reason === 'empty');
  const streamError = codecError && STREAM_ERRORS.has(codecError.reason) && !cutBySend;
  if (failed(r) && !streamError) {
    const error = classifyReceiveFailure(r.stderr);
    if (error.code !== 'TransferFailed' || refusedXattr(r.stderr) || !failed(s)) throw error;
  }
  if (streamError) {
    throw new RewindError(
      'TransferFailed',
      `The stream from btrfs send is invalid at byte ${codecError.offset} (${codecError.reason}): ${codecError.message}`,
    );
  }
  if (failed(s)) {
    if (isPathTooLong(s.stderr)) throw await pathTooLongError(request.snapshot);
    throw new RewindError('TransferFailed', `Reading the snapshot failed: ${s.stderr.trim() || `btrfs send exited with status ${s.code}`}.`);
  }
  if (failed(r)) throw classifyReceiveFailure(r.stderr);
  if (failed(c) || last?.type !== 'done') {
    const why = codecError?.message ?? (codecOther.join('\n').trim() || `it exited with status ${c.code}`);
    throw new RewindError('TransferFailed', `The stream codec failed: ${why}`);
  }
  return last.stats.bytesIn;
}
