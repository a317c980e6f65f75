import { openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { crc32cUpdate } from '../../core/send-stream/crc32c';
import { XattrFilter, type SelinuxPolicy, type XattrChange, type XattrFilterOptions } from '../../core/send-stream/filter';
import { SendStreamError, SendStreamParser } from '../../core/send-stream/parser';
import { receiverFilter } from '../../core/xattrs-left-out';
import { localReceiverRules } from '../system/selinux';
import { SendStreamProgress, type ProgressSnapshot } from '../../core/send-stream/progress';
import { nativeCrc32cUpdate, type SendStreamPipeStats } from './send-stream-pipe';

/**
 * The codec as a process of its own in the pipe,
 *   btrfs send | node rewind-stream-codec.cjs <verb> OPTIONS_JSON | btrfs receive
 * so the data never passes through the helper's event loop. The helper runs
 * the three in one bash pipe (../engine/transfer-pipe.ts): kernel pipes. Handing Node's
 * own stdio pipes from one spawn to the next also works (see
 * tests/system/send-stream-real.test.ts, which must `destroy()` its copies
 * in the same tick), but those are non-blocking socket pairs and the loop
 * below then spins on EAGAIN and the transfer takes far longer.
 * The verb must not touch process.stdin or process.stdout (Node would make
 * them non-blocking and read ahead) and must print nothing else on stdout;
 * codecProcessMain reopens both through /proc/self/fd so that its own open
 * files are blocking whatever the rest of the process or the neighbours did.
 * It reads and writes its stdin and stdout with blocking calls into one
 * reused buffer, as `cat` does: no allocation per
 * chunk or per command, which is what makes an in-process Transform cost
 * several times the CPU of `cat` (bench/codec-throughput.mjs measures it).
 *
 * It reports on stderr, one JSON object per line (`CodecMessage`): progress
 * at most every `progressIntervalMs`, each xattr it dropped or rewrote, and at
 * the end either `done` with the counts or `error` with the stream error
 * (reason and byte offset); then it exits 0 or 1. Anything else on stderr
 * (a crash) is not JSON.
 */
export interface CodecProcessOptions {
  /** SELinux labels: 'keep' (default), 'drop', or keep only these labels. */
  selinux?: 'keep' | 'drop' | { keepOnlyKnown: string[] };
  /** Globs of xattr names to drop (e.g. "security.capability"). */
  dropXattrs?: string[];
  /**
   * Leave out what this machine's kernel refuses (../../core/xattrs-left-out:
   * labels its SELinux policy does not know, invalid file capabilities), and
   * these names entirely: the retry after a receive stopped at an xattr.
   */
  receiverRules?: { alsoDrop?: string[] };
  estimate?: number;
  progressIntervalMs?: number;
  checksum?: 'auto' | 'js' | 'native';
  maxCommandLength?: number;
  /**
   * The helper that started the pipe. When it is gone (checked every 200 ms
   * while data flows) the codec stops with an error: a transfer nobody
   * records must not complete.
   */
  helperPid?: number;
  /** Where the stream goes, only so that `ps` shows which transfer this is. */
  label?: string;
}

export type CodecMessage =
  | { type: 'progress'; progress: ProgressSnapshot }
  | { type: 'xattr'; change: Omit<XattrChange, 'value' | 'newValue'> & { value?: string; newValue?: string } }
  | { type: 'done'; stats: SendStreamPipeStats; progress: ProgressSnapshot }
  | { type: 'error'; reason: string; offset: number; message: string };

/** The serialisable options as the filter's own. */
export function xattrFilterOptions(options: CodecProcessOptions): XattrFilterOptions | undefined {
  const selinux: SelinuxPolicy | undefined =
    options.selinux === undefined || options.selinux === 'keep'
      ? undefined
      : options.selinux === 'drop'
        ? { mode: 'drop' }
        : { mode: 'keep-only-known', known: new Set(options.selinux.keepOnlyKnown) };
  const rules = (options.dropXattrs ?? []).map((name) => ({ name, action: 'drop' as const }));
  if (options.receiverRules) {
    const receiver = receiverFilter(localReceiverRules(options.receiverRules.alsoDrop));
    return { selinux: selinux ?? receiver.selinux, rules: [...rules, ...(receiver.rules ?? [])] };
  }
  return selinux || rules.length > 0 ? { selinux, rules } : undefined;
}

const READ_SIZE = 1024 * 1024;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks briefly: for a descriptor that turned out to be non-blocking. */
function pause(): void {
  Atomics.wait(sleepCell, 0, 0, 2);
}

function readSome(fd: number, buffer: Uint8Array): number {
  for (;;) {
    try {
      return readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') pause();
      else if (code === 'EOF') return 0;
      else if (code !== 'EINTR') throw error;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') pause();
      else if (code !== 'EINTR') throw error;
    }
  }
}

/** Whether a process exists and is not a zombie (a dead helper its own parent has not reaped yet). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('hex'));

/**
 * Runs the codec from `input` to `output` until end of input. Returns the
 * counts and the final progress; throws a SendStreamError for a bad stream
 * (what came before it has been written), or the I/O error (EPIPE when the
 * receiver died).
 */
export function runCodecLoop(
  input: number,
  output: number,
  options: CodecProcessOptions,
  report: (message: CodecMessage) => void,
  now: () => number = Date.now,
): { stats: SendStreamPipeStats; progress: ProgressSnapshot } {
  const native = options.checksum === 'js' ? null : nativeCrc32cUpdate();
  if (options.checksum === 'native' && !native) throw new Error('The native CRC32C module (@node-rs/crc32) is not installed.');
  const checksum = native ?? crc32cUpdate;
  const stats: SendStreamPipeStats = {
    bytesIn: 0,
    bytesOut: 0,
    commands: 0,
    droppedCommands: 0,
    rewrittenCommands: 0,
    checksum: native ? 'native' : 'js',
  };
  const filterOptions = xattrFilterOptions(options);
  const filter = filterOptions
    ? new XattrFilter({
        ...filterOptions,
        checksum,
        onChange: ({ value, newValue, ...change }) => report({ type: 'xattr', change: { ...change, value: hex(value), newValue: hex(newValue) } }),
      })
    : undefined;
  const progress = new SendStreamProgress({ now, estimate: options.estimate });
  const interval = options.progressIntervalMs ?? 1000;
  let lastProgress = now();

  // Pieces to write, merged when adjacent; written out before every read.
  let runBuffer: ArrayBufferLike | undefined;
  let runStart = 0;
  let runEnd = 0;
  const queue = (bytes: Uint8Array) => {
    if (bytes.buffer === runBuffer && bytes.byteOffset === runEnd) {
      runEnd += bytes.length;
      return;
    }
    flushRun();
    runBuffer = bytes.buffer;
    runStart = bytes.byteOffset;
    runEnd = bytes.byteOffset + bytes.length;
  };
  const flushRun = () => {
    if (runBuffer === undefined) return;
    writeAll(output, new Uint8Array(runBuffer, runStart, runEnd - runStart));
    stats.bytesOut += runEnd - runStart;
    runBuffer = undefined;
  };

  const parser = new SendStreamParser({
    checksum,
    maxCommandLength: options.maxCommandLength,
    reuseBuffers: true,
    onHeader: (header) => {
      progress.header(header.bytes.length);
      queue(header.bytes);
    },
    onCommand: (command) => {
      stats.commands++;
      progress.command(command);
      const bytes = filter ? filter.filter(command) : command.bytes;
      if (bytes === null) stats.droppedCommands++;
      else {
        if (bytes !== command.bytes) stats.rewrittenCommands++;
        queue(bytes);
      }
    },
  });
  let lastHelperCheck = now();
  const buffer = Buffer.allocUnsafeSlow(READ_SIZE);
  for (;;) {
    const n = readSome(input, buffer);
    if (n === 0) break;
    if (options.helperPid !== undefined && now() - lastHelperCheck >= 200) {
      lastHelperCheck = now();
      if (!isAlive(options.helperPid)) {
        throw Object.assign(new Error('The helper that started this transfer has gone; stopping it.'), { code: 'ORPHANED' });
      }
    }
    stats.bytesIn += n;
    try {
      parser.push(buffer.subarray(0, n));
    } finally {
      // Even when the stream turns bad: the commands before the bad one are good.
      flushRun();
    }
    const at = now();
    if (at - lastProgress >= interval) {
      lastProgress = at;
      report({ type: 'progress', progress: progress.snapshot() });
    }
  }
  parser.end();
  return { stats, progress: progress.snapshot() };
}

/**
 * A blocking descriptor for the pipe at `fd`. O_NONBLOCK belongs to the open
 * file, which this process shares with its neighbours in the pipe and which
 * anything in Node that touches process.stdin or process.stdout sets; the
 * loop then spins on EAGAIN (the helper's transfers ran 5 times slower that
 * way). Opening /proc/self/fd/N makes a new open file of the same pipe, with
 * flags of its own. Not possible for a socket: then the descriptor as it is.
 */
function blocking(fd: number, flags: 'r' | 'w'): number {
  try {
    return openSync(`/proc/self/fd/${fd}`, flags);
  } catch {
    return fd;
  }
}

/** Everything on descriptor `fd` up to its end (the options the transfer pipe writes there). */
function readToEnd(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (let n = readSome(fd, buffer); n > 0; n = readSome(fd, buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The whole child process: options as one JSON argument, or
 * `--options-fd=N` to read them from descriptor N (as
 * ../engine/transfer-pipe.ts hands them over); stdin to stdout,
 * messages on stderr. Returns the exit status. For the helper's CLI verb.
 */
export function codecProcessMain(argv: string[]): number {
  const report = (message: CodecMessage) => writeAll(2, Buffer.from(`${JSON.stringify(message)}\n`));
  let options: CodecProcessOptions;
  try {
    const optionsFd = /^--options-fd=(\d+)$/.exec(argv[0] ?? '')?.[1];
    options = JSON.parse(optionsFd === undefined ? argv[0] ?? '{}' : readToEnd(Number(optionsFd))) as CodecProcessOptions;
  } catch {
    report({ type: 'error', reason: 'usage', offset: 0, message: 'The codec options are not valid JSON.' });
    return 2;
  }
  try {
    const { stats, progress } = runCodecLoop(blocking(0, 'r'), blocking(1, 'w'), options, report);
    report({ type: 'done', stats, progress });
    return 0;
  } catch (error) {
    if (error instanceof SendStreamError) {
      report({ type: 'error', reason: error.reason, offset: error.offset, message: error.message });
    } else {
      const e = error as NodeJS.ErrnoException;
      report({ type: 'error', reason: e.code ?? 'io', offset: -1, message: e.message });
    }
    return 1;
  }
}

/** One line of the codec process's stderr as a message, or undefined when it is not one (e.g. a crash trace). */
export function parseCodecMessage(line: string): CodecMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const message = JSON.parse(line) as CodecMessage;
    return typeof message === 'object' && message !== null && typeof message.type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
