import type { Readable, Writable } from 'node:stream';
import { MAX_CHUNK_BYTES } from '../../core/serve-protocol';

/**
 * The wire format of `rewind-helper serve`, both directions: JSON messages,
 * one per line, and binary payloads as chunks (4-byte big-endian length, then
 * the bytes; a zero length ends the payload). See docs/serve-protocol.md.
 */

/** The peer broke the framing (or went away mid-message); the connection cannot go on. */
export class FramingError extends Error {
  override name = 'FramingError';
}

/** Reads lines and chunks from a byte stream, pausing it while enough is buffered. */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private static readonly HIGH_WATER = 4 * MAX_CHUNK_BYTES;

  constructor(private readonly input: Readable) {
    input.on('data', (data: Buffer) => {
      this.chunks.push(data);
      this.buffered += data.length;
      if (this.buffered > FrameReader.HIGH_WATER) input.pause();
      this.notify();
    });
    input.on('end', () => {
      this.ended = true;
      this.notify();
    });
    input.on('error', (error: Error) => this.destroy(error));
    input.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** Ends every pending and later read with `error`. */
  destroy(error: Error): void {
    this.failure ??= error;
    this.ended = true;
    this.input.destroy();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for more input; false at the end of the input. */
  private async more(): Promise<boolean> {
    if (this.failure) throw this.failure;
    if (this.ended) return false;
    this.input.resume();
    await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
    return true;
  }

  /** The first n buffered bytes, copying only the chunks they span. */
  private take(n: number): Buffer {
    let count = 0;
    let covered = 0;
    while (covered < n) covered += this.chunks[count++].length;
    const head = count === 1 ? this.chunks[0] : Buffer.concat(this.chunks.slice(0, count));
    this.chunks.splice(0, count);
    if (head.length > n) this.chunks.unshift(head.subarray(n));
    this.buffered -= n;
    return head.subarray(0, n);
  }

  private async exactly(n: number, what: string): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (!(await this.more())) {
        if (this.buffered === 0) return undefined;
        throw new FramingError(`The connection ended in the middle of ${what}.`);
      }
    }
    return this.take(n);
  }

  /** The next line without its newline, or undefined at the end of the input. */
  async readLine(maxBytes: number): Promise<string | undefined> {
    let searched = 0;
    for (;;) {
      let end = -1;
      let offset = 0;
      for (const chunk of this.chunks) {
        if (offset + chunk.length > searched) {
          const at = chunk.indexOf(0x0a, Math.max(0, searched - offset));
          if (at >= 0) {
            end = offset + at;
            break;
          }
        }
        offset += chunk.length;
      }
      if (end >= 0) {
        if (end > maxBytes) throw new FramingError(`A message is longer than ${maxBytes} bytes.`);
        return this.take(end + 1).subarray(0, end).toString('utf8');
      }
      searched = this.buffered;
      if (this.buffered > maxBytes) throw new FramingError(`A message is longer than ${maxBytes} bytes.`);
      if (!(await this.more())) {
        if (this.buffered === 0) return undefined;
        throw new FramingError('The connection ended in the middle of a message.');
      }
    }
  }

  /** The next chunk of a payload, or undefined at its end marker. */
  async readChunk(): Promise<Buffer | undefined> {
    const header = await this.exactly(4, 'a payload');
    if (!header) throw new FramingError('The connection ended in the middle of a payload.');
    const length = header.readUInt32BE(0);
    if (length === 0) return undefined;
    if (length > MAX_CHUNK_BYTES) throw new FramingError(`A payload chunk of ${length} bytes is longer than ${MAX_CHUNK_BYTES}.`);
    const data = await this.exactly(length, 'a payload');
    if (!data) throw new FramingError('The connection ended in the middle of a payload.');
    return data;
  }

  /** Reads and drops the rest of a payload. */
  async skipPayload(): Promise<void> {
    while (await this.readChunk());
  }
}

/** Writes lines and chunks, waiting whenever the peer is slower. */
export class FrameWriter {
  private failure: Error | undefined;

  constructor(private readonly output: Writable) {
    output.on('error', (error: Error) => (this.failure ??= error));
  }

  private async write(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.output.destroyed || this.output.writableEnded) throw new FramingError('The connection is closed.');
    if (this.output.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        this.output.off('drain', onDrain);
        this.output.off('error', onError);
        this.output.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () => done(new FramingError('The connection is closed.'));
      this.output.on('drain', onDrain);
      this.output.on('error', onError);
      this.output.on('close', onClose);
    });
  }

  async line(message: unknown): Promise<void> {
    await this.text(JSON.stringify(message));
  }

  /** One line as it is; `line` must not contain a newline. */
  async text(line: string): Promise<void> {
    await this.write(Buffer.from(`${line}\n`, 'utf8'));
  }

  /** Writes bytes as one or more chunks. */
  async chunk(data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; at += MAX_CHUNK_BYTES) {
      const part = data.subarray(at, at + MAX_CHUNK_BYTES);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(part.length, 0);
      await this.write(Buffer.concat([header, part]));
    }
  }

  async endPayload(): Promise<void> {
    await this.write(Buffer.alloc(4));
  }
}
