/**
 * An incremental parser for the btrfs send stream (see ./format).
 *
 * Push bytes in whatever pieces they arrive; the parser calls back once per
 * stream header and once per command, in order. It checks, as
 * `btrfs receive` does, and stops at the first problem with a
 * `SendStreamError` that names the byte offset:
 * - the magic and a version it knows (1–3; version 3 is passed through);
 * - each command's length against `maxCommandLength`, before buffering it;
 * - each command's CRC32C;
 * - the attributes: a known type, and a length that stays inside the command
 *   (for version 2+, DATA has no length and runs to the end of the command);
 * - after END: end of input, or the header of another stream;
 * - at `end()`: no stream, or one cut short (no END), is an error.
 * Command types it does not know are passed through (the receiver decides).
 *
 * Memory: a command that lies whole inside a pushed chunk is handed out as a
 * view of that chunk, without copying; one that spans chunks is assembled in
 * a buffer of exactly its length (or, with `reuseBuffers`, in one of two
 * buffers used in turn). At most one command is held at a time.
 */
import { commandChecksum, crc32cUpdate, type Crc32cUpdate } from './crc32c';
import {
  ATTRIBUTE_HEADER_LENGTH,
  Attribute,
  COMMAND_CRC_OFFSET,
  COMMAND_HEADER_LENGTH,
  Command,
  DEFAULT_MAX_COMMAND_LENGTH,
  MAX_STREAM_VERSION,
  STREAM_HEADER_LENGTH,
  STREAM_MAGIC,
  attributeKind,
  attributeName,
  commandName,
  hasImplicitLength,
  maxAttributeOf,
} from './format';
import { decodeName } from './text';

export type SendStreamErrorReason =
  | 'empty'
  | 'bad-magic'
  | 'unsupported-version'
  | 'truncated'
  | 'command-too-long'
  | 'crc-mismatch'
  | 'bad-attribute';

/** A malformed or cut-short stream; `offset` is the byte (from 0) where the problem is. */
export class SendStreamError extends Error {
  readonly reason: SendStreamErrorReason;
  readonly offset: number;

  constructor(reason: SendStreamErrorReason, offset: number, detail: string) {
    super(`Invalid btrfs send stream at byte ${offset}: ${detail}`);
    this.name = 'SendStreamError';
    this.reason = reason;
    this.offset = offset;
  }
}

export interface StreamHeader {
  /** Offset of the header in the input. */
  readonly offset: number;
  readonly version: number;
  /** 0 for the first stream, 1 for the next concatenated one, … */
  readonly index: number;
  /** The 17 header bytes. */
  readonly bytes: Uint8Array;
}

export interface Timespec {
  sec: number;
  nsec: number;
}

/** One command: its bytes (header included) and where its attributes are. */
export class SendCommand {
  /** [type, start, end] triples; start and end index `bytes`. */
  private readonly spans: number[];

  constructor(
    /** The whole command, header included; a view of the pushed chunk when it lay in one. */
    readonly bytes: Uint8Array,
    /** Offset of the command header in the input. */
    readonly offset: number,
    readonly version: number,
    readonly type: number,
    spans: number[],
  ) {
    this.spans = spans;
  }

  get name(): string {
    return commandName(this.type);
  }

  /** The attribute types in stream order. */
  get attributeTypes(): number[] {
    const types: number[] = [];
    for (let i = 0; i < this.spans.length; i += 3) types.push(this.spans[i]);
    return types;
  }

  /** All attributes in order, as views of `bytes`. */
  attributes(): Array<{ type: number; value: Uint8Array }> {
    const out: Array<{ type: number; value: Uint8Array }> = [];
    for (let i = 0; i < this.spans.length; i += 3) {
      out.push({ type: this.spans[i], value: this.bytes.subarray(this.spans[i + 1], this.spans[i + 2]) });
    }
    return out;
  }

  /** The first value of the attribute, as a view of `bytes`. */
  get(type: number): Uint8Array | undefined {
    for (let i = 0; i < this.spans.length; i += 3) {
      if (this.spans[i] === type) return this.bytes.subarray(this.spans[i + 1], this.spans[i + 2]);
    }
    return undefined;
  }

  /** The length of an attribute's value without making a view (-1 when absent). */
  lengthOf(type: number): number {
    for (let i = 0; i < this.spans.length; i += 3) {
      if (this.spans[i] === type) return this.spans[i + 2] - this.spans[i + 1];
    }
    return -1;
  }

  has(type: number): boolean {
    return this.lengthOf(type) >= 0;
  }

  /** A name or path for display (see ./text for bytes that are not UTF-8). */
  string(type: number): string | undefined {
    const value = this.get(type);
    return value === undefined ? undefined : decodeName(value);
  }

  get path(): string | undefined {
    return this.string(Attribute.Path);
  }

  /**
   * An integer attribute (u8, u16, u32 or u64 by its length). Values above
   * 2^53 lose precision; use `bigint()` for those.
   */
  number(type: number): number | undefined {
    const value = this.get(type);
    if (value === undefined) return undefined;
    let n = 0;
    for (let i = value.length - 1; i >= 0; i--) n = n * 256 + value[i];
    return n;
  }

  bigint(type: number): bigint | undefined {
    const value = this.get(type);
    if (value === undefined) return undefined;
    let n = 0n;
    for (let i = value.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(value[i]);
    return n;
  }

  uuid(type: number): string | undefined {
    const value = this.get(type);
    if (value === undefined) return undefined;
    const hex = Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  timespec(type: number): Timespec | undefined {
    const value = this.get(type);
    if (value === undefined || value.length !== 12) return undefined;
    let sec = 0n;
    for (let i = 7; i >= 0; i--) sec = (sec << 8n) | BigInt(value[i]);
    return { sec: Number(BigInt.asIntN(64, sec)), nsec: readU32(value, 8) };
  }

  /** A readable rendering of the attributes, for logs and tests. */
  describe(): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const type of this.attributeTypes) {
      const name = attributeName(type);
      switch (attributeKind(type)) {
        case 'string':
          out[name] = this.string(type) as string;
          break;
        case 'uuid':
          out[name] = this.uuid(type) as string;
          break;
        case 'timespec': {
          const t = this.timespec(type);
          out[name] = t ? `${t.sec}.${String(t.nsec).padStart(9, '0')}` : 'invalid';
          break;
        }
        case 'binary':
          out[name] = `${this.lengthOf(type)} bytes`;
          break;
        default:
          out[name] = this.number(type) as number;
      }
    }
    return out;
  }
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

export interface ParserOptions {
  onHeader?: (header: StreamHeader) => void;
  onCommand: (command: SendCommand) => void;
  /** Raw CRC32C update (see ./crc32c); the helper passes a native one. */
  checksum?: Crc32cUpdate;
  /** Longer commands are refused before they are buffered. */
  maxCommandLength?: number;
  /**
   * Assemble commands that span chunks in two buffers used in turn instead of
   * a new one each: no allocation per command, but a command's bytes (like
   * the views of the pushed chunk) are then valid only until the next push().
   * For a caller that writes each command out before pushing more.
   */
  reuseBuffers?: boolean;
}

/** The smallest reused buffer: a protocol 2 command with a whole compressed extent fits. */
const MIN_REUSED_BUFFER = 256 * 1024;

const State = {
  /** Expecting a stream header (the first, or another after END). */
  Header: 0,
  CommandHeader: 1,
  CommandBody: 2,
} as const;
type State = (typeof State)[keyof typeof State];

export class SendStreamParser {
  private readonly onHeader?: (header: StreamHeader) => void;
  private readonly onCommand: (command: SendCommand) => void;
  private readonly checksum: Crc32cUpdate;
  private readonly maxCommandLength: number;
  private readonly reuse: boolean;
  private readonly spares: Array<Uint8Array | undefined> = [undefined, undefined];
  private spare = 0;

  private state: State = State.Header;
  /** Input bytes consumed so far, i.e. the offset of the next byte. */
  private position = 0;
  /** What is being assembled across chunks, its fill level, and where it started. */
  private pending: Uint8Array | undefined;
  private pendingFilled = 0;
  private pendingOffset = 0;
  private version = 0;
  private streams = 0;
  private commandsInStream = 0;
  private failure: Error | undefined;

  constructor(options: ParserOptions) {
    this.onHeader = options.onHeader;
    this.onCommand = options.onCommand;
    this.checksum = options.checksum ?? crc32cUpdate;
    this.maxCommandLength = options.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
    this.reuse = options.reuseBuffers ?? false;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.position;
  }

  /** Streams whose header has been read. */
  get streamCount(): number {
    return this.streams;
  }

  /** True between streams: after an END (or before anything), nothing half read. */
  get atStreamBoundary(): boolean {
    return this.state === State.Header && this.pending === undefined;
  }

  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(chunk);
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  /** Call at end of input: throws if nothing came, or the stream was cut short. */
  end(): void {
    if (this.failure) throw this.failure;
    let error: SendStreamError | undefined;
    if (this.state === State.Header && this.pending === undefined) {
      if (this.streams === 0) error = new SendStreamError('empty', 0, 'the input is empty; expected a stream header.');
    } else if (this.state === State.Header) {
      error = new SendStreamError(
        'truncated',
        this.pendingOffset,
        `the stream header is cut short: ${this.pendingFilled} of ${STREAM_HEADER_LENGTH} bytes.`,
      );
    } else if (this.pending !== undefined && this.pending.length > COMMAND_HEADER_LENGTH) {
      error = new SendStreamError(
        'truncated',
        this.pendingOffset,
        `the input ends inside a ${commandName(readU16(this.pending, 4))} command: ${this.pendingFilled} of ${this.pending.length} bytes.`,
      );
    } else if (this.pending !== undefined) {
      error = new SendStreamError(
        'truncated',
        this.pendingOffset,
        `the input ends inside a command header: ${this.pendingFilled} of ${COMMAND_HEADER_LENGTH} bytes.`,
      );
    } else {
      error = new SendStreamError(
        'truncated',
        this.position,
        `the input ends after ${this.commandsInStream} commands without an END command; the stream is cut short.`,
      );
    }
    if (error) {
      this.failure = error;
      throw error;
    }
  }

  private consume(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.pending !== undefined) {
        const pending = this.pending;
        const take = Math.min(pending.length - this.pendingFilled, n - pos);
        pending.set(chunk.subarray(pos, pos + take), this.pendingFilled);
        this.pendingFilled += take;
        pos += take;
        this.position += take;
        if (this.pendingFilled < pending.length) return;
        this.pending = undefined;
        if (this.state === State.Header) {
          this.header(pending, this.pendingOffset);
        } else if (this.state === State.CommandHeader) {
          // The header is complete: now the whole command, header included.
          const total = this.commandLength(pending, 0, this.pendingOffset);
          this.state = State.CommandBody;
          if (total === COMMAND_HEADER_LENGTH) {
            this.command(pending, this.pendingOffset);
          } else {
            const whole = this.allocate(total);
            whole.set(pending);
            this.pending = whole;
            this.pendingFilled = COMMAND_HEADER_LENGTH;
          }
        } else {
          this.command(pending, this.pendingOffset);
        }
        continue;
      }
      const available = n - pos;
      if (this.state === State.Header) {
        if (available >= STREAM_HEADER_LENGTH) {
          this.header(chunk.subarray(pos, pos + STREAM_HEADER_LENGTH), this.position);
          pos += STREAM_HEADER_LENGTH;
          this.position += STREAM_HEADER_LENGTH;
        } else {
          this.startPending(STREAM_HEADER_LENGTH);
        }
        continue;
      }
      if (available < COMMAND_HEADER_LENGTH) {
        this.state = State.CommandHeader;
        this.startPending(COMMAND_HEADER_LENGTH);
        continue;
      }
      const total = this.commandLength(chunk, pos, this.position);
      if (available >= total) {
        this.state = State.CommandBody;
        const offset = this.position;
        pos += total;
        this.position += total;
        this.command(chunk.subarray(pos - total, pos), offset);
      } else {
        this.state = State.CommandBody;
        this.startPending(total);
      }
    }
  }

  private startPending(length: number): void {
    this.pending = this.allocate(length);
    this.pendingFilled = 0;
    this.pendingOffset = this.position;
  }

  /**
   * A buffer to assemble into. Reused ones alternate: the command completed
   * from one at the start of a push may still be waiting to be written while
   * the next one starts at the end of that push, in the other.
   */
  private allocate(length: number): Uint8Array {
    if (!this.reuse) return new Uint8Array(length);
    this.spare ^= 1;
    let buffer = this.spares[this.spare];
    if (buffer === undefined || buffer.length < length) {
      buffer = new Uint8Array(Math.max(length, MIN_REUSED_BUFFER));
      this.spares[this.spare] = buffer;
    }
    return buffer.subarray(0, length);
  }

  /** Total length of the command whose header is at `at`, checked against the limit. */
  private commandLength(bytes: Uint8Array, at: number, offset: number): number {
    const length = readU32(bytes, at);
    if (length > this.maxCommandLength) {
      throw new SendStreamError(
        'command-too-long',
        offset,
        `a ${commandName(readU16(bytes, at + 4))} command claims ${length} bytes, more than the ${this.maxCommandLength} allowed; the length field is corrupt.`,
      );
    }
    return COMMAND_HEADER_LENGTH + length;
  }

  private header(bytes: Uint8Array, offset: number): void {
    for (let i = 0; i < STREAM_MAGIC.length; i++) {
      if (bytes[i] !== STREAM_MAGIC[i]) {
        const what = this.streams === 0 ? 'this is not a btrfs send stream' : 'expected the end of input or another stream after END';
        throw new SendStreamError('bad-magic', offset + i, `${what} (the "btrfs-stream" magic does not match).`);
      }
    }
    const version = readU32(bytes, STREAM_MAGIC.length);
    if (version < 1 || version > MAX_STREAM_VERSION) {
      throw new SendStreamError(
        'unsupported-version',
        offset + STREAM_MAGIC.length,
        `stream version ${version} is not supported (1 to ${MAX_STREAM_VERSION} are).`,
      );
    }
    this.version = version;
    this.state = State.CommandHeader;
    this.commandsInStream = 0;
    const index = this.streams++;
    this.onHeader?.({ offset, version, index, bytes });
  }

  private command(bytes: Uint8Array, offset: number): void {
    const stored = readU32(bytes, COMMAND_CRC_OFFSET);
    const type = readU16(bytes, 4);
    const computed = commandChecksum(bytes, this.checksum);
    if (stored !== computed) {
      throw new SendStreamError(
        'crc-mismatch',
        offset,
        `the CRC of the ${commandName(type)} command (${bytes.length} bytes) does not match: stored 0x${hex(stored)}, computed 0x${hex(computed)}.`,
      );
    }
    const spans = this.attributes(bytes, offset, type);
    this.commandsInStream++;
    this.state = type === Command.End ? State.Header : State.CommandHeader;
    this.onCommand(new SendCommand(bytes, offset, this.version, type, spans));
  }

  private attributes(bytes: Uint8Array, offset: number, type: number): number[] {
    const spans: number[] = [];
    const end = bytes.length;
    const maxType = maxAttributeOf(MAX_STREAM_VERSION);
    let p = COMMAND_HEADER_LENGTH;
    while (p < end) {
      const where = `in the ${commandName(type)} command at byte ${offset}`;
      if (end - p < 2) {
        throw new SendStreamError('bad-attribute', offset + p, `an attribute header is cut short ${where}.`);
      }
      const attribute = readU16(bytes, p);
      if (attribute === 0 || attribute > maxType) {
        throw new SendStreamError('bad-attribute', offset + p, `unknown attribute type ${attribute} ${where}.`);
      }
      if (hasImplicitLength(this.version, attribute)) {
        spans.push(attribute, p + 2, end);
        break;
      }
      if (end - p < ATTRIBUTE_HEADER_LENGTH) {
        throw new SendStreamError('bad-attribute', offset + p, `the ${attributeName(attribute)} attribute header is cut short ${where}.`);
      }
      const length = readU16(bytes, p + 2);
      const start = p + ATTRIBUTE_HEADER_LENGTH;
      if (start + length > end) {
        throw new SendStreamError(
          'bad-attribute',
          offset + p,
          `the ${attributeName(attribute)} attribute claims ${length} bytes but only ${end - start} are left ${where}.`,
        );
      }
      spans.push(attribute, start, start + length);
      p = start + length;
    }
    return spans;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
