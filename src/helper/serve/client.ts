import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { ADVICE, ERROR_CODES, RewindError, type ErrorCode } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import {
  SERVE_PROTOCOL_VERSION,
  type BackupInfo,
  type Compression,
  type DirEntry,
  type FilePutResponse,
  type PutTrailer,
  type StoredFile,
  type HelloResponse,
  type ReadStart,
  type ReceiveResponse,
  type ServeRequest,
  type ServeResponses,
  type SpaceResponse,
} from '../../core/serve-protocol';
import { FrameReader, FrameWriter } from './framing';

/**
 * The client side of docs/serve-protocol.md, over any pair of streams: the
 * stdin and stdout of `ssh ... rewind-helper serve`, or of the serve process
 * itself in tests. Requests go one at a time; a refusal becomes a
 * RewindError with the server's code and message.
 */

/** Responses can be long (a big folder's entries); requests are what the server limits. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

function toError(response: { error?: { code?: unknown; message?: unknown } }): RewindError {
  const code = ERROR_CODES.includes(response.error?.code as ErrorCode) ? (response.error?.code as ErrorCode) : 'Internal';
  return new RewindError(code, String(response.error?.message ?? 'The server refused the request without saying why.'), code === 'InvalidArgs' ? { advice: ADVICE.serverRefused } : {});
}

export class ServeClient {
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;

  constructor(toServer: Writable, fromServer: Readable) {
    this.writer = new FrameWriter(toServer);
    this.reader = new FrameReader(fromServer);
  }

  private async response<T>(): Promise<T> {
    const line = await this.reader.readLine(MAX_RESPONSE_BYTES);
    if (line === undefined) throw new RewindError('TransferFailed', 'The server closed the connection.', { reason: reason('server-closed', {}) });
    const response = JSON.parse(line) as { ok?: boolean; error?: { code?: unknown; message?: unknown } };
    if (response.ok !== true) throw toError(response);
    return response as T;
  }

  /** Sends any request line and returns its one response (for ops without a payload). */
  async request<Op extends Exclude<ServeRequest['op'], 'receive' | 'read' | 'file-get' | 'file-put' | 'send' | 'diff'>>(
    request: Extract<ServeRequest, { op: Op }>,
  ): Promise<ServeResponses[Op]> {
    await this.writer.line(request);
    return this.response<ServeResponses[Op]>();
  }

  /** Sends one line as it is, valid or not, and returns the server's answer whatever it is (tests of refusals use it). */
  async rawLine(line: string): Promise<Record<string, unknown>> {
    await this.writer.text(line);
    const answer = await this.reader.readLine(MAX_RESPONSE_BYTES);
    if (answer === undefined) throw new RewindError('TransferFailed', 'The server closed the connection.', { reason: reason('server-closed', {}) });
    return JSON.parse(answer) as Record<string, unknown>;
  }

  hello(): Promise<HelloResponse> {
    return this.request({ op: 'hello', version: SERVE_PROTOCOL_VERSION });
  }

  async list(subvolume: string): Promise<BackupInfo[]> {
    return (await this.request({ op: 'list', subvolume })).backups;
  }

  async folders(): Promise<string[]> {
    return (await this.request({ op: 'folders' })).folders;
  }

  async delete(subvolume: string, name: string): Promise<void> {
    await this.request({ op: 'delete', subvolume, name });
  }

  async clean(subvolume: string): Promise<string[]> {
    return (await this.request({ op: 'clean', subvolume })).removed;
  }

  space(): Promise<SpaceResponse> {
    return this.request({ op: 'space' });
  }

  async sync(): Promise<void> {
    await this.request({ op: 'sync' });
  }

  async readdir(subvolume: string, name: string, path: string): Promise<DirEntry[]> {
    return (await this.request({ op: 'readdir', subvolume, name, path })).entries;
  }

  /**
   * Sends one send stream (`btrfs send` output) as the backup `name`. With
   * zstd it is compressed here and decompressed by the server. The server may
   * refuse mid-stream; sending then stops at once (the caller ends its
   * `btrfs send`). Pipe a child's stdout into `stream` as soon as the child
   * starts: Node drops what a child wrote to a pipe nobody read once it exits.
   */
  async receive(options: {
    subvolume: string;
    name: string;
    compression: Compression;
    stream: Readable;
    /** The stream is zstd data already (a compressed stream file): send it as it is. */
    alreadyCompressed?: boolean;
  }): Promise<ReceiveResponse> {
    const { subvolume, name, compression } = options;
    await this.writer.line({ op: 'receive', subvolume, name, compression });
    await this.response<{ ready: true }>();
    const zstd = compression === 'zstd' && !options.alreadyCompressed ? execa('zstd', ['-q', '-c', '-3', '-T0'], { stdin: 'pipe', stdout: 'pipe', buffer: false, reject: false }) : undefined;
    if (zstd) options.stream.pipe(zstd.stdin!);
    const payload: Readable = zstd ? zstd.stdout! : options.stream;
    const result = this.response<ReceiveResponse>();
    let refused = false;
    result.catch(() => (refused = true));
    try {
      for await (const chunk of payload) {
        if (refused) break;
        await this.writer.chunk(chunk as Buffer);
      }
    } finally {
      if (zstd) {
        options.stream.unpipe(zstd.stdin!);
        zstd.stdin!.destroy();
        zstd.kill();
        await zstd;
      }
      await this.writer.endPayload().catch(() => undefined);
    }
    return result;
  }

  /** Reads one file of a backup into `sink`; returns its metadata and length. */
  async read(options: { subvolume: string; name: string; path: string; sink: Writable }): Promise<ReadStart & { bytes: number }> {
    await this.writer.line({ op: 'read', subvolume: options.subvolume, name: options.name, path: options.path });
    const start = await this.response<ReadStart>();
    for (;;) {
      const chunk = await this.reader.readChunk();
      if (!chunk) break;
      if (!options.sink.write(chunk)) await new Promise((resolve) => options.sink.once('drain', resolve));
    }
    const end = await this.response<{ bytes: number }>();
    return { ...start, bytes: end.bytes };
  }

  async fileList(subvolume: string): Promise<StoredFile[]> {
    return (await this.request({ op: 'file-list', subvolume })).files;
  }

  async fileCheck(subvolume: string, file: string): Promise<{ size: number; sha256: string }> {
    const { size, sha256 } = await this.request({ op: 'file-check', subvolume, file });
    return { size, sha256 };
  }

  async fileDelete(subvolume: string, file: string): Promise<boolean> {
    return (await this.request({ op: 'file-delete', subvolume, file })).deleted;
  }

  /** Reads one stored file into `sink`; returns its length. */
  fileGet(options: { subvolume: string; file: string; sink: Writable }): Promise<number> {
    return this.download({ op: 'file-get', subvolume: options.subvolume, file: options.file }, options.sink);
  }

  /** The send stream of one complete backup (`btrfs send` on the server), into `sink`; returns its length. */
  sendBackup(options: { subvolume: string; name: string; sink: Writable }): Promise<number> {
    return this.download({ op: 'send', subvolume: options.subvolume, name: options.name }, options.sink);
  }

  /** What changed from backup `from` to `to` (`btrfs send --no-data -p` on the server), into `sink`; returns its length. */
  diffBackups(options: { subvolume: string; from: string; to: string; sink: Writable }): Promise<number> {
    return this.download({ op: 'diff', subvolume: options.subvolume, from: options.from, to: options.to }, options.sink);
  }

  /** A request answered by a start line, a payload and an end line with its length. */
  private async download(request: Extract<ServeRequest, { op: 'file-get' | 'send' | 'diff' }>, sink: Writable): Promise<number> {
    await this.writer.line(request);
    await this.response<{ ok: true }>();
    for (;;) {
      const chunk = await this.reader.readChunk();
      if (!chunk) break;
      // A reader that gave up still gets the payload read off the connection, so the next request can go.
      if (sink.destroyed) continue;
      if (!sink.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            sink.off('drain', done);
            sink.off('close', done);
            resolve();
          };
          sink.on('drain', done);
          sink.on('close', done);
        });
      }
    }
    return (await this.response<{ bytes: number }>()).bytes;
  }

  /**
   * Starts writing one stored file. Write the bytes with `chunk`, then
   * `finish` with their size and SHA-256 (the server checks both before the
   * file takes its name) or `{ cancel: true }`. A refusal that comes while
   * the bytes are sent (a full disk) makes the next `chunk` throw it.
   */
  async filePut(subvolume: string, file: string): Promise<FilePut> {
    await this.writer.line({ op: 'file-put', subvolume, file });
    await this.response<{ ready: true }>();
    const result = this.response<FilePutResponse>();
    let refusal: unknown;
    result.catch((error: unknown) => (refusal = error));
    return {
      chunk: async (data: Buffer) => {
        if (refusal) throw refusal;
        await this.writer.chunk(data);
      },
      finish: async (trailer: PutTrailer) => {
        await this.writer.endPayload();
        await this.writer.line(trailer);
        return result;
      },
    };
  }
}

export interface FilePut {
  chunk(data: Buffer): Promise<void>;
  finish(trailer: PutTrailer): Promise<FilePutResponse>;
}
