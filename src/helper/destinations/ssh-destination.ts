import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { ByteCounter } from '../codec/byte-counter';
import type { SshDestinationConfig } from '../../core/config';
import { ADVICE, RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import type { BackupInfo, Compression } from '../../core/serve-protocol';
import { isLoopbackHost } from '../../core/ssh';
import type { Subvolume } from '../../core/subvolume';
import type { ReceiveRequest, ReceiveResult, StreamDestination } from './backup-destination';
import { ReceivedDestination, type SendOrder } from './received-destination';
import { DEFAULT_TIMEOUTS, SshConnection, type SshTimeouts } from './ssh/connection';
import type { SshPaths } from './ssh/identity';
import { ReplayPlace } from './stream-files/replay-place';
import { destinationName } from '../../core/destination-name';
import { checkLeftOut } from '../../core/xattrs-left-out';
import { estimateWork, TransferMeter } from '../engine/transfer-meter';
import { countedStream, restoreCancelled, type RestoreWatch } from '../restore/restore-watch';

/**
 * Another machine running `rewind-helper serve` (docs/serve-protocol.md),
 * reached over one SSH connection for the whole run. The server confines the
 * key to ROOT/<host>/ and names that host in its hello; backups are reported
 * with paths `<host>/<folder>/<name>` relative to ROOT, like a btrfs disk's
 * paths below its top level.
 *
 * The stream is compressed with zstd on the wire when the destination says
 * "zstd", or says "auto" (the default) and the server is not this machine;
 * it goes as it is when the server has no zstd, unless "zstd" was asked for.
 */
export interface SshDestinationOptions {
  timeouts?: SshTimeouts;
}

export class SshDestination extends ReceivedDestination implements StreamDestination {
  private constructor(
    readonly config: SshDestinationConfig,
    readonly connection: SshConnection,
    readonly compression: Compression,
  ) {
    super();
  }

  get usable(): boolean {
    return this.connection.alive;
  }

  static async open(config: SshDestinationConfig, paths: SshPaths, options: SshDestinationOptions = {}): Promise<SshDestination> {
    const connection = await SshConnection.open({ host: config.host, port: config.port, user: config.user }, paths, options.timeouts ?? DEFAULT_TIMEOUTS);
    return SshDestination.onConnection(config, connection);
  }

  /** Received backups over a connection already made (the store was chosen from its hello: ./open-destination). */
  static async onConnection(config: SshDestinationConfig, connection: SshConnection): Promise<SshDestination> {
    const { zstd, btrfs } = connection.hello;
    if (btrfs === false) {
      await connection.close();
      throw new RewindError(
        'InvalidArgs',
        `The backup folder ${config.path} on ${config.host} is not on btrfs, so the server can keep stream files only; remove "store": "btrfs" from this destination, and Rewind uses them.`,
      );
    }
    if (config.compression === 'zstd' && !zstd) {
      await connection.close();
      throw new RewindError('TransferFailed', `The server ${config.host} cannot decompress zstd (the zstd program is not installed there), and this destination asks for it. Install zstd on the server, or set "compression" to "auto".`);
    }
    const compression: Compression = zstd && (config.compression === 'zstd' || (config.compression === 'auto' && !isLoopbackHost(config.host))) ? 'zstd' : 'none';
    return new SshDestination(config, connection, compression);
  }

  get name(): string {
    return destinationName(this.config);
  }

  /** The folder the server confines this key to: this machine's name there. */
  get host(): string {
    return this.connection.hello.host;
  }

  /** Send stream versions the server's `btrfs receive` understands. */
  get sendProtocols(): number[] {
    return this.connection.hello.sendProtocols;
  }

  private toSubvolume(dirName: string, b: BackupInfo): Subvolume {
    return {
      // The server does not tell subvolume ids; nothing on this side needs them.
      id: 0,
      path: `${this.host}/${dirName}/${b.name}`,
      uuid: b.uuid,
      ...(b.parentUuid ? { parentUuid: b.parentUuid } : {}),
      ...(b.receivedUuid ? { receivedUuid: b.receivedUuid } : {}),
      createdGeneration: b.createdGeneration,
      readOnly: b.readOnly,
    };
  }

  /** [folder, name] of a backup this destination reported. */
  private locate(backup: Subvolume): [string, string] {
    const parts = backup.path.split('/');
    if (parts.length !== 3 || parts[0] !== this.host) throw new RewindError('Internal', `${backup.path} is not a backup of ${this.host} on ${this.name}.`);
    return [parts[1], parts[2]];
  }

  async backups(dirName: string): Promise<Subvolume[]> {
    const list = await this.connection.call((c) => c.list(dirName));
    return list.map((b) => this.toSubvolume(dirName, b));
  }

  async allBackups(): Promise<Map<string, Subvolume[]>> {
    const groups = new Map<string, Subvolume[]>();
    for (const folder of await this.connection.call((c) => c.folders())) {
      const backups = await this.backups(folder);
      if (backups.length > 0) groups.set(folder, backups);
    }
    return groups;
  }

  async removeIncomplete(dirName: string): Promise<string[]> {
    return this.connection.call((c) => c.clean(dirName));
  }

  async removeAll(backups: readonly Subvolume[]): Promise<void> {
    for (const backup of backups) {
      const [folder, name] = this.locate(backup);
      await this.connection.call((c) => c.delete(folder, name));
    }
  }

  /** Every listing is asked of the server anew: nothing to forget. */
  changed(): void {}

  /** The server removes a failed receive itself before it answers; this removes what a killed server left. */
  async removePartial(dirName: string, name: string): Promise<void> {
    if (!this.connection.alive) return;
    const leftover = (await this.backups(dirName)).find((b) => b.path.endsWith(`/${name}`));
    if (leftover && !(leftover.readOnly && leftover.receivedUuid)) await this.remove(leftover);
  }

  /** The server deletes with --commit-after; a sync commits what is still pending. */
  async reclaim(): Promise<void> {
    await this.connection.call((c) => c.sync());
  }

  async flush(): Promise<void> {
    await this.connection.call((c) => c.sync());
  }

  async freeBytes(): Promise<number> {
    return (await this.connection.call((c) => c.space())).freeBytes;
  }

  async serverSpace(): Promise<{ freeBytes: number; sizeBytes: number }> {
    const { freeBytes, totalBytes } = await this.connection.call((c) => c.space());
    return { freeBytes, sizeBytes: totalBytes };
  }

  async receive(request: ReceiveRequest): Promise<ReceiveResult> {
    const counter = new ByteCounter(request.onBytes);
    request.stream.pipe(counter);
    try {
      const result = await this.connection.call((c) =>
        c.receive({ subvolume: request.dirName, name: request.name, compression: this.compression, stream: counter }),
      );
      const leftOut = checkLeftOut(result.leftOut);
      return { bytes: result.streamBytes, wireBytes: result.wireBytes, uuid: result.uuid, receivedUuid: result.receivedUuid, ...(leftOut ? { leftOut } : {}) };
    } catch (error) {
      // A server that ran out of space says so in its own words; keep the code the engine acts on.
      if (error instanceof RewindError && error.code === 'DestinationFull') {
        throw new RewindError('DestinationFull', `The backup disk of ${this.name} ran out of space during the backup.`, { cause: error, reason: reason('full-during-backup', { destination: this.name }) });
      }
      throw error;
    } finally {
      request.stream.unpipe(counter);
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** A server's own words on a failed sync are kept; anything else means it stopped responding. */
  protected override readonly place = 'server';

  protected override flushFailure(error: unknown): RewindError {
    return error instanceof RewindError ? error : super.flushFailure(error);
  }

  protected async send({ snap, snapshot, parent, plan, job }: SendOrder): Promise<void> {
    // A server whose btrfs receive is older gets the stream version it understands.
    const protocol = this.sendProtocols.includes(job.protocol.version) ? job.protocol : { version: 1 as const, args: [] };
    job.record.protocol = protocol.version;
    const estimating = new AbortController();
    const meter = new TransferMeter(() => estimateWork(snapshot, parent, estimating.signal));
    const onBytes = (bytes: number, ended = false) => job.progress({ phase: 'send', kind: plan.kind, bytes, ...meter.progress(bytes, ended) });
    const { sendToStream } = await import('./ssh/send');
    const name = path.basename(snap.snapshot.path);
    const sent = await sendToStream(this, { snapshot, parent, sendArgs: protocol.args, dirName: snap.source.dirName, name, onBytes, signal: job.signal }).finally(() =>
      estimating.abort(),
    );
    onBytes(sent.bytes, true);
    job.record.bytes = sent.bytes;
    if (sent.wireBytes !== undefined) job.record.wireBytes = sent.wireBytes;
    if (sent.leftOut) job.record.leftOut = sent.leftOut;
  }

  /** The server runs `btrfs send --no-data -p` between its two backups (the serve protocol's `diff`). */
  protected async noDataStream(dirName: string, from: string, to: string): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    await this.connection.call((c) => c.diffBackups({ subvolume: dirName, from, to, sink }));
    return chunks;
  }

  async pointFolder(dirName: string, name: string, scratch: () => Promise<string>): Promise<string> {
    const into = await scratch();
    await mkdir(into, { recursive: true, mode: 0o700 });
    return this.restorePoint(dirName, name, into);
  }

  /**
   * The server sends the backup (`send` in docs/serve-protocol.md) and it is
   * received here confined, as a stored stream is (./stream-files/replay-place):
   * through the stream guard into `btrfs receive --chroot`, as exactly the
   * backup asked for — its name, its Received UUID, no parent — and nothing
   * else may appear beside it. A server that is not what it should be can
   * write nothing outside `into`; what it sent is deleted.
   */
  async restorePoint(dirName: string, name: string, into: string, _keyFile?: string, watch?: RestoreWatch): Promise<string> {
    const backup = (await this.backups(dirName)).find((b) => path.basename(b.path) === name);
    if (!backup?.readOnly || !backup.receivedUuid) throw new RewindError('InvalidArgs', `There is no complete backup ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    if (watch?.signal?.aborted) throw restoreCancelled();
    const place = await ReplayPlace.create(into);
    const sink = new PassThrough({ highWaterMark: 1024 * 1024 });
    // A whole restore (RestoreHome) is told the bytes received (the server tells no size ahead), and a cancel cuts the stream.
    let bytes = 0;
    const input = watch
      ? countedStream(
          sink,
          (n) => {
            bytes += n;
            watch.onProgress?.({ bytes });
          },
          watch.signal,
        )
      : sink;
    const sending = this.connection.call((c) => c.sendBackup({ subvolume: dirName, name, sink })).then(
      () => {
        sink.end();
        return undefined;
      },
      (error: unknown) => {
        sink.destroy(error as Error);
        return error;
      },
    );
    // A cancel cuts the connection too: the client reads a download to its end even for a reader that stopped.
    const cut = () => this.connection.cut();
    watch?.signal?.addEventListener('abort', cut, { once: true });
    const problem = await place.receive(input, { name, receivedUuid: backup.receivedUuid }, undefined);
    const sent = await sending.finally(() => watch?.signal?.removeEventListener('abort', cut));
    if (problem || sent || watch?.signal?.aborted) {
      await place.remove();
      if (watch?.signal?.aborted) throw restoreCancelled();
      if (sent && (!problem || problem.code !== 'BackupDamaged')) throw sent;
      throw new RewindError(problem!.code, `Restoring ${name} from ${this.name} failed: ${problem!.detail}`);
    }
    return place.keep(name);
  }
}
