import { ByteCounter } from '../../codec/byte-counter';
import { execa, type ResultPromise } from 'execa';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { streamFilesSettings, type FilesDestinationConfig, type SshDestinationConfig, type StreamFilesSettings } from '../../../core/config';
import { ADVICE, RewindError } from '../../../core/errors';
import { ChangeCollector, type Change } from '../../../core/send-stream/changes';
import { SendStreamError, SendStreamParser, type SendCommand } from '../../../core/send-stream/parser';
import { chainTo, chainToFreeSpace, planStreamSend } from '../../../core/stream-chains';
import { streamUuid } from '../../../core/parent';
import {
  emptyManifest,
  isOwnLeftover,
  MANIFEST_FILE,
  parseManifest,
  partFileName,
  serializeManifest,
  type StreamEntry,
  type StreamManifest,
} from '../../../core/stream-manifest';
import type { TransferRecord } from '../../../core/status';
import type { MountSet } from '../../system/mount-set';
import { deviceOfFilesystem } from '../../system/mounts';
import { nativeCrc32cUpdate } from '../../codec/send-stream-pipe';
import type { SendProtocol } from '../../system/send-capabilities';
import type { SourceSnapshot } from '../../engine/sources';
import { identityOf, keyFile, recipientFor, recipientOf } from './age-key';
import type { SshPaths } from '../ssh/identity';
import { FolderStore } from './folder-store';
import { readParts, writeParts } from './part-files';
import { SshStore } from './ssh-store';
import { ReplayPlace } from './replay-place';
import { checkPart, type StreamStore } from './stream-store';
import { outputText } from '../../system/output-text';
import { sendArguments } from '../../system/btrfs-send';

/**
 * Backups as stream files, for disks, shares and servers that are not btrfs:
 * <folder>/<host>/<subvolume>/ holds manifest.json (src/core/stream-manifest)
 * and each stream's parts, `btrfs send` compressed with zstd and, when the
 * destination says so, encrypted with age. Chains and their retention are
 * src/core/stream-chains; where the files are is the store's business
 * (./stream-store: a local folder, or a server over SSH).
 */

type Child = ResultPromise<{ encoding: 'buffer'; buffer: { stdout: false; stderr: true }; reject: false }>;

function spawnFilter(command: string, args: string[]): Child {
  return execa(command, args, { encoding: 'buffer', buffer: { stdout: false, stderr: true }, reject: false });
}

async function failureOf(children: Array<[string, Child]>): Promise<string | undefined> {
  for (const [name, child] of children) {
    const result = await child;
    if (result.exitCode !== 0 || result.signal) {
      const stderr = outputText(result.stderr).trim();
      return `${name}: ${stderr || result.signal || `exit ${result.exitCode}`}`;
    }
  }
  return undefined;
}

function isNoSpace(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOSPC' || (error as NodeJS.ErrnoException)?.code === 'EDQUOT';
}

export interface FilesProgress {
  phase: 'cleanup' | 'send' | 'verify';
  kind?: 'full' | 'incremental';
  bytes: number;
}

export class FilesDestination {
  /** Which kind of destination (see ../open-destination: tested without loading this module). */
  readonly kind = 'files' as const;

  private constructor(
    readonly config: StreamFilesSettings,
    readonly store: StreamStore,
    private readonly stateDir: string,
  ) {}

  /** Stream files on a server without btrfs ("kind": "ssh", "store": "files"). */
  static async openOverSsh(config: SshDestinationConfig, paths: SshPaths, stateDir: string): Promise<FilesDestination> {
    return new FilesDestination(streamFilesSettings(config), await SshStore.open(config, paths), stateDir);
  }

  static async open(config: FilesDestinationConfig, host: string, mounts: MountSet, stateDir: string): Promise<FilesDestination> {
    const name = config.label ?? config.id;
    let store: FolderStore;
    if (config.filesystem !== undefined) {
      const device = await deviceOfFilesystem(config.filesystem);
      if (!device) throw new RewindError('DestinationMissing', `The backup disk ${name} is not connected.`);
      const mount = await mounts.disk(device, config.filesystem).catch((error: unknown) => {
        throw new RewindError('DestinationMissing', `The backup disk ${name} could not be opened (${(error as Error).message}).`, { cause: error });
      });
      // Whoever has the disk in hand decides what is on it: below its mount point, no link is followed.
      store = new FolderStore(mount.mountPoint, config.path.split('/').filter((c) => c !== '' && c !== '.'), host);
    } else {
      await mkdir(config.path, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
        throw new RewindError('DestinationMissing', `The backup folder ${config.path} of ${name} cannot be used (${(error as Error).message}).`, { cause: error });
      });
      store = new FolderStore(config.path, [], host);
    }
    await store.prepare().catch((error: unknown) => {
      if (error instanceof RewindError) throw error;
      throw new RewindError('DestinationMissing', `The backup folder ${store.root} of ${name} cannot be used (${(error as Error).message}).`, { cause: error });
    });
    return new FilesDestination(streamFilesSettings(config), store, stateDir);
  }

  get name(): string {
    return this.config.label ?? this.config.id;
  }

  get host(): string {
    return this.store.host;
  }

  /** Ends the store's connection, if it has one. */
  close(): Promise<void> {
    return this.store.close();
  }

  /** The subvolume folders of this host. */
  dirNames(): Promise<string[]> {
    return this.store.folders();
  }

  async manifest(dirName: string): Promise<StreamManifest> {
    const file = `${this.store.where}/${this.host}/${dirName}/${MANIFEST_FILE}`;
    let text: string | undefined;
    try {
      text = await this.store.readText(dirName, MANIFEST_FILE);
    } catch (error) {
      if (error instanceof RewindError && error.code !== 'InvalidArgs') throw error;
      throw new RewindError('DestinationMissing', `The backup list ${file} cannot be read (${(error as Error).message}).`, { cause: error });
    }
    if (text === undefined) return emptyManifest(this.host, dirName);
    try {
      return parseManifest(text);
    } catch (error) {
      throw new RewindError('BackupDamaged', `The backup list ${file} is damaged: ${(error as Error).message}.`, { cause: error });
    }
  }

  private async saveManifest(dirName: string, manifest: StreamManifest): Promise<void> {
    await this.store.writeText(dirName, MANIFEST_FILE, serializeManifest(manifest));
  }

  /**
   * Deletes what interrupted writes left: files named as Rewind names its
   * parts and temporary files that the manifest does not list, each only when
   * it is a plain file. Anything else in the folder is left alone. Returns
   * the names deleted.
   */
  async removeUnlisted(dirName: string, manifest?: StreamManifest): Promise<string[]> {
    const listed = new Set((manifest ?? (await this.manifest(dirName))).streams.flatMap((s) => s.parts.map((p) => p.file)));
    const leftovers = (await this.store.files(dirName)).filter((f) => isOwnLeftover(f) && !listed.has(f));
    const removed: string[] = [];
    for (const file of leftovers) {
      const gone = await this.store.remove(dirName, file).then(
        () => true,
        (error: unknown) => {
          if (error instanceof RewindError && error.code === 'BackupDamaged') return false;
          throw error;
        },
      );
      if (gone) removed.push(file);
    }
    return removed;
  }

  /** Takes streams out of the manifest first, then deletes their files: a crash in between leaves only unlisted files. */
  async removeStreams(dirName: string, streams: readonly StreamEntry[]): Promise<void> {
    if (streams.length === 0) return;
    const manifest = await this.manifest(dirName);
    const gone = new Set(streams.map((s) => s.receivedUuid));
    await this.saveManifest(dirName, { ...manifest, streams: manifest.streams.filter((s) => !gone.has(s.receivedUuid)) });
    for (const stream of streams) for (const part of stream.parts) await this.store.remove(dirName, part.file).catch(() => undefined);
  }

  /**
   * One backup of a snapshot: full or incremental by the chain rules, written,
   * flushed, then listed. When the destination is full, the oldest chain that
   * may go (src/core/stream-chains, rule 4) is removed and the backup tried
   * again from the start, until it fits or nothing more may go.
   */
  async backUp(
    snap: SourceSnapshot,
    protocol: SendProtocol,
    progress: (p: FilesProgress) => void,
    record: TransferRecord,
    signal?: AbortSignal,
  ): Promise<void> {
    const dirName = snap.source.dirName;
    for (;;) {
      try {
        await this.attempt(snap, protocol, progress, record, signal);
        return;
      } catch (error) {
        if (!(error instanceof RewindError) || error.code !== 'DestinationFull') throw error;
        const manifest = await this.manifest(dirName);
        const plan = planStreamSend(manifest.streams, snap.snapshots, this.config.chain, new Date(), snap.snapshot.uuid);
        const victim = chainToFreeSpace(manifest.streams, plan);
        if (!victim) {
          const freed = record.removedForSpace?.length ?? 0;
          throw new RewindError(
            'DestinationFull',
            `There is not enough space on ${this.name} for this backup` +
              (freed > 0 ? `, even after removing ${freed} older backup${freed > 1 ? 's' : ''}.` : '.'),
            { cause: error },
          );
        }
        progress({ phase: 'cleanup', bytes: 0 });
        await this.removeStreams(dirName, victim);
        record.removedForSpace = [...(record.removedForSpace ?? []), ...victim.map((s) => `${dirName}/${s.name}`)];
      }
    }
  }

  private async attempt(
    snap: SourceSnapshot,
    protocol: SendProtocol,
    progress: (p: FilesProgress) => void,
    record: TransferRecord,
    signal?: AbortSignal,
  ): Promise<void> {
    const dirName = snap.source.dirName;
    progress({ phase: 'cleanup', bytes: 0 });
    const manifest = await this.manifest(dirName);
    const removed = await this.removeUnlisted(dirName, manifest);
    if (removed.length > 0) record.removedIncomplete = removed;

    const recipient = this.config.encrypt ? await recipientFor(this.stateDir, this.config.id) : undefined;
    if (manifest.recipient && recipient && manifest.recipient !== recipient && manifest.streams.length > 0) {
      throw new RewindError('WrongKey', `The backups on ${this.name} were encrypted for another key than this machine's key for it.`);
    }
    const present = manifest.streams.find((s) => s.receivedUuid === streamUuid(snap.snapshot));
    if (present) {
      // Nothing changed since a snapshot whose stream is already here.
      record.kind = 'up-to-date';
      return;
    }
    const plan = planStreamSend(manifest.streams, snap.snapshots, this.config.chain, new Date(), snap.snapshot.uuid);
    record.kind = plan.kind;
    record.protocol = protocol.version;
    if (plan.kind === 'incremental') record.parent = path.basename(plan.parent.path);
    const name = path.basename(snap.snapshot.path);
    const entry = { name, kind: plan.kind, encrypted: recipient !== undefined };

    progress({ phase: 'send', kind: plan.kind, bytes: 0 });
    const top = snap.source.top;
    const send = execa(
      'btrfs',
      sendArguments({ snapshot: path.join(top, snap.snapshot.path), parent: plan.kind === 'incremental' ? path.join(top, plan.parent.path) : undefined, protocol: protocol.args }),
      { encoding: 'buffer', buffer: { stdout: false, stderr: true }, reject: false, stdin: 'ignore' },
    );
    const zstd = spawnFilter('zstd', ['-q', '-c', '-3', '-T0']);
    const age = recipient ? spawnFilter('age', ['-r', recipient]) : undefined;
    const counter = new ByteCounter((bytes) => progress({ phase: 'send', kind: plan.kind, bytes }));
    const children: Array<[string, Child]> = [
      ['btrfs send', send as unknown as Child],
      ['zstd', zstd],
      ...(age ? [['age', age] as [string, Child]] : []),
    ];
    const last = (age ?? zstd).stdout as Readable;
    // Cancelling stops btrfs send; the cut stream then fails the write, which removes what it wrote.
    const cancel = () => send.kill('SIGTERM');
    signal?.addEventListener('abort', cancel, { once: true });
    let parts;
    try {
      const feeding = pipeline(send.stdout as Readable, counter, zstd.stdin!);
      const linking = age ? pipeline(zstd.stdout as Readable, age.stdin!) : Promise.resolve();
      const writing = writeParts(last, this.store, dirName, (index) => partFileName(entry, index), this.config.partSizeMiB * 1024 * 1024);
      const [fed, linked, written] = await Promise.allSettled([feeding, linking, writing]);
      const failed = await failureOf(children);
      if (written.status === 'rejected') throw written.reason;
      if (failed) throw new RewindError('TransferFailed', `Writing the backup failed (${failed}).`);
      if (fed.status === 'rejected' || linked.status === 'rejected') {
        throw new RewindError('TransferFailed', `The backup stream was interrupted: ${String((fed as PromiseRejectedResult).reason ?? (linked as PromiseRejectedResult).reason)}.`);
      }
      parts = written.value;
    } catch (error) {
      for (const [, child] of children) child.kill();
      await Promise.all(children.map(([, c]) => c));
      await this.removeUnlisted(dirName, manifest).catch(() => undefined);
      if (signal?.aborted) throw new RewindError('Cancelled', 'The backup was cancelled.');
      if (isNoSpace(error)) throw new RewindError('DestinationFull', `There is not enough space on ${this.name} for this backup.`, { cause: error });
      if (error instanceof RewindError) throw error;
      throw new RewindError('DestinationMissing', `Writing to ${this.name} failed (${(error as Error).message}).`, { cause: error });
    }
    signal?.removeEventListener('abort', cancel);
    record.bytes = counter.bytes;

    progress({ phase: 'verify', kind: plan.kind, bytes: record.bytes });
    const stream: StreamEntry = {
      ...entry,
      snapshotUuid: snap.snapshot.uuid,
      // btrfs send names a snapshot that was itself received by its received UUID.
      receivedUuid: snap.snapshot.receivedUuid ?? snap.snapshot.uuid,
      ...(plan.kind === 'incremental' ? { parentUuid: plan.parentStream.receivedUuid } : {}),
      created: new Date().toISOString(),
      streamBytes: counter.bytes,
      compression: 'zstd',
      parts,
    };
    const next: StreamManifest = {
      ...manifest,
      ...(recipient ? { recipient } : {}),
      streams: [...manifest.streams.filter((s) => s.receivedUuid !== stream.receivedUuid), stream],
    };
    try {
      await this.saveManifest(dirName, next);
    } catch (error) {
      await this.removeUnlisted(dirName, manifest).catch(() => undefined);
      if (isNoSpace(error)) throw new RewindError('DestinationFull', `There is not enough space on ${this.name} for the backup list.`, { cause: error });
      throw new RewindError('DestinationMissing', `Writing the backup list on ${this.name} failed (${(error as Error).message}).`, { cause: error });
    }
  }

  /** The identity that opens this destination's streams: `keyPath`, or the helper's own. */
  private async identityFile(manifest: StreamManifest, keyPath?: string): Promise<string> {
    const file = keyPath ?? keyFile(this.stateDir, this.config.id);
    await identityOf(file);
    const recipient = await recipientOf(file);
    if (manifest.recipient && manifest.recipient !== recipient) {
      throw new RewindError('WrongKey', `The key in ${file} is not the key these backups were encrypted with (${manifest.recipient}).`);
    }
    return file;
  }

  /** The decrypted, decompressed send stream of one entry, and the processes making it. */
  private openStream(dirName: string, stream: StreamEntry, identity: string | undefined): { output: Readable; done: Promise<string | undefined> } {
    const input = readParts(this.store, dirName, stream.parts);
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
  async verifyStream(dirName: string, stream: StreamEntry, identity?: string, onCommand?: (command: SendCommand) => void): Promise<string | undefined> {
    for (const part of stream.parts) {
      const problem = await checkPart(this.store, dirName, part);
      if (problem) return `${part.file} ${problem}`;
    }
    const { output, done } = this.openStream(dirName, stream, identity);
    // Only a command nobody keeps may live in a reused buffer.
    const parser = new SendStreamParser({ checksum: nativeCrc32cUpdate() ?? undefined, onCommand: onCommand ?? (() => undefined), reuseBuffers: !onCommand });
    try {
      for await (const chunk of output) parser.push(chunk as Buffer);
      parser.end();
    } catch (error) {
      await done;
      if (error instanceof SendStreamError) return `${stream.parts[0].file}: ${error.message}`;
      return `${stream.parts[0].file}: ${(error as Error).message}`;
    }
    const failed = await done;
    return failed ? `${stream.parts[0].file}: ${failed}` : undefined;
  }

  /** Every stream of every subvolume folder, in order; stops at the first bad file. */
  async verify(keyPath?: string): Promise<{ streams: number; problem?: string }> {
    let streams = 0;
    for (const dirName of await this.dirNames()) {
      const manifest = await this.manifest(dirName);
      const identity = manifest.streams.some((s) => s.encrypted) ? await this.identityFile(manifest, keyPath) : undefined;
      for (const stream of manifest.streams) {
        const problem = await this.verifyStream(dirName, stream, identity);
        streams++;
        if (problem) return { streams, problem: `${dirName}/${problem}` };
      }
    }
    return { streams };
  }

  /**
   * What changed in the backup `name` since the one its stream was made
   * against, read from that incremental stream itself (checked as `verify`
   * checks it, nothing received). A full stream records no earlier backup:
   * then `previous` is undefined.
   */
  async changesOf(dirName: string, name: string, keyPath?: string): Promise<{ previous?: string; changes: Change[] }> {
    const manifest = await this.manifest(dirName);
    const stream = manifest.streams.find((s) => s.name === name);
    if (!stream) throw new RewindError('InvalidArgs', `There is no backup ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    const parent = stream.kind === 'full' ? undefined : manifest.streams.find((s) => s.receivedUuid === stream.parentUuid);
    if (!parent) return { changes: [] };
    const identity = stream.encrypted ? await this.identityFile(manifest, keyPath) : undefined;
    const collector = new ChangeCollector();
    const problem = await this.verifyStream(dirName, stream, identity, (command) => collector.command(command));
    if (problem) throw new RewindError('BackupDamaged', `The backup file ${problem} (on ${this.name}); what changed in it cannot be read.`);
    return { previous: parent.name, changes: collector.result().flatMap((l) => l.changes) };
  }

  /**
   * Replays the chain of `name` into `into` (a folder on a btrfs filesystem,
   * normally a scratch folder on the source's), checking every file first,
   * and returns the path of the received subvolume; the chain's earlier
   * subvolumes are deleted again.
   *
   * A stream read from a destination is hostile input, whoever wrote it (an
   * encrypted one too: the recipient is public). So every stream is received
   * confined (./replay-place): `btrfs receive --chroot` in a new empty folder,
   * behind the stream guard that `serve` uses, with the chain's own parent as
   * the only parent and the manifest's UUID as the only subvolume.
   */
  async replay(dirName: string, name: string, into: string, keyPath?: string): Promise<string> {
    const manifest = await this.manifest(dirName);
    const target = manifest.streams.find((s) => s.name === name);
    if (!target) throw new RewindError('InvalidArgs', `There is no backup ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    const chain = chainTo(manifest.streams, target);
    if (!chain) throw new RewindError('BackupDamaged', `The backup ${name} on ${this.name} depends on a stream that is missing from its list.`);
    const identity = chain.some((s) => s.encrypted) ? await this.identityFile(manifest, keyPath) : undefined;
    for (const stream of chain) {
      for (const part of stream.parts) {
        const problem = await checkPart(this.store, dirName, part);
        if (problem) throw new RewindError('BackupDamaged', `The backup file ${part.file} on ${this.name} ${problem}; the restore of ${name} needs it.`);
      }
    }
    const place = await ReplayPlace.create(into);
    try {
      for (const [index, stream] of chain.entries()) {
        const { output, done } = this.openStream(dirName, stream, identity);
        const refused = await place.receive(output, stream, index > 0 ? chain[index - 1] : undefined);
        const failed = await done;
        const file = `${stream.parts[0].file} on ${this.name}`;
        // A refused stream stops the decompressor too: the refusal is the cause, not the broken pipe.
        if (refused?.code === 'BackupDamaged') throw new RewindError('BackupDamaged', `The backup file ${file} cannot be restored: ${refused.detail}`);
        if (failed) {
          const wrongKey = /no identity matched|incorrect|failed to decrypt/i.test(failed);
          throw new RewindError(wrongKey ? 'WrongKey' : 'BackupDamaged', `Reading the backup file ${file} failed (${failed}).`);
        }
        if (refused) throw new RewindError(refused.code, `Replaying ${file} failed: ${refused.detail}`);
      }
      return await place.keep(name);
    } catch (error) {
      await place.remove();
      throw error;
    }
  }
}

