import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { SshDestinationConfig } from '../../../core/config';
import { RewindError } from '../../../core/errors';
import { DEFAULT_TIMEOUTS, SshConnection } from '../ssh/connection';
import type { SshPaths } from '../ssh/identity';
import { MAX_TEXT_FILE } from './folder-store';
import type { FileSink, StreamStore } from './stream-store';

/**
 * Stream files on a server without btrfs: `rewind-helper serve` keeps them in
 * ROOT/HOST/<dirName>/ through its file-… ops (docs/serve-protocol.md), one
 * request at a time over one SSH connection. The server writes each file
 * under a temporary name and renames it only after checking its size and
 * SHA-256, so the manifest, too, is replaced atomically.
 */
export class SshStore implements StreamStore {
  private constructor(
    private readonly connection: SshConnection,
    readonly where: string,
  ) {}

  static async open(config: SshDestinationConfig, paths: SshPaths): Promise<SshStore> {
    return SshStore.onConnection(config, await SshConnection.open({ host: config.host, port: config.port, user: config.user }, paths, DEFAULT_TIMEOUTS));
  }

  /** Over a connection already made (the store was chosen from its hello: ../open-destination). */
  static async onConnection(config: SshDestinationConfig, connection: SshConnection): Promise<SshStore> {
    if (connection.hello.btrfs === undefined) {
      await connection.close();
      throw new RewindError(
        'TransferFailed',
        `The rewind-helper on ${config.host} is too old to keep stream files; update Rewind on the server, or set "store": "btrfs" if its backup folder is on btrfs.`,
      );
    }
    return new SshStore(connection, `${config.host}:${config.path}`);
  }

  get host(): string {
    return this.connection.hello.host;
  }

  get alive(): boolean {
    return this.connection.alive;
  }

  folders(): Promise<string[]> {
    return this.connection.call((c) => c.folders());
  }

  async space(): Promise<{ freeBytes: number; sizeBytes: number }> {
    const { freeBytes, totalBytes } = await this.connection.call((c) => c.space());
    return { freeBytes, sizeBytes: totalBytes };
  }

  async files(dirName: string): Promise<string[]> {
    return (await this.connection.call((c) => c.fileList(dirName))).map((f) => f.name);
  }

  async readText(dirName: string, file: string): Promise<string | undefined> {
    if (!(await this.files(dirName)).includes(file)) return undefined;
    const sink = this.bounded(dirName, file, MAX_TEXT_FILE);
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that sent too much is disconnected by the sink: its refusal, not the lost connection, is the cause.
    await this.connection.call((c) => c.fileGet({ subvolume: dirName, file, sink })).catch((error: unknown) => {
      throw sink.errored ?? error;
    });
    if (sink.errored) throw sink.errored;
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * A sink for a stored file that takes at most `limit` bytes: a server that
   * sends more is not believed, and its connection is ended (the rest of what
   * it sends would otherwise have to be read off it).
   */
  private bounded(dirName: string, file: string, limit: number): Transform {
    let bytes = 0;
    return new Transform({
      highWaterMark: 1024 * 1024,
      transform: (chunk: Buffer, _encoding, done) => {
        bytes += chunk.length;
        if (bytes <= limit) return done(null, chunk);
        void this.connection.close();
        done(new RewindError('BackupDamaged', `The server sent more than the ${limit} bytes that ${dirName}/${file} holds on ${this.where}.`));
      },
    });
  }

  async writeText(dirName: string, file: string, text: string): Promise<void> {
    const data = Buffer.from(text, 'utf8');
    const sink = await this.createFile(dirName, file);
    try {
      await sink.write(data);
      await sink.commit(data.length, createHash('sha256').update(data).digest('hex'));
    } catch (error) {
      await sink.abort();
      throw error;
    }
  }

  async createFile(dirName: string, file: string): Promise<FileSink> {
    const put = await this.connection.call((c) => c.filePut(dirName, file));
    let finished = false;
    return {
      write: (data) => this.connection.call(() => put.chunk(data)),
      commit: async (size, sha256) => {
        finished = true;
        await this.connection.call(() => put.finish({ size, sha256 }));
      },
      abort: async () => {
        if (finished || !this.connection.alive) return;
        finished = true;
        // The server drops the file; its answer to the cancel is the expected refusal.
        await this.connection.call(() => put.finish({ cancel: true })).catch(() => undefined);
      },
    };
  }

  readFile(dirName: string, file: string, size: number): Readable {
    const output = this.bounded(dirName, file, size);
    this.connection.call((c) => c.fileGet({ subvolume: dirName, file, sink: output })).then(
      () => output.end(),
      (error: unknown) => output.destroy((output.errored ?? error) as Error),
    );
    return output;
  }

  /** The server lists regular files only, with their sizes. */
  async sizes(dirName: string, files: readonly string[]): Promise<Map<string, number>> {
    const wanted = new Set(files);
    const listed = await this.connection.call((c) => c.fileList(dirName));
    return new Map(listed.filter((f) => wanted.has(f.name)).map((f) => [f.name, f.size]));
  }

  async hashFile(dirName: string, file: string, _size: number): Promise<{ size: number; sha256: string } | { error: string }> {
    try {
      return await this.connection.call((c) => c.fileCheck(dirName, file));
    } catch (error) {
      if (error instanceof RewindError && error.code === 'InvalidArgs') return { error: error.detail };
      throw error;
    }
  }

  async remove(dirName: string, file: string): Promise<void> {
    await this.connection.call((c) => c.fileDelete(dirName, file));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** The client reads a download to its end, even for a reader that stopped: only a cut ends it before the server has sent the rest. */
  cut(): void {
    this.connection.cut();
  }
}
