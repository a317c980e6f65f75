import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32cUpdate, type Crc32cUpdate } from '../../core/send-stream/crc32c';
import { XattrFilter, type CommandFilter, type XattrFilterOptions } from '../../core/send-stream/filter';
import { SendStreamParser, type SendCommand } from '../../core/send-stream/parser';
import { SendStreamProgress, type ProgressSnapshot } from '../../core/send-stream/progress';

/**
 * The send-stream codec as a Node Transform, for the middle of
 * `btrfs send | … | btrfs receive`: every command's CRC is checked, xattrs are
 * filtered when asked, progress is counted, and the bytes go on.
 *
 * - Commands that pass unchanged are written as the very bytes that came in
 *   (views of the input chunks, adjacent ones merged), so without a filter the
 *   output is the input, byte for byte.
 * - A malformed or cut-short stream fails the pipe with a SendStreamError
 *   that names the byte offset. Nothing after the bad command is written.
 * - Memory: the input chunk and at most one command being assembled
 *   (commands are refused above `maxCommandLength`); backpressure is the
 *   Transform's own, so a slow receiver slows the sender.
 */
export interface SendStreamPipeOptions {
  /** Drop or rewrite xattrs (see src/core/send-stream/filter.ts). */
  xattrs?: XattrFilterOptions;
  /** Any other filter, applied after the xattr one to the commands that one left unchanged. */
  filter?: CommandFilter;
  /** Sees each verified command before filtering (e.g. a ChangeCollector). The command's bytes are only valid during the call. */
  onCommand?: (command: SendCommand) => void;
  /** Called at most every `progressIntervalMs` while bytes flow, and once at the end. */
  onProgress?: (progress: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  /** Estimated total work (see src/core/send-stream/progress.ts), for a fraction and an ETA. */
  estimate?: number;
  /** The CRC32C implementation: 'auto' (native when installed), 'js', 'native', or a raw update function. */
  checksum?: 'auto' | 'js' | 'native' | Crc32cUpdate;
  maxCommandLength?: number;
  /** Milliseconds; injected by tests. */
  now?: () => number;
}

export interface SendStreamPipeStats {
  bytesIn: number;
  bytesOut: number;
  commands: number;
  droppedCommands: number;
  rewrittenCommands: number;
  /** Which CRC32C ran: the native module or the TypeScript one. */
  checksum: 'native' | 'js' | 'custom';
}

export class SendStreamPipe extends Transform {
  readonly progress: SendStreamProgress;
  readonly xattrFilter: XattrFilter | undefined;
  private readonly parser: SendStreamParser;
  private readonly filters: CommandFilter[];
  private readonly onProgress?: (progress: ProgressSnapshot) => void;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;
  private lastProgress = -Infinity;
  private readonly out: Uint8Array[] = [];
  private readonly counts: SendStreamPipeStats;

  constructor(options: SendStreamPipeOptions = {}) {
    super();
    const checksum = resolveChecksum(options.checksum ?? 'auto');
    this.now = options.now ?? Date.now;
    this.progress = new SendStreamProgress({ now: this.now, estimate: options.estimate });
    this.onProgress = options.onProgress;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
    this.xattrFilter = options.xattrs ? new XattrFilter({ ...options.xattrs, checksum: checksum.update }) : undefined;
    this.filters = [
      ...(this.xattrFilter && !this.xattrFilter.isIdentity ? [this.xattrFilter.filter] : []),
      ...(options.filter ? [options.filter] : []),
    ];
    this.counts = { bytesIn: 0, bytesOut: 0, commands: 0, droppedCommands: 0, rewrittenCommands: 0, checksum: checksum.kind };
    const onCommand = options.onCommand;
    this.parser = new SendStreamParser({
      checksum: checksum.update,
      maxCommandLength: options.maxCommandLength,
      onHeader: (header) => {
        this.progress.header(header.bytes.length);
        this.emitBytes(header.bytes);
      },
      onCommand: (command) => {
        this.counts.commands++;
        this.progress.command(command);
        onCommand?.(command);
        let bytes: Uint8Array | null = command.bytes;
        for (const filter of this.filters) {
          bytes = filter(command);
          if (bytes !== command.bytes) break;
        }
        if (bytes === null) this.counts.droppedCommands++;
        else if (bytes !== command.bytes) this.counts.rewrittenCommands++;
        if (bytes !== null) this.emitBytes(bytes);
      },
    });
  }

  get stats(): SendStreamPipeStats {
    return { ...this.counts };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.counts.bytesIn += chunk.length;
    try {
      this.parser.push(chunk);
    } catch (error) {
      // Commands before the bad one are complete and valid: let them go on.
      this.flushOut();
      done(error as Error);
      return;
    }
    this.flushOut();
    if (this.onProgress) {
      const at = this.now();
      if (at - this.lastProgress >= this.progressIntervalMs) {
        this.lastProgress = at;
        this.onProgress(this.progress.snapshot());
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    try {
      this.parser.end();
    } catch (error) {
      done(error as Error);
      return;
    }
    this.onProgress?.(this.progress.snapshot());
    done();
  }

  /** Queues bytes for output, merging a view with the one before when they are adjacent in memory. */
  private emitBytes(bytes: Uint8Array): void {
    const last = this.out[this.out.length - 1];
    if (last !== undefined && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      this.out[this.out.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + bytes.length);
    } else {
      this.out.push(bytes);
    }
  }

  private flushOut(): void {
    for (const bytes of this.out) {
      this.counts.bytesOut += bytes.length;
      this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    }
    this.out.length = 0;
  }
}

/** Below this length the JavaScript CRC is as fast as a call into the native module. */
const NATIVE_MIN_LENGTH = 512;

let native: Crc32cUpdate | null | undefined;

/**
 * The native CRC32C of @node-rs/crc32 (hardware CRC instructions), adapted
 * to the raw semantics: its `crc32c(bytes, state)` continues a standard CRC
 * (inverting on the way in and out), so a raw update from `crc` is
 * `~crc32c(bytes, ~crc)`. Null when the module is not installed.
 */
export function nativeCrc32cUpdate(): Crc32cUpdate | null {
  if (native !== undefined) return native;
  native = null;
  try {
    // A computed name keeps bundlers from trying to inline the native addon.
    const name = ['@node-rs', 'crc32'].join('/');
    const module = createRequire(import.meta.url)(name) as { crc32c(input: Uint8Array, initial?: number): number };
    const crc32c = module.crc32c;
    native = (crc, bytes) => (bytes.length < NATIVE_MIN_LENGTH ? crc32cUpdate(crc, bytes) : ~crc32c(bytes, ~crc >>> 0) >>> 0);
  } catch {
    native = null;
  }
  return native;
}

function resolveChecksum(choice: NonNullable<SendStreamPipeOptions['checksum']>): { update: Crc32cUpdate; kind: SendStreamPipeStats['checksum'] } {
  if (typeof choice === 'function') return { update: choice, kind: 'custom' };
  if (choice === 'js') return { update: crc32cUpdate, kind: 'js' };
  const fast = nativeCrc32cUpdate();
  if (fast) return { update: fast, kind: 'native' };
  if (choice === 'native') throw new Error('The native CRC32C module (@node-rs/crc32) is not installed.');
  return { update: crc32cUpdate, kind: 'js' };
}
