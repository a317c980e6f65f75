import path from 'node:path';
import { streamFilesSettings, type FilesDestinationConfig, type SshDestinationConfig, type StreamFilesSettings } from '../../../core/config';
import { previousPoint } from '../../../core/browse-request';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import type { Change } from '../../../core/send-stream/changes';
import { chainTo, chainToFreeSpace, planChainPrune, planStreamSend, streamsAsBackups, type StreamPlan } from '../../../core/stream-chains';
import type { PruneContext } from '../../../core/prune-plan';
import type { TransferRecord } from '../../../core/status';
import { streamUuid } from '../../../core/parent';
import type { Subvolume } from '../../../core/subvolume';
import { emptyManifest, partFileName, type StreamEntry, type StreamManifest } from '../../../core/stream-manifest';
import type { MountSet } from '../../system/mount-set';
import type { SourceSnapshot } from '../../engine/sources';
import type { BackUpJob, BackupDestination, PointChanges, PointInfo, RetentionPlan, RetentionView } from '../backup-destination';
import { retryUntilItFits } from '../make-room';
import { keyFile, recipientFor, recipientOf } from './age-key';
import type { SshConnection } from '../ssh/connection';
import type { SshPaths } from '../ssh/identity';
import { chainProblem, damagedChainNotice } from './chain-check';
import { ChainReader } from './chain-reader';
import { rebuildStreams, type OwnKey } from './manifest-rebuild';
import { Manifests } from './manifests';
import { openFolderStore } from './folder-store';
import { SshStore } from './ssh-store';
import { isNoSpace } from './stream-pipes';
import type { StreamStore } from './stream-store';
import { writeStream } from './stream-writer';
import { estimateWork, TransferMeter } from '../../engine/transfer-meter';
import type { RestoreWatch } from '../../restore/restore-watch';

/**
 * Backups as stream files, for disks, shares and servers that are not btrfs:
 * <folder>/<host>/<subvolume>/ holds manifest.json (src/core/stream-manifest)
 * and each stream's parts, `btrfs send` compressed with zstd and, when the
 * destination says so, encrypted with age. Chains and their retention are
 * src/core/stream-chains; where the files are is the store's business
 * (./stream-store: a local folder, or a server over SSH).
 */

export class FilesDestination implements BackupDestination {
  /** Its store says what is wrong when it cannot be used any more. */
  readonly usable = true;
  private readonly reader: ChainReader;
  private readonly manifests: Manifests;

  private constructor(
    readonly config: StreamFilesSettings,
    readonly store: StreamStore,
    private readonly stateDir: string,
  ) {
    this.reader = new ChainReader(store, config.label ?? config.id, keyFile(stateDir, config.id));
    this.manifests = new Manifests(store, async (dirName) => rebuildStreams(store, this.reader, dirName, await this.ownKey()));
  }

  /** Stream files on a server without btrfs ("kind": "ssh", "store": "files"). */
  static async openOverSsh(config: SshDestinationConfig, paths: SshPaths, stateDir: string): Promise<FilesDestination> {
    return new FilesDestination(streamFilesSettings(config), await SshStore.open(config, paths), stateDir);
  }

  /** Stream files over a connection already made (the store was chosen from its hello: ../open-destination). */
  static async overConnection(config: SshDestinationConfig, connection: SshConnection, stateDir: string): Promise<FilesDestination> {
    return new FilesDestination(streamFilesSettings(config), await SshStore.onConnection(config, connection), stateDir);
  }

  static async open(config: FilesDestinationConfig, host: string, mounts: MountSet, stateDir: string): Promise<FilesDestination> {
    return new FilesDestination(streamFilesSettings(config), await openFolderStore(config, host, mounts), stateDir);
  }

  get name(): string {
    return this.config.label ?? this.config.id;
  }

  /** Streams a drill found damaged, by UUID (src/core/stream-chains.ts, rule 5). */
  private damaged: ReadonlySet<string> = new Set();

  knowDamaged(uuids: ReadonlySet<string>): void {
    this.damaged = uuids;
  }

  /** This machine's key for the destination, when it has one that can be read. */
  private async ownKey(): Promise<OwnKey | undefined> {
    const file = keyFile(this.stateDir, this.config.id);
    return recipientOf(file).then(
      (recipient) => ({ file, recipient }),
      () => undefined,
    );
  }

  get host(): string {
    return this.store.host;
  }

  /** The subvolume folders of this host. */
  dirNames(): Promise<string[]> {
    return this.store.folders();
  }

  manifest(dirName: string): Promise<StreamManifest> {
    return this.manifests.manifest(dirName);
  }

  private removeUnlisted(dirName: string, manifest?: StreamManifest): Promise<string[]> {
    return this.manifests.removeUnlisted(dirName, manifest);
  }

  private removeStreams(dirName: string, streams: readonly StreamEntry[]): Promise<void> {
    return this.manifests.removeStreams(dirName, streams);
  }

  /** Ends the store's connection, if it has one. */
  close(): Promise<void> {
    return this.store.close();
  }

  async serverSpace(): Promise<{ freeBytes: number; sizeBytes: number }> {
    if (!this.store.space) throw new Error('a folder’s space is read where it is mounted');
    return this.store.space();
  }

  async takenNames(dirName: string): Promise<string[]> {
    // A list that cannot be read names nothing here; the backup itself then says why.
    return (await this.manifest(dirName).catch(() => emptyManifest(this.host, dirName))).streams.map((s) => s.name);
  }

  async points(dirName: string): Promise<PointInfo[]> {
    return (await this.manifest(dirName)).streams.map((s) => ({ name: s.name, uuid: s.receivedUuid, receivedUuid: s.snapshotUuid, complete: true }));
  }

  async clean(): Promise<string[]> {
    const removed: string[] = [];
    for (const dirName of await this.dirNames()) {
      removed.push(...(await this.removeUnlisted(dirName)).map((name) => `${dirName}/${name}`));
    }
    return removed;
  }

  /** Whole chains only (src/core/stream-chains, rule 3); a list that cannot be read counts as not connected. */
  async retention(dirName: string): Promise<RetentionView | undefined> {
    const manifest = await this.manifest(dirName).catch(() => undefined);
    if (!manifest) return undefined;
    return {
      backups: streamsAsBackups(manifest.streams),
      damaged: this.damaged,
      plan: (snapshots: readonly Subvolume[], context: PruneContext): RetentionPlan => {
        const decision = planChainPrune(manifest.streams, snapshots, context, this.damaged);
        return {
          kept: decision.keep.map((k) => ({ name: k.stream.name, reasons: k.reasons })),
          removed: decision.remove.map((r) => r.name),
          apply: () => this.removeStreams(dirName, decision.remove),
        };
      },
    };
  }

  /**
   * One backup of a snapshot: full or incremental by the chain rules, written,
   * flushed, then listed. When the destination is full, the oldest chain that
   * may go (src/core/stream-chains, rule 4) is removed and the backup tried
   * again from the start, until it fits or nothing more may go.
   */
  async backUp(snap: SourceSnapshot, job: BackUpJob): Promise<void> {
    const dirName = snap.source.dirName;
    await retryUntilItFits(this.name, job.record, job.progress, () => this.attempt(snap, job), {
      next: async () => {
        const manifest = await this.manifest(dirName);
        const plan = planStreamSend(manifest.streams, snap.snapshots, this.config.chain, new Date(), snap.snapshot.uuid, this.damaged);
        return chainToFreeSpace(manifest.streams, plan, this.damaged);
      },
      remove: async (victim: StreamEntry[]) => {
        await this.removeStreams(dirName, victim);
        return victim.map((s) => `${dirName}/${s.name}`);
      },
      // Only a server's store tells its space (a folder's is read where it is mounted).
      ...(this.store.space ? { freeBytes: async () => (await this.store.space!()).freeBytes, place: 'server' as const } : {}),
    });
  }

  private async attempt(snap: SourceSnapshot, job: BackUpJob): Promise<void> {
    const { record, progress } = job;
    const dirName = snap.source.dirName;
    progress({ phase: 'cleanup', bytes: 0 });
    const { manifest, setAside } = await this.manifests.usable(dirName);
    if (setAside) record.damagedParent = setAside;
    const removed = await this.removeUnlisted(dirName, manifest);
    if (removed.length > 0) record.removedIncomplete = removed;

    const recipient = this.config.encrypt ? await recipientFor(this.stateDir, this.config.id) : undefined;
    if (manifest.recipient && recipient && manifest.recipient !== recipient && manifest.streams.length > 0) {
      throw new RewindError('WrongKey', `The backups on ${this.name} were encrypted for another key than this machine's key for it.`);
    }
    const stored = manifest.streams.find((s) => s.receivedUuid === streamUuid(snap.snapshot));
    const storedProblem = stored && (await this.chainProblemOf(dirName, manifest, stored));
    if (stored && !storedProblem) {
      // Nothing changed since a snapshot whose stream is already here, and that stream can be restored.
      record.kind = 'up-to-date';
      return;
    }
    if (stored) record.damagedParent = damagedChainNotice(this.name, stored, storedProblem!);
    const plan: StreamPlan = stored ? { kind: 'full', reason: `the chain of ${stored.name} is damaged` } : await this.checkedPlan(snap, manifest, record);
    record.kind = plan.kind;
    record.protocol = job.protocol.version;
    if (plan.kind === 'incremental') record.parent = path.basename(plan.parent.path);
    const stream = await this.write(snap, plan, manifest, recipient, job);
    progress({ phase: 'verify', kind: plan.kind, bytes: record.bytes });
    await this.list(dirName, manifest, stream, recipient);
  }

  /**
   * The chain rules' plan, once the chain it would extend is checked
   * (./chain-check): a damaged chain is never a parent; the backup then
   * starts a new chain, and the record says why.
   */
  private async checkedPlan(snap: SourceSnapshot, manifest: StreamManifest, record: TransferRecord): Promise<StreamPlan> {
    const plan = planStreamSend(manifest.streams, snap.snapshots, this.config.chain, new Date(), snap.snapshot.uuid, this.damaged);
    const found = manifest.streams.filter((st) => this.damaged.has(st.receivedUuid)).at(-1);
    if (found && plan.kind === 'full' && plan.reason === `a check found ${found.name} damaged`) record.damagedParent = damagedChainNotice(this.name, found, 'a check restored files from it and they did not come back as they were backed up');
    if (plan.kind !== 'incremental') return plan;
    const problem = await this.chainProblemOf(snap.source.dirName, manifest, plan.parentStream);
    if (!problem) return plan;
    record.damagedParent = damagedChainNotice(this.name, plan.parentStream, problem);
    return { kind: 'full', reason: `the chain of ${plan.parentStream.name} is damaged` };
  }

  /** What is wrong with the chain that ends at `stream` (./chain-check), or undefined. */
  private async chainProblemOf(dirName: string, manifest: StreamManifest, stream: StreamEntry): Promise<string | undefined> {
    const chain = chainTo(manifest.streams, stream);
    return chain ? chainProblem(this.store, dirName, chain) : 'a stream it depends on is not in the list';
  }

  /** Writes the stream's parts; on failure removes what it wrote and says why. */
  private async write(snap: SourceSnapshot, plan: StreamPlan, manifest: StreamManifest, recipient: string | undefined, job: BackUpJob): Promise<StreamEntry> {
    const { dirName, top } = snap.source;
    const name = path.basename(snap.snapshot.path);
    const entry = { name, kind: plan.kind, encrypted: recipient !== undefined };
    job.progress({ phase: 'send', kind: plan.kind, bytes: 0 });
    const send = { snapshot: path.join(top, snap.snapshot.path), parent: plan.kind === 'incremental' ? path.join(top, plan.parent.path) : undefined, protocol: job.protocol.args };
    const estimating = new AbortController();
    const meter = new TransferMeter(() => estimateWork(send.snapshot, send.parent, estimating.signal));
    const onBytes = (bytes: number, ended = false) => job.progress({ phase: 'send', kind: plan.kind, bytes, ...meter.progress(bytes, ended) });
    let written;
    try {
      written = await writeStream({
        store: this.store,
        dirName,
        send,
        recipient,
        partName: (index) => partFileName(entry, index),
        partSize: this.config.partSizeMiB * 1024 * 1024,
        onBytes,
        signal: job.signal,
      });
      onBytes(written.bytes, true);
    } catch (error) {
      await this.removeUnlisted(dirName, manifest).catch(() => undefined);
      if (job.signal?.aborted) throw new RewindError('Cancelled', 'The backup was cancelled.');
      if (isNoSpace(error)) throw new RewindError('DestinationFull', `There is not enough space on ${this.name} for this backup.`, { cause: error, reason: reason('full-during-backup', { destination: this.name }) });
      if (error instanceof RewindError) throw error;
      throw new RewindError('DestinationMissing', `Writing to ${this.name} failed (${(error as Error).message}).`, { cause: error, reason: reason('folder-unusable', { destination: this.name }) });
    } finally {
      estimating.abort();
    }
    job.record.bytes = written.bytes;
    return {
      ...entry,
      snapshotUuid: snap.snapshot.uuid,
      // btrfs send names a snapshot that was itself received by its received UUID.
      receivedUuid: snap.snapshot.receivedUuid ?? snap.snapshot.uuid,
      ...(plan.kind === 'incremental' ? { parentUuid: plan.parentStream.receivedUuid } : {}),
      created: new Date().toISOString(),
      streamBytes: written.bytes,
      compression: 'zstd',
      parts: written.parts,
    };
  }

  /** Lists a written stream in the manifest: only then is it a backup. */
  private async list(dirName: string, manifest: StreamManifest, stream: StreamEntry, recipient: string | undefined): Promise<void> {
    const next: StreamManifest = {
      ...manifest,
      ...(recipient ? { recipient } : {}),
      streams: [...manifest.streams.filter((s) => s.receivedUuid !== stream.receivedUuid), stream],
    };
    try {
      await this.manifests.saveManifest(dirName, next);
    } catch (error) {
      await this.removeUnlisted(dirName, manifest).catch(() => undefined);
      if (isNoSpace(error)) throw new RewindError('DestinationFull', `There is not enough space on ${this.name} for the backup list.`, { cause: error });
      throw new RewindError('DestinationMissing', `Writing the backup list on ${this.name} failed (${(error as Error).message}).`, { cause: error });
    }
  }

  /** Every stream of every subvolume folder, in order; stops at the first bad file. */
  async verify(keyPath?: string): Promise<{ streams: number; problem?: string }> {
    let streams = 0;
    for (const dirName of await this.dirNames()) {
      const manifest = await this.manifest(dirName);
      const identity = manifest.streams.some((s) => s.encrypted) ? await this.reader.identityFile(manifest, keyPath) : undefined;
      // The links each chain made so far, by the stream that left them: what the restore's guard knows at the next stream.
      const linksAfter = new Map<string, Set<string>>();
      for (const stream of manifest.streams) {
        const parent = stream.parentUuid ? manifest.streams.find((s) => s.receivedUuid === stream.parentUuid) : undefined;
        const links = new Set(parent ? linksAfter.get(parent.receivedUuid) : undefined);
        const problem = await this.reader.verifyStream(dirName, stream, identity, undefined, { parent, links });
        linksAfter.set(stream.receivedUuid, links);
        streams++;
        if (problem) return { streams, problem: `${dirName}/${problem}` };
      }
    }
    return { streams };
  }

  /**
   * Every stream of the chain that restores the point `name`, checked as
   * `verify` checks it: a restore drill's first step, before it replays the
   * chain. The first bad file, named, with the stream (point) it belongs
   * to, or undefined when all are good.
   */
  async verifyChainOf(dirName: string, name: string, keyPath?: string): Promise<{ stream: string; problem: string } | undefined> {
    const manifest = await this.manifest(dirName);
    const target = manifest.streams.find((s) => s.name === name);
    const chain = target && chainTo(manifest.streams, target);
    if (!chain) return { stream: name, problem: `${dirName}/${name}: a stream that it is built on is not listed` };
    const identity = chain.some((s) => s.encrypted) ? await this.reader.identityFile(manifest, keyPath) : undefined;
    for (const stream of chain) {
      const problem = await this.reader.verifyStream(dirName, stream, identity);
      if (problem) return { stream: stream.name, problem: `${dirName}/${problem}` };
    }
    return undefined;
  }

  /**
   * What changed in the backup `name` since the one its stream was made
   * against, read from that incremental stream itself (checked as `verify`
   * checks it, nothing received). A full stream records no earlier backup:
   * then `previous` is undefined.
   */
  async changesOf(dirName: string, name: string, keyPath?: string): Promise<{ previous?: string; changes: Change[] }> {
    return this.reader.changesOf(await this.manifest(dirName), dirName, name, keyPath);
  }

  /** Read from the point's own incremental stream; a stream that starts a new chain records none. */
  async changesSince(dirName: string, name: string, keyFile?: string): Promise<PointChanges> {
    const manifest = await this.manifest(dirName);
    const found = await this.reader.changesOf(manifest, dirName, name, keyFile);
    const earlier = previousPoint(manifest.streams.map((s) => s.name), name);
    if (found.previous === undefined && earlier !== undefined) {
      throw new RewindError(
        'InvalidArgs',
        `This backup starts a new chain of stream files on “${this.name}”, so it does not record what changed since ${earlier}; browse the two points to compare them.`,
      );
    }
    return found;
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
  async replay(dirName: string, name: string, into: string, keyPath?: string, watch?: RestoreWatch): Promise<string> {
    return this.reader.replay(await this.manifest(dirName), dirName, name, into, keyPath, watch);
  }

  /** Replayed into the scratch folder. */
  async pointFolder(dirName: string, name: string, scratch: () => Promise<string>, keyFile?: string): Promise<string> {
    return this.replay(dirName, name, await scratch(), keyFile);
  }

  /** Replayed (confined) straight into `into`: a received subvolume cannot be moved to another folder later. */
  restorePoint(dirName: string, name: string, into: string, keyFile?: string, watch?: RestoreWatch): Promise<string> {
    return this.replay(dirName, name, into, keyFile, watch);
  }
}
