import { hostname } from 'node:os';
import path from 'node:path';
import type { Config, Destination } from '../../core/config';
import { errorReport, RewindError, toRewindError } from '../../core/errors';
import type { ErrorReport, Progress, RunRecord, TransferRecord } from '../../core/status';
import type { BackupDestination } from '../destinations/backup-destination';
import { closeDestinations, openDestination } from '../destinations/open-destination';
import { loadConfig } from '../config/config-file';
import { History } from './history';
import { removeStaleScratchFolders } from '../system/btrfs';
import { finishSetApart } from '../system/set-apart';
import { MountSet, releaseStaleMounts } from '../system/mount-set';
import { CommandError } from '../system/run-command';
import { pruneAll, systemTimeZone } from './prune';
import { randomUuid } from '../system/random-id';
import { acquireRunLock } from './run-lock';
import { sendProtocol } from '../system/send-capabilities';
import { resolveSource, snapshotToBackUp, type SourceSnapshot, type SourceSubvolume } from './sources';
import { destinationPresence } from '../destinations/destination-presence';
import { DEFAULT_NOTIFICATIONS } from '../../core/notification-settings';
import { destinationsSpaceFreed } from '../../core/space-notice';
import { thinLowSources } from './thin-source';
import { readMountTable } from '../system/mountinfo';
import { damagedSnapshots } from '../../core/damaged-backups';
import { DamagedBackups } from '../drill/damaged-backups';

/**
 * A backup run:
 * 1. take the run lock and unmount what a dead run left mounted;
 * 2. take a read-only snapshot of each source subvolume under
 *    <top level>/.rewind/<subvolume>/<timestamp>;
 * 3. back each snapshot up to each enabled destination, which removes what
 *    an interrupted run left, chooses full or incremental, makes room when
 *    it is full, and checks what arrived (../destinations/backup-destination:
 *    the engine never asks which kind it holds);
 * 4. prune both sides by retention (./prune), never the next parent.
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

function report(error: unknown): ErrorReport {
  const failure = toRewindError(
    error instanceof CommandError ? new RewindError('TransferFailed', `${error.message}.`, { cause: error }) : error,
  );
  return errorReport(failure);
}

type Opened = BackupDestination | RewindError;

/** What every transfer of a run shares. */
interface RunState {
  options: EngineOptions;
  enabled: Destination[];
  destinations: Map<string, Opened>;
}

/** One snapshot to one destination; the record says how it went. */
async function backUpTo(snap: SourceSnapshot, config: Destination, state: RunState): Promise<TransferRecord> {
  const { options } = state;
  const started = Date.now();
  const record: TransferRecord = {
    source: snap.source.label,
    destination: config.id,
    snapshot: path.basename(snap.snapshot.path),
    snapshotUuid: snap.snapshot.uuid,
    kind: 'full',
    bytes: 0,
    seconds: 0,
    ok: false,
  };
  const progress = (p: Omit<Progress, 'source' | 'destination'>) => options.onProgress?.({ ...p, source: snap.source.label, destination: config.id });
  try {
    const opened = state.destinations.get(config.id)!;
    if (opened instanceof RewindError) throw opened;
    const protocol = await sendProtocol(options.stateDir);
    await opened.backUp(snap, { record, progress, protocol, signal: options.signal });
    record.ok = true;
    // Best effort: the main page's free space of a server comes from here (destination-presence).
    const space = config.kind === 'ssh' ? await opened.serverSpace?.().catch(() => undefined) : undefined;
    if (space) record.serverSpace = space;
  } catch (error) {
    record.error = report(options.signal?.aborted ? new RewindError('Cancelled', 'The backup was cancelled.') : error);
  }
  record.seconds = (Date.now() - started) / 1000;
  return record;
}

/** Names in use at any destination, so that a new snapshot takes another. */
async function namesAtDestinations(destinations: Map<string, Opened>, dirName: string): Promise<string[]> {
  const names: string[] = [];
  for (const d of destinations.values()) if (!(d instanceof RewindError)) names.push(...(await d.takenNames(dirName)));
  return names;
}

type Resolving = Promise<{ subvolumes: SourceSubvolume[] } | { error: unknown }>;

/** Step 2 for one configured source: its snapshots, or why there are none. */
async function snapshotsOf(resolving: Resolving, state: RunState, label: string): Promise<SourceSnapshot[]> {
  state.options.onProgress?.({ phase: 'snapshot', source: label, bytes: 0 });
  const resolved = await resolving;
  if ('error' in resolved) throw resolved.error;
  // Best effort: a copy a killed helper left is only wasted space, never a reason to fail the backup.
  for (const top of new Set(resolved.subvolumes.map((s) => s.top))) await removeStaleScratchFolders(top).catch(() => undefined);
  const snaps: SourceSnapshot[] = [];
  const damaged = damagedSnapshots(await new DamagedBackups(state.options.stateDir).read());
  for (const subvolume of resolved.subvolumes) {
    snaps.push(await snapshotToBackUp(subvolume, new Date(), () => namesAtDestinations(state.destinations, subvolume.dirName), damaged));
  }
  return snaps;
}

/** Steps 2 and 3 for every source; returns the subvolumes snapshotted. */
async function backUpSources(config: Config, resolving: Resolving[], state: RunState, run: RunRecord): Promise<SourceSubvolume[]> {
  const problems: NonNullable<RunRecord['sourceProblems']> = [];
  const snapshotted: SourceSubvolume[] = [];
  const cancelled = () => state.options.signal?.aborted === true;
  for (const [index, source] of config.sources.entries()) {
    if (cancelled()) break;
    const label = (source.path ?? source.allSubvolumesOf) as string;
    const snaps = await snapshotsOf(resolving[index], state, label).catch((error: unknown) => {
      problems.push({ source: label, error: report(error) });
      return [];
    });
    for (const snap of snaps) {
      snapshotted.push(snap.source);
      for (const destination of state.enabled) {
        if (cancelled()) break;
        run.transfers.push(await backUpTo(snap, destination, state));
      }
    }
  }
  if (problems.length > 0) run.sourceProblems = problems;
  return snapshotted;
}

/** Opens the destinations and resolves the sources side by side (independent commands). */
async function start(config: Config, host: string, mounts: MountSet, options: EngineOptions, run: RunRecord): Promise<{ state: RunState; resolving: Resolving[] }> {
  const enabled = config.destinations.filter((d) => d.enabled);
  const opening = Promise.all(
    enabled.map(async (d) => [d.id, await openDestination(d, host, mounts, options.stateDir).catch((error: unknown) => toRewindError(error))] as const),
  );
  const resolving: Resolving[] = config.sources.map((source) =>
    resolveSource(source, mounts, { commitFirst: true, exclude: config.exclude }).then(
      (subvolumes) => ({ subvolumes }),
      (error: unknown) => ({ error }),
    ),
  );
  const destinations = new Map<string, Opened>(await opening);
  try {
    const present = await withoutAbsent(enabled, destinations, run);
    return { state: { options, enabled: present, destinations }, resolving };
  } catch (error) {
    // The run never gets the state, so what is open is closed here.
    await closeDestinations(destinations.values());
    throw error;
  }
}

/**
 * A destination that is not there at the start (a disk not attached, a
 * server that cannot be reached) is skipped, not failed: a laptop away from
 * its disk or its home network is normal, and the monitor's "not connected
 * for N days" is the reminder. A disk that is attached but cannot be opened,
 * and a server that answers but refuses (a key it does not accept, a folder
 * it will not serve), still fail.
 */
async function withoutAbsent(enabled: Destination[], destinations: Map<string, Opened>, run: RunRecord): Promise<Destination[]> {
  const table = await readMountTable().catch(() => []);
  const present: Destination[] = [];
  for (const d of enabled) {
    const opened = destinations.get(d.id);
    const absent =
      opened instanceof RewindError &&
      ((opened.code === 'DestinationMissing' && (await destinationPresence(d, [], table)).connected === false) || (opened.code === 'HostUnreachable' && d.kind === 'ssh'));
    if (absent) (run.skipped ??= []).push({ destination: d.id, reason: report(opened) });
    else present.push(d);
  }
  return present;
}

/**
 * Step 4, then a source disk that is low on space gives up its oldest
 * snapshots (./thin-source). A destination that went away during the run
 * counts as not connected, as at the start.
 */
async function prune(config: Config, host: string, mounts: MountSet, state: RunState, run: RunRecord, history: History, sources: SourceSubvolume[]): Promise<void> {
  const usable = ([id, d]: [string, Opened]): [string, BackupDestination | undefined] => {
    const gone = run.transfers.some((t) => t.destination === id && (t.error?.code === 'DestinationMissing' || t.error?.code === 'ConnectionLost'));
    return [id, !(d instanceof RewindError) && !gone && d.usable ? d : undefined];
  };
  const destinations = new Map([...state.destinations].map(usable));
  const past = [...(await history.read()), run];
  run.pruned = await pruneAll({
    config,
    host,
    mounts,
    history: past,
    now: new Date(),
    timeZone: systemTimeZone(),
    dryRun: false,
    sources,
    stateDir: state.options.stateDir,
    destinations,
  }).catch((error: unknown) => [{ side: 'local' as const, source: '', kept: [], keptCount: 0, removed: [], error: report(error) }]);
  const lowPercent = { ...DEFAULT_NOTIFICATIONS, ...config.notifications }.lowSpacePercent;
  const thinned = await thinLowSources({ sources, destinations, history: past, lowPercent });
  if (thinned.length > 0) run.spaceFreed = [...(run.spaceFreed ?? []), ...thinned];
}

/** What the transfers removed to make room, said per destination, ahead of what the sources gave up. */
function sayRoomMade(run: RunRecord, names: ReadonlyMap<string, string>): void {
  const made = destinationsSpaceFreed(run.transfers, (id) => names.get(id) ?? id);
  if (made.length > 0) run.spaceFreed = [...made, ...(run.spaceFreed ?? [])];
}

export async function runBackup(options: EngineOptions): Promise<RunRecord> {
  const history = new History(options.stateDir);
  const run: RunRecord = { id: randomUuid(), started: new Date().toISOString(), finished: '', ok: false, transfers: [] };
  const mounts = new MountSet(options.runtimeDir);
  let unlock: (() => Promise<void>) | undefined;
  let state: RunState | undefined;
  const names = new Map<string, string>();
  try {
    const config: Config = await loadConfig(options.configPath);
    for (const d of config.destinations) names.set(d.id, d.label ?? d.id);
    unlock = await acquireRunLock(options.stateDir);
    await releaseStaleMounts(options.runtimeDir);
    // A folder whose setting apart was interrupted: its leftover goes before any snapshot has it.
    await finishSetApart(options.stateDir).catch(() => undefined);
    const host = config.hostName ?? hostname();
    const started = await start(config, host, mounts, options, run);
    state = started.state;
    const snapshotted = await backUpSources(config, started.resolving, state, run);
    if (options.signal?.aborted) throw new RewindError('Cancelled', 'The backup was cancelled.');
    await prune(config, host, mounts, state, run, history, snapshotted);
    const failed = run.sourceProblems?.[0]?.error ?? run.transfers.find((t) => !t.ok)?.error;
    run.ok = !failed;
    if (failed) run.error = failed;
    // Every destination away and nothing else wrong: skipped, which is neither a success nor a failure.
    if (!failed && state.enabled.length === 0 && (run.skipped?.length ?? 0) > 0) {
      run.ok = false;
      run.outcome = 'skipped';
    }
  } catch (error) {
    run.error = report(error);
  } finally {
    // Also when the run failed or was cancelled: what went is gone either way.
    sayRoomMade(run, names);
    run.finished = new Date().toISOString();
    // The record is written while the disks are unmounted (both wait on the disks), and under the lock.
    // A run refused because another one holds the lock is not part of the history.
    const recording = run.error?.code === 'Busy' ? undefined : history.append({ ...run, pruned: run.pruned?.map((p) => ({ ...p, kept: [] })) });
    try {
      await closeDestinations(state?.destinations.values() ?? []);
      await mounts.releaseAll();
    } finally {
      await (recording ?? Promise.resolve()).finally(() => unlock?.());
    }
  }
  return run;
}
