import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ADVICE, RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import { sizeText } from '../../../core/space-notice';
import { ChangeCollector, type Change } from '../../../core/send-stream/changes';
import { SendStreamError, SendStreamParser, type SendCommand } from '../../../core/send-stream/parser';
import { chainTo } from '../../../core/stream-chains';
import type { StreamEntry, StreamManifest } from '../../../core/stream-manifest';
import { nativeCrc32cUpdate } from '../../codec/send-stream-pipe';
import { identityOf, recipientOf } from './age-key';
import { readCheckedParts, readParts } from './part-files';
import { chainGuard, ReplayPlace } from './replay-place';
import { StreamCutOff, StreamRefused } from '../../serve/stream-guard';
import { failureOf, spawnFilter, type Child } from './stream-pipes';
import { checkPart, type StreamStore } from './stream-store';
import { TransferMeter } from '../../engine/transfer-meter';
import { countedStream, restoreCancelled, type RestoreWatch } from '../../restore/restore-watch';

/** What a check of one stream knows of its chain, to apply the restore's guard: the stream before it, and the links made so far. */
export interface ReplayCheck {
  parent?: StreamEntry;
  links: Set<string>;
}

/**
 * Reading stored streams back: checked (`verify`), read for what changed,
 * and replayed into a place on btrfs. Each reads one folder's manifest,
 * given by the caller, and the part files it names, through the store.
 */
export class ChainReader {
  constructor(
    private readonly store: StreamStore,
    /** The destination's name, for messages. */
    private readonly name: string,
    /** The helper's own key file for this destination. */
    private readonly ownKeyFile: string,
  ) {}

  /** The identity that opens this destination's streams: `keyPath`, or the helper's own. */
  async identityFile(manifest: StreamManifest, keyPath?: string): Promise<string> {
    const file = keyPath ?? this.ownKeyFile;
    await identityOf(file);
    const recipient = await recipientOf(file);
    if (manifest.recipient && manifest.recipient !== recipient) {
      throw new RewindError('WrongKey', `The key in ${file} is not the key these backups were encrypted with (${manifest.recipient}).`);
    }
    return file;
  }

  /** The decrypted, decompressed send stream of one entry, and the processes making it. */
  private openStream(dirName: string, stream: StreamEntry, identity: string | undefined, checked?: { problem?: string }): { output: Readable; done: Promise<string | undefined> } {
    const input = checked ? readCheckedParts(this.store, dirName, stream.parts, checked) : readParts(this.store, dirName, stream.parts);
    const age = stream.encrypted ? spawnFilter('age', ['-d', '-i', identity!]) : undefined;
    const zstd = spawnFilter('zstd', ['-q', '-d', '-c']);
    const steps = age ? [pipeline(input, age.stdin!), pipeline(age.stdout as Readable, zstd.stdin!)] : [pipeline(input, zstd.stdin!)];
    const children: Array<[string, Child]> = [...(age ? [['age', age] as [string, Child]] : []), ['zstd', zstd]];
    const done = Promise.allSettled(steps).then(() => failureOf(children));
    return { output: zstd.stdout as Readable, done };
  }

  /**
   * Checks one stream without receiving it: each part's size and SHA-256,
   * then every command's CRC32C after decryption and decompression, each
   * command also handed to `onCommand` when given. Returns what is wrong,
   * naming the file, or undefined.
   */
  async verifyStream(
    dirName: string,
    stream: StreamEntry,
    identity?: string,
    onCommand?: (command: SendCommand) => void,
    replay?: ReplayCheck,
  ): Promise<string | undefined> {
    for (const part of stream.parts) {
      const problem = await checkPart(this.store, dirName, part);
      if (problem) return `${part.file} ${problem}`;
    }
    return (await this.decodeStream(dirName, stream, identity, onCommand, replay)).problem;
  }

  /**
   * Decrypts and decompresses one stream's parts and parses it to its end,
   * checking every command's CRC32C, without checking the parts against
   * the manifest first (the caller did, or is making the manifest). Returns
   * the bytes of the send stream, and what is wrong, naming the file.
   */
  async decodeStream(
    dirName: string,
    stream: StreamEntry,
    identity?: string,
    onCommand?: (command: SendCommand) => void,
    replay?: ReplayCheck,
  ): Promise<{ bytes: number; problem?: string }> {
    const opened = this.openStream(dirName, stream, identity);
    const { done } = opened;
    // With `replay`, the stream also passes the guard a restore puts it through (./replay-place).
    const output = replay ? opened.output.pipe(chainGuard(stream, replay.parent, replay.links)) : opened.output;
    // Only a command nobody keeps may live in a reused buffer.
    const parser = new SendStreamParser({ checksum: nativeCrc32cUpdate() ?? undefined, onCommand: onCommand ?? (() => undefined), reuseBuffers: !onCommand });
    let bytes = 0;
    try {
      for await (const chunk of output) {
        bytes += (chunk as Buffer).length;
        parser.push(chunk as Buffer);
      }
      parser.end();
    } catch (error) {
      if (error instanceof StreamRefused && !(error instanceof StreamCutOff)) {
        await done;
        return { bytes, problem: `${stream.parts[0].file} would be refused when restored: ${error.message}` };
      }
      // A process that failed (age refusing the key, zstd finding damage) is the cause of a stream cut short.
      const failed = await done;
      return { bytes, problem: `${stream.parts[0].file}: ${failed ?? (error as Error).message}` };
    }
    const failed = await done;
    return failed ? { bytes, problem: `${stream.parts[0].file}: ${failed}` } : { bytes };
  }

  private entry(manifest: StreamManifest, dirName: string, name: string): StreamEntry {
    const entry = manifest.streams.find((s) => s.name === name);
    if (!entry) throw new RewindError('InvalidArgs', `There is no backup ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    return entry;
  }

  /** What changed in the backup `name` since its parent, read from its own incremental stream. */
  async changesOf(manifest: StreamManifest, dirName: string, name: string, keyPath?: string): Promise<{ previous?: string; changes: Change[] }> {
    const stream = this.entry(manifest, dirName, name);
    const parent = stream.kind === 'full' ? undefined : manifest.streams.find((s) => s.receivedUuid === stream.parentUuid);
    if (!parent) return { changes: [] };
    const identity = stream.encrypted ? await this.identityFile(manifest, keyPath) : undefined;
    const collector = new ChangeCollector();
    const problem = await this.verifyStream(dirName, stream, identity, (command) => collector.command(command));
    if (problem) throw new RewindError('BackupDamaged', `The backup file ${problem} (on ${this.name}); what changed in it cannot be read.`);
    return { previous: parent.name, changes: collector.result().flatMap((l) => l.changes) };
  }

  /** A backup file the restore of `name` needs, found missing, cut short or changed: named for the command line, the disk for the app. */
  private damagedFile(file: string, problem: string, name: string): RewindError {
    return new RewindError('BackupDamaged', `The backup file ${file} on ${this.name} ${problem}; the restore of ${name} needs it.`, {
      reason: reason('restore-file-damaged', { destination: this.name }),
    });
  }

  /**
   * The chain of streams that restores `name`, every part there with the
   * size the manifest records (their checksums are checked as they are
   * read), and the identity that opens them.
   */
  async chainOf(manifest: StreamManifest, dirName: string, name: string, keyPath?: string): Promise<{ chain: StreamEntry[]; identity?: string }> {
    const chain = chainTo(manifest.streams, this.entry(manifest, dirName, name));
    if (!chain) throw new RewindError('BackupDamaged', `The backup ${name} on ${this.name} depends on a stream that is missing from its list.`);
    const parts = chain.flatMap((s) => s.parts);
    const sizes = await this.store.sizes(dirName, parts.map((p) => p.file));
    for (const part of parts) {
      const size = sizes.get(part.file);
      const problem = size === undefined ? 'is missing' : size !== part.size ? `is ${size} bytes, the manifest says ${part.size}` : undefined;
      if (problem) throw this.damagedFile(part.file, problem, name);
    }
    const identity = chain.some((s) => s.encrypted) ? await this.identityFile(manifest, keyPath) : undefined;
    return { chain, identity };
  }

  /**
   * Reads one stream of a chain for a restore that writes only some files
   * (../../restore/stream-extract): each part checked against its SHA-256 as
   * it is read, the stream through the restore's guard (`parent` the stream
   * before it, `links` the chain's links so far), every command's CRC32C.
   * `onCommand` gets each command; `flush` is awaited after each piece, before
   * the next is read, and what it throws is thrown as it is. Anything wrong
   * with the stream, or a command `onCommand` refuses, is a BackupDamaged
   * error naming the file.
   */
  async readCommands(
    dirName: string,
    stream: StreamEntry,
    parent: StreamEntry | undefined,
    links: Set<string>,
    identity: string | undefined,
    onCommand: (command: SendCommand) => void,
    flush: () => Promise<void>,
  ): Promise<void> {
    const checked: { problem?: string } = {};
    const opened = this.openStream(dirName, stream, identity, checked);
    const output = opened.output.pipe(chainGuard(stream, parent, links));
    const parser = new SendStreamParser({ checksum: nativeCrc32cUpdate() ?? undefined, onCommand });
    const file = `${stream.parts[0].file} on ${this.name}`;
    let effect: { error: unknown } | undefined;
    try {
      for await (const chunk of output) {
        parser.push(chunk as Buffer);
        await flush().catch((error: unknown) => {
          effect = { error };
          throw error;
        });
      }
      parser.end();
    } catch (error) {
      // Stopped early: the decompressor must not wait for a reader that is gone.
      opened.output.destroy();
      const failed = await opened.done;
      if (effect) throw effect.error;
      if (checked.problem) throw new RewindError('BackupDamaged', `The backup file ${checked.problem} (on ${this.name}).`);
      // Input that ended early: a process that failed (age refusing the key, zstd finding damage) is the cause.
      // Otherwise the reading stopped here, and the processes failed only because nobody read them any more.
      const cutShort = error instanceof StreamCutOff || (error instanceof SendStreamError && error.reason === 'truncated');
      if (cutShort && failed) throw new RewindError(isWrongKey(failed) ? 'WrongKey' : 'BackupDamaged', `Reading the backup file ${file} failed (${failed}).`);
      // What the guard refuses, or a command that does not fit the files before it: never a stream Rewind wrote.
      const why = `${(error as Error).message} Rewind's own backups never do this: the file was changed or made by someone else, and nothing of it was kept.`;
      throw new RewindError('BackupDamaged', `The backup file ${file} cannot be restored: ${why}`);
    }
    const failed = await opened.done;
    if (checked.problem) throw new RewindError('BackupDamaged', `The backup file ${checked.problem} (on ${this.name}).`);
    if (failed) throw new RewindError(isWrongKey(failed) ? 'WrongKey' : 'BackupDamaged', `Reading the backup file ${file} failed (${failed}).`);
  }

  /**
   * Replays the chain of `name` into `into`, checking every file first; see
   * FilesDestination.replay for why each stream is received confined.
   */
  async replay(manifest: StreamManifest, dirName: string, name: string, into: string, keyPath?: string, watch?: RestoreWatch): Promise<string> {
    // A cancel cuts a server's connection: its checks and downloads would otherwise run to their end first (up to a part, 1 GiB).
    const cut = () => this.store.cut?.();
    if (watch?.signal?.aborted) throw restoreCancelled();
    watch?.signal?.addEventListener('abort', cut, { once: true });
    try {
      return await this.replayChain(manifest, dirName, name, into, keyPath, watch);
    } catch (error) {
      throw watch?.signal?.aborted ? restoreCancelled() : error;
    } finally {
      watch?.signal?.removeEventListener('abort', cut);
    }
  }

  private async replayChain(manifest: StreamManifest, dirName: string, name: string, into: string, keyPath?: string, watch?: RestoreWatch): Promise<string> {
    const target = this.entry(manifest, dirName, name);
    const chain = chainTo(manifest.streams, target);
    if (!chain) throw new RewindError('BackupDamaged', `The backup ${name} on ${this.name} depends on a stream that is missing from its list.`);
    const identity = chain.some((s) => s.encrypted) ? await this.identityFile(manifest, keyPath) : undefined;
    for (const stream of chain) {
      for (const part of stream.parts) {
        const problem = await checkPart(this.store, dirName, part);
        if (problem) throw this.damagedFile(part.file, problem, name);
      }
    }
    await checkRoomToUnpack(into, chain);
    if (watch?.signal?.aborted) throw restoreCancelled();
    const place = await ReplayPlace.create(into);
    // How far: the decoded bytes against the streams' lengths the manifest gives, known before the first byte.
    const total = chain.reduce((sum, s) => sum + s.streamBytes, 0);
    const meter = new TransferMeter(async () => total, Date.now, 0);
    let bytes = 0;
    const counted = (output: Readable) =>
      watch
        ? countedStream(
            output,
            (n) => {
              bytes += n;
              watch.onProgress?.({ bytes, ...meter.progress(bytes) });
            },
            watch.signal,
          )
        : output;
    try {
      for (const [index, stream] of chain.entries()) await this.replayOne(place, dirName, stream, index > 0 ? chain[index - 1] : undefined, identity, counted);
      if (watch?.signal?.aborted) throw restoreCancelled();
      return await place.keep(name);
    } catch (error) {
      await place.remove();
      throw watch?.signal?.aborted ? restoreCancelled() : error;
    }
  }

  private async replayOne(
    place: ReplayPlace,
    dirName: string,
    stream: StreamEntry,
    parent: StreamEntry | undefined,
    identity: string | undefined,
    counted: (output: Readable) => Readable,
  ): Promise<void> {
    const { output, done } = this.openStream(dirName, stream, identity);
    const refused = await place.receive(counted(output), stream, parent);
    const failed = await done;
    const file = `${stream.parts[0].file} on ${this.name}`;
    // A refused stream stops the decompressor too: the refusal is the cause, not the broken pipe.
    if (refused?.code === 'BackupDamaged') throw new RewindError('BackupDamaged', `The backup file ${file} cannot be restored: ${refused.detail}`);
    // A decompressor cut off by a receive that stopped (a full disk) only says so: the receive's reason is the cause.
    const cutOff = failed !== undefined && /SIGPIPE|Broken pipe/i.test(failed);
    if (failed && !(cutOff && refused)) {
      const wrongKey = isWrongKey(failed);
      throw new RewindError(wrongKey ? 'WrongKey' : 'BackupDamaged', `Reading the backup file ${file} failed (${failed}).`);
    }
    if (refused?.code === 'DestinationFull') {
      throw new RewindError('DestinationFull', `Unpacking the backup ${stream.name} stopped: ${refused.detail}`, { advice: UNPACK_ROOM_ADVICE });
    }
    if (refused) throw new RewindError(refused.code, `Replaying ${file} failed: ${refused.detail}`);
  }
}

/** Whether age's complaint says the key does not open the file (rather than that the file is damaged). */
export function isWrongKey(failure: string): boolean {
  return /no identity matched|incorrect|failed to decrypt/i.test(failure);
}

const UNPACK_ROOM_ADVICE =
  'The backup is fine. Free space on that disk and try again, or restore from a backup on a btrfs disk, which needs no room to unpack.';

/**
 * A chain of stream files is unpacked onto a btrfs filesystem here before
 * anything can be copied out of it: its full stream is written whole, then
 * each incremental's changes. When even the full stream's data does not fit
 * (it may take less where the filesystem compresses, never more), the
 * restore is refused up front, in words, rather than failing half-way in a
 * way that looks like damage.
 */
async function checkRoomToUnpack(into: string, chain: readonly StreamEntry[]): Promise<void> {
  const needed = chain[0].streamBytes;
  const free = await statfs(into)
    .catch(() => statfs(path.dirname(into)))
    .then(
      (s) => s.bavail * s.bsize,
      () => undefined,
    );
  if (free === undefined || free >= needed) return;
  throw new RewindError(
    'DestinationFull',
    `Restoring from these backup files needs about ${sizeText(needed)} free to unpack them on the disk that holds ${path.dirname(into)}; ${sizeText(free)} is free there.`,
    { advice: UNPACK_ROOM_ADVICE },
  );
}
