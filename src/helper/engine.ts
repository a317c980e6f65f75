import { mkdir, readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config, Destination, Source } from '../core/config';
import { RewindError, toRewindError } from '../core/errors';
import { SNAPSHOT_DIR } from '../core/ids';
import { choosePlan, isCompleteBackup, snapshotsOf } from '../core/parent';
import { snapshotName, subvolumeDirName } from '../core/snapshot-name';
import type { Progress, RunRecord, TransferRecord } from '../core/status';
import type { Subvolume } from '../core/subvolume';
import { deleteSubvolume, filesystemUuidOfDevice, listSubvolumes, showSubvolume, snapshotReadOnly } from './btrfs';
import { loadConfig } from './config-file';
import { History } from './history';
import { deviceOfFilesystem, mountOf, mountTopLevel, type TopLevelMount } from './mounts';
import { CommandError } from './run-command';
import { acquireRunLock } from './run-lock';
import { sendReceive } from './transfer';

/**
 * A backup run:
 * 1. take a read-only snapshot of each source subvolume under
 *    <top level>/.rewind/<subvolume>/<timestamp>;
 * 2. for each enabled destination, remove what an interrupted run left
 *    (backups that are writable or have no received UUID);
 * 3. choose the parent by UUID (src/core/parent) and send, full or incremental;
 * 4. verify that the received backup is read-only and carries the snapshot's UUID.
 * Every run is recorded in the history, whatever its outcome.
 */
export interface EngineOptions {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
  onProgress?: (progress: Progress) => void;
}

/** Top-level mounts made during one run, one per filesystem, released at the end. */
class MountSet {
  private readonly mounts = new Map<string, Promise<TopLevelMount>>();
  constructor(private readonly runtimeDir: string) {}

  get(device: string, fsUuid: string): Promise<TopLevelMount> {
    let mount = this.mounts.get(fsUuid);
    if (!mount) {
      mount = mountTopLevel(device, this.runtimeDir, fsUuid);
      this.mounts.set(fsUuid, mount);
    }
    return mount;
  }

  async releaseAll(): Promise<void> {
    for (const mount of this.mounts.values()) {
      await mount.then((m) => m.release()).catch(() => undefined);
    }
    this.mounts.clear();
  }
}

interface SourceSnapshot {
  source: Source;
  dirName: string;
  top: string;
  snapshot: Subvolume;
  snapshots: Subvolume[];
}

async function snapshotSource(source: Source, mounts: MountSet, now: Date): Promise<SourceSnapshot> {
  const exists = await stat(source.path).catch(() => undefined);
  if (!exists?.isDirectory()) throw new RewindError('SourceMissing', `The folder ${source.path} does not exist.`);
  const mount = await mountOf(source.path);
  if (mount.fstype !== 'btrfs') {
    throw new RewindError('SourceNotBtrfs', `${source.path} is on a ${mount.fstype} filesystem, not btrfs.`);
  }
  const info = await showSubvolume(source.path).catch((error: unknown) => {
    throw new RewindError('SourceNotBtrfs', `${source.path} is on btrfs but is not a subvolume of its own.`, { cause: error });
  });
  if (info.id === 5) {
    throw new RewindError('SourceNotBtrfs', `${source.path} is the top level of its filesystem; Rewind backs up subvolumes such as /home.`);
  }
  const fsUuid = await filesystemUuidOfDevice(mount.source);
  const { mountPoint: top } = await mounts.get(mount.source, fsUuid);
  const dirName = subvolumeDirName(info.path);
  const dir = path.join(top, SNAPSHOT_DIR, dirName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = snapshotName(now, new Set(await readdir(dir)));
  await snapshotReadOnly(path.join(top, info.path), path.join(dir, name));
  const all = await listSubvolumes(top);
  const relative = path.join(SNAPSHOT_DIR, dirName, name);
  const snapshot = all.find((s) => s.path === relative);
  if (!snapshot) throw new RewindError('Internal', `The new snapshot ${relative} is missing from the subvolume list.`);
  return { source, dirName, top, snapshot, snapshots: snapshotsOf(info.uuid, all) };
}

function backupsIn(all: readonly Subvolume[], dirBelowTop: string): Subvolume[] {
  return all.filter((s) => path.dirname(s.path) === dirBelowTop);
}

async function sendToDestination(
  snap: SourceSnapshot,
  destination: Destination,
  host: string,
  mounts: MountSet,
  report: (p: Omit<Progress, 'source' | 'destination'>) => void,
): Promise<TransferRecord> {
  const started = Date.now();
  const name = path.basename(snap.snapshot.path);
  const record: TransferRecord = {
    source: snap.source.path,
    destination: destination.id,
    snapshot: name,
    kind: 'full',
    bytes: 0,
    seconds: 0,
    ok: false,
  };
  let receiveDir: string | undefined;
  try {
    const device = await deviceOfFilesystem(destination.filesystem);
    if (!device) {
      throw new RewindError('DestinationMissing', `The backup disk ${destination.label ?? destination.id} is not connected.`);
    }
    const { mountPoint: top } = await mounts.get(device, destination.filesystem);
    const dirBelowTop = path.join(destination.path, host, snap.dirName);
    receiveDir = path.join(top, dirBelowTop);
    await mkdir(receiveDir, { recursive: true, mode: 0o755 });

    report({ phase: 'cleanup', bytes: 0 });
    const before = backupsIn(await listSubvolumes(top), dirBelowTop);
    for (const leftover of before.filter((b) => !isCompleteBackup(b))) {
      await deleteSubvolume(path.join(top, leftover.path));
    }
    const plan = choosePlan(snap.snapshots, before.filter(isCompleteBackup), snap.snapshot.uuid);
    record.kind = plan.kind;
    if (plan.kind === 'incremental') record.parent = path.basename(plan.parent.path);

    report({ phase: 'send', kind: plan.kind, bytes: 0 });
    record.bytes = await sendReceive({
      snapshot: path.join(snap.top, snap.snapshot.path),
      parent: plan.kind === 'incremental' ? path.join(snap.top, plan.parent.path) : undefined,
      receiveDir,
      onBytes: (bytes) => report({ phase: 'send', kind: plan.kind, bytes }),
    });

    report({ phase: 'verify', kind: plan.kind, bytes: record.bytes });
    const received = backupsIn(await listSubvolumes(top), dirBelowTop).find(
      (b) => path.basename(b.path) === name,
    );
    if (!received || !isCompleteBackup(received) || received.receivedUuid !== snap.snapshot.uuid) {
      throw new RewindError('TransferFailed', `The backup ${name} arrived incomplete on ${destination.id}.`);
    }
    record.ok = true;
  } catch (error) {
    const failure = toRewindError(error instanceof CommandError ? new RewindError('TransferFailed', `${error.message}.`, { cause: error }) : error);
    record.error = { code: failure.code, message: failure.message };
    if (receiveDir) await removeIncomplete(path.join(receiveDir, name));
  }
  record.seconds = (Date.now() - started) / 1000;
  return record;
}

/** Deletes what an interrupted receive left at `target`, if anything. */
async function removeIncomplete(target: string): Promise<void> {
  const exists = await stat(target).catch(() => undefined);
  if (exists) await deleteSubvolume(target).catch(() => undefined);
}

export async function runBackup(options: EngineOptions): Promise<RunRecord> {
  const history = new History(options.stateDir);
  const run: RunRecord = { id: randomUUID(), started: new Date().toISOString(), finished: '', ok: false, transfers: [] };
  const mounts = new MountSet(options.runtimeDir);
  let unlock: (() => Promise<void>) | undefined;
  try {
    const config: Config = await loadConfig(options.configPath);
    unlock = await acquireRunLock(options.stateDir);
    const host = config.hostName ?? hostname();
    for (const source of config.sources) {
      options.onProgress?.({ phase: 'snapshot', source: source.path, bytes: 0 });
      const snap = await snapshotSource(source, mounts, new Date());
      for (const destination of config.destinations.filter((d) => d.enabled)) {
        const record = await sendToDestination(snap, destination, host, mounts, (p) =>
          options.onProgress?.({ ...p, source: source.path, destination: destination.id }),
        );
        run.transfers.push(record);
      }
    }
    const failed = run.transfers.find((t) => !t.ok);
    run.ok = !failed;
    if (failed?.error) run.error = failed.error;
  } catch (error) {
    const failure = toRewindError(error);
    run.error = { code: failure.code, message: failure.message };
  } finally {
    await mounts.releaseAll();
    await unlock?.();
  }
  run.finished = new Date().toISOString();
  // A run refused because another one holds the lock is not part of the history.
  if (run.error?.code !== 'Busy') await history.append(run);
  return run;
}
