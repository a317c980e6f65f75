import { hostname } from 'node:os';
import path from 'node:path';
import type { Config, Destination } from '../../core/config';
import { RewindError, toRewindError } from '../../core/errors';
import { choosePlan, isCompleteBackup, streamUuid } from '../../core/parent';
import { parseSnapshotName } from '../../core/snapshot-name';
import type { ErrorReport, Progress, RunRecord, TransferRecord } from '../../core/status';
import type { Subvolume } from '../../core/subvolume';
import type { BackupDestination } from '../destinations/backup-destination';
import type { BtrfsDestination } from '../destinations/btrfs-destination';
import {
  closeDestinations,
  isBtrfsDestination,
  isFilesDestination,
  isSshDestination,
  openDestination,
  type OpenedDestination,
} from '../destinations/open-destination';
import type { SshDestination } from '../destinations/ssh-destination';
import { loadConfig } from '../config/config-file';
import { History } from './history';
import { removeStaleScratchFolders } from '../system/btrfs';
import { MountSet, releaseStaleMounts } from '../system/mount-set';
import { CommandError } from '../system/run-command';
import { pruneAll, systemTimeZone } from './prune';
import { randomUuid } from '../system/random-id';
import { acquireRunLock } from './run-lock';
import { sendProtocol } from '../system/send-capabilities';
import { changedSinceSnapshot, resolveSource, snapshotToBackUp, type SourceSnapshot, type SourceSubvolume } from './sources';
import { codecOptions, sendReceive, TransferPipe } from './transfer';

/**
 * A backup run:
 * 1. take the run lock and unmount what a dead run left mounted;
 * 2. take a read-only snapshot of each source subvolume under
 *    <top level>/.rewind/<subvolume>/<timestamp>;
 * 3. for each enabled destination, remove what an interrupted run left
 *    (backups that are writable or have no received UUID);
 * 4. choose the parent by UUID (src/core/parent) and send, full or incremental;
 *    when the destination runs out of space, remove its oldest backup that is
 *    not the newest of its folder and try again;
 * 5. flush the destination, then verify that the received backup is read-only
 *    and carries the snapshot's UUID;
 * 6. prune both sides by retention (./prune), never the next parent.
 * Every run is recorded in the history, whatever its outcome.
 */
export interface EngineOptions {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
  onProgress?: (progress: Progress) => void;
  /** Cancels the run: transfers stop, what they wrote is removed, nothing more starts. */
  signal?: AbortSignal;
}

type Report = (p: Omit<Progress, 'source' | 'destination'>) => void;

function report(error: unknown): ErrorReport {
  const failure = toRewindError(
    error instanceof CommandError ? new RewindError('TransferFailed', `${error.message}.`, { cause: error }) : error,
  );
  return { code: failure.code, message: failure.message };
}

/** Oldest first: by the time in the name, then by creation order on the disk. */
function byAge(a: Subvolume, b: Subvolume): number {
  const ta = parseSnapshotName(path.basename(a.path))?.getTime() ?? 0;
  const tb = parseSnapshotName(path.basename(b.path))?.getTime() ?? 0;
  return ta - tb || a.createdGeneration - b.createdGeneration;
}

/**
 * The backup to give up when space runs out: the oldest complete backup of
 * this host that is neither the newest of its folder (the next parent there)
 * nor `keep`.
 */
async function oldestRemovable(destination: BackupDestination, keep: ReadonlySet<string>): Promise<Subvolume | undefined> {
  const candidates: Subvolume[] = [];
  for (const backups of (await destination.allBackups()).values()) {
    const complete = backups.filter(isCompleteBackup).sort(byAge);
    candidates.push(...complete.slice(0, -1).filter((b) => !keep.has(b.uuid)));
  }
  return candidates.sort(byAge)[0];
}

async function sendToDestination(
  snap: SourceSnapshot,
  config: Destination,
  opened: OpenedDestination | RewindError,
  progress: Report,
  stateDir: string,
  pipes: TransferPipes,
  signal?: AbortSignal,
): Promise<TransferRecord> {
  const started = Date.now();
  const name = path.basename(snap.snapshot.path);
  const record: TransferRecord = {
    source: snap.source.label,
    destination: config.id,
    snapshot: name,
    snapshotUuid: snap.snapshot.uuid,
    kind: 'full',
    bytes: 0,
    seconds: 0,
    ok: false,
  };
  let destination: BtrfsDestination | SshDestination | undefined;
  try {
    if (opened instanceof RewindError) throw opened;
    if (isFilesDestination(opened)) {
      await opened.backUp(snap, await sendProtocol(stateDir), progress, record, signal);
      record.ok = true;
      record.seconds = (Date.now() - started) / 1000;
      return record;
    }
    destination = opened;
    const receiveDir = isBtrfsDestination(destination) ? await destination.receiveDir(snap.source.dirName) : '';

    progress({ phase: 'cleanup', bytes: 0 });
    const removed = await destination.removeIncomplete(snap.source.dirName);
    if (removed.length > 0) record.removedIncomplete = removed;
    const backups = (await destination.backups(snap.source.dirName)).filter(isCompleteBackup);
    const present = backups.find((b) => b.receivedUuid === streamUuid(snap.snapshot));
    if (present) {
      // Nothing changed since a snapshot that is already here.
      record.kind = 'up-to-date';
      record.ok = true;
      record.seconds = (Date.now() - started) / 1000;
      return record;
    }
    const namesake = backups.find((b) => path.basename(b.path) === name);
    if (namesake) {
      // Another snapshot's backup under this name (the source was made anew, or restored): receiving would fail on it.
      throw new RewindError(
        'TransferFailed',
        `${destination.name} already has a backup named ${name} that was made from another snapshot. ` +
          `It was kept. Rename or delete that backup on the destination, then back up again.`,
      );
    }
    const plan = choosePlan(snap.snapshots, backups, snap.snapshot.uuid);
    record.kind = plan.kind;
    if (plan.kind === 'incremental') record.parent = path.basename(plan.parent.path);
    let protocol = await sendProtocol(stateDir);
    // A server whose btrfs receive is older gets the stream version it understands.
    if (isSshDestination(destination) && !destination.sendProtocols.includes(protocol.version)) protocol = { ...protocol, version: 1, args: [] };
    record.protocol = protocol.version;
    const keep = new Set(plan.kind === 'incremental' ? [plan.parentBackup.uuid] : []);

    for (;;) {
      progress({ phase: 'send', kind: plan.kind, bytes: 0 });
      try {
        const snapshot = path.join(snap.source.top, snap.snapshot.path);
        const parent = plan.kind === 'incremental' ? path.join(snap.source.top, plan.parent.path) : undefined;
        if (isSshDestination(destination)) {
          const onBytes = (bytes: number) => progress({ phase: 'send', kind: plan.kind, bytes });
          const { sendToStream } = await import('../destinations/ssh/send');
          const sent = await sendToStream(destination, { snapshot, parent, sendArgs: protocol.args, dirName: snap.source.dirName, name, onBytes, signal });
          record.bytes = sent.bytes;
          if (sent.wireBytes !== undefined) record.wireBytes = sent.wireBytes;
        } else {
          record.bytes = await sendReceive({
            snapshot,
            parent,
            sendArgs: protocol.args,
            receiveDir,
            codec: config.kind === 'btrfs' ? codecOptions(config) : {},
            onBytes: (bytes, detail) => progress({ phase: 'send', kind: plan.kind, bytes, ...detail }),
            onCodecDone: ({ checksum, droppedXattrs, rewrittenXattrs }) => (record.codec = { checksum, droppedXattrs, rewrittenXattrs }),
            signal,
            pipe: pipes.take(),
          });
        }
        break;
      } catch (error) {
        if (!(error instanceof RewindError) || error.code !== 'DestinationFull') throw error;
        destination.changed();
        await destination.removePartial(snap.source.dirName, name);
        const victim = await oldestRemovable(destination, keep);
        if (!victim) {
          const freed = record.removedForSpace?.length ?? 0;
          throw new RewindError(
            'DestinationFull',
            `There is not enough space on ${destination.name} for this backup` +
              (freed > 0 ? `, even after removing ${freed} older backup${freed > 1 ? 's' : ''}.` : '.'),
          );
        }
        progress({ phase: 'cleanup', bytes: 0 });
        await destination.remove(victim);
        await destination.reclaim();
        record.removedForSpace = [...(record.removedForSpace ?? []), victim.path];
      }
    }

    // A btrfs disk's listing stays good: the receive made one subvolume, which received() reads and adds.
    if (!isBtrfsDestination(destination)) destination.changed();
    progress({ phase: 'verify', kind: plan.kind, bytes: record.bytes });
    await destination.flush().catch((error: unknown) => {
      if (isSshDestination(destination) && error instanceof RewindError) throw error;
      throw new RewindError('DestinationMissing', `The backup disk ${destination?.name} stopped responding while the backup was written.`, { cause: error });
    });
    const received =
      isBtrfsDestination(destination)
        ? await destination.received(snap.source.dirName, name)
        : (await destination.backups(snap.source.dirName)).find((b) => path.basename(b.path) === name);
    if (!received || !isCompleteBackup(received) || received.receivedUuid !== streamUuid(snap.snapshot)) {
      throw new RewindError('TransferFailed', `The backup ${name} arrived incomplete on ${destination.name}.`);
    }
    record.ok = true;
  } catch (error) {
    record.error = report(signal?.aborted ? new RewindError('Cancelled', 'The backup was cancelled.') : error);
    destination?.changed();
    await destination?.removePartial(snap.source.dirName, name).catch(() => undefined);
  }
  record.seconds = (Date.now() - started) / 1000;
  return record;
}

/**
 * Transfer pipes started ahead (see TransferPipe): one while the run lists
 * and snapshots a source that changed; after each transfer to a btrfs disk
 * the next one while more may follow.
 */
class TransferPipes {
  private ready: TransferPipe | undefined;

  constructor(private left: number) {}

  /** A transfer is coming (a source changed): start its pipe now. */
  startAhead(): void {
    if (this.left > 0) this.ready ??= TransferPipe.start();
  }

  take(): TransferPipe {
    const pipe = this.ready ?? TransferPipe.start();
    this.ready = undefined;
    return pipe;
  }

  /** One transfer to a btrfs disk is over, whether it sent or not. */
  visited(): void {
    this.left--;
    if (this.left > 0) this.startAhead();
    else this.dispose();
  }

  dispose(): void {
    this.ready?.dispose();
    this.ready = undefined;
  }
}

const enabledBtrfs = (config: Config) => config.destinations.filter((d) => d.enabled && d.kind === 'btrfs').length;

export async function runBackup(options: EngineOptions): Promise<RunRecord> {
  const history = new History(options.stateDir);
  const run: RunRecord = { id: randomUuid(), started: new Date().toISOString(), finished: '', ok: false, transfers: [] };
  const mounts = new MountSet(options.runtimeDir);
  let unlock: (() => Promise<void>) | undefined;
  let opened: unknown[] = [];
  let pipes: TransferPipes | undefined;
  try {
    const config: Config = await loadConfig(options.configPath, options.stateDir);
    unlock = await acquireRunLock(options.stateDir);
    await releaseStaleMounts(options.runtimeDir);
    const host = config.hostName ?? hostname();
    const enabled = config.destinations.filter((d) => d.enabled);
    // Finding, mounting and listing the destinations and the sources are
    // independent commands: they run side by side.
    const opening = Promise.all(
      enabled.map(async (d) => [d.id, await openDestination(d, host, mounts, options.stateDir).catch((error: unknown) => toRewindError(error))] as const),
    );
    const resolving = config.sources.map((source) =>
      resolveSource(source, mounts, { commitFirst: true }).then(
        (subvolumes) => ({ subvolumes }),
        (error: unknown) => ({ error }),
      ),
    );
    // Transfers to btrfs disks to come: at least one per source. The first pipe is started as soon
    // as the listings say a source changed (an idle machine's run never pays for its Node start).
    const ahead = new TransferPipes(config.sources.length * enabledBtrfs(config));
    pipes = ahead;
    for (const r of resolving) {
      void r
        .then(async (resolved) => 'subvolumes' in resolved && (await Promise.all(resolved.subvolumes.map(changedSinceSnapshot))).includes(true) && ahead.startAhead())
        .catch(() => undefined);
    }
    const destinations = new Map<string, OpenedDestination | RewindError>(await opening);
    opened = [...destinations.values()];
    const namesAtDestinations = async (dirName: string) => {
      const names: string[] = [];
      for (const d of destinations.values()) {
        if (isFilesDestination(d)) names.push(...(await d.manifest(dirName).catch(() => ({ streams: [] }))).streams.map((s) => s.name));
        else if (!(d instanceof RewindError)) names.push(...(await d.backups(dirName)).map((b) => path.basename(b.path)));
      }
      return names;
    };
    const problems: RunRecord['sourceProblems'] = [];
    const snapshotted: SourceSubvolume[] = [];
    const cancelled = () => options.signal?.aborted === true;
    for (const [index, source] of config.sources.entries()) {
      if (cancelled()) break;
      const label = (source.path ?? source.allSubvolumesOf) as string;
      let snaps: SourceSnapshot[] = [];
      try {
        options.onProgress?.({ phase: 'snapshot', source: label, bytes: 0 });
        const resolved = await resolving[index];
        if ('error' in resolved) throw resolved.error;
        // Best effort: a copy a killed helper left is only wasted space, never a reason to fail the backup.
        for (const top of new Set(resolved.subvolumes.map((s) => s.top))) await removeStaleScratchFolders(top).catch(() => undefined);
        for (const subvolume of resolved.subvolumes) {
          snaps.push(await snapshotToBackUp(subvolume, new Date(), () => namesAtDestinations(subvolume.dirName)));
        }
      } catch (error) {
        problems.push({ source: label, error: report(error) });
        snaps = [];
      }
      for (const snap of snaps) {
        snapshotted.push(snap.source);
        for (const destination of enabled) {
          if (cancelled()) break;
          const record = await sendToDestination(snap, destination, destinations.get(destination.id)!, (p) =>
            options.onProgress?.({ ...p, source: snap.source.label, destination: destination.id }),
            options.stateDir,
            pipes,
            options.signal,
          );
          run.transfers.push(record);
          if (destination.kind === 'btrfs') pipes.visited();
        }
      }
    }
    if (problems.length > 0) run.sourceProblems = problems;
    if (cancelled()) throw new RewindError('Cancelled', 'The backup was cancelled.');
    run.pruned = await pruneAll({
      config,
      host,
      mounts,
      history: [...(await history.read()), run],
      now: new Date(),
      timeZone: systemTimeZone(),
      dryRun: false,
      sources: snapshotted,
      stateDir: options.stateDir,
      // A disk that went away during the run counts as not connected, as at the start.
      destinations: new Map(
        [...destinations].map(([id, d]) => {
          const gone = run.transfers.some((t) => t.destination === id && (t.error?.code === 'DestinationMissing' || t.error?.code === 'ConnectionLost'));
          return [id, !(d instanceof RewindError) && !gone && !(isSshDestination(d) && !d.connection.alive) ? d : undefined];
        }),
      ),
    }).catch((error: unknown) => [{ side: 'local' as const, source: '', kept: [], keptCount: 0, removed: [], error: report(error) }]);
    const failed = problems[0]?.error ?? run.transfers.find((t) => !t.ok)?.error;
    run.ok = !failed;
    if (failed) run.error = failed;
  } catch (error) {
    run.error = report(error);
  } finally {
    pipes?.dispose();
    run.finished = new Date().toISOString();
    // The record is written while the disks are unmounted (both wait on the disks), and under the lock.
    // A run refused because another one holds the lock is not part of the history.
    const recording = run.error?.code === 'Busy' ? undefined : history.append({ ...run, pruned: run.pruned?.map((p) => ({ ...p, kept: [] })) });
    try {
      await closeDestinations(opened);
      await mounts.releaseAll();
    } finally {
      await (recording ?? Promise.resolve()).finally(() => unlock?.());
    }
  }
  return run;
}
