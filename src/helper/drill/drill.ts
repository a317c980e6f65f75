import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Destination } from '../../core/config';
import { onBattery } from '../../core/conditions';
import type { DamagedBackup } from '../../core/damaged-backups';
import { inPointOrder, receivedAffected, streamAffected } from '../../core/drill-damage';
import { drillProblems, incompleteNewer, pointToDrill, type DrillOutcome, type DrillRecord, type DrillResult, type DrillSourceResult } from '../../core/drill';
import { chooseSample, DEFAULT_DRILL_BUDGET, type DrillBudget, type SampledFile } from '../../core/drill-sample';
import { ADVICE, RewindError, toRewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import type { Subvolume } from '../../core/subvolume';
import { loadConfig } from '../config/config-file';
import type { BackupDestination, PointInfo } from '../destinations/backup-destination';
import { closeDestinations, openDestination } from '../destinations/open-destination';
import { FilesDestination } from '../destinations/stream-files/files-destination';
import { readPowerSupplies } from '../engine/machine-state';
import { acquireRunLock } from '../engine/run-lock';
import { listSnapshots, resolveSource, type SourceSubvolume } from '../engine/sources';
import { restoreFiles } from '../restore/user-restore';
import { MountSet } from '../system/mount-set';
import { randomUuid } from '../system/random-id';
import { listCandidates } from './candidates';
import { compareRestored, xattrsOfAll } from './compare';
import { DamagedBackups } from './damaged-backups';
import { DrillHistory } from './drill-history';

/**
 * A restore drill (`rewind-helper drill`, D-Bus CheckBackups): for each
 * destination, the newest backup of each source that still has its snapshot
 * on this computer (paired by UUID, src/core/drill.ts) gives back a sample
 * of its files (src/core/drill-sample.ts) through the same code a user's
 * restore runs (../restore/user-restore, as an administrator, into a
 * private scratch folder), and each is compared with that snapshot
 * (./compare). Stream files have their chain checked first, every checksum
 * and every command's CRC, before it is replayed.
 *
 * A drill holds the run lock (it never competes with a backup: Busy), waits
 * while the configuration says backups wait on battery (nothing is started
 * or recorded), and keeps to a time budget: once it is spent, what is left
 * is not compared, and the record says how many. Every drill is recorded
 * (./drill-history), and a backup found damaged is marked (./damaged-backups):
 * no backup is built on it, and the next one there is full
 * (src/core/parent.ts, rule 7).
 */
export interface DrillPaths {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

export interface DrillOptions {
  /** One destination's id; default every enabled one. */
  destination?: string;
  /** The sample's seed, to choose the same files as an earlier drill; default a new random one. */
  seed?: number;
  budget?: Partial<DrillBudget>;
}

export async function drillDestinations(paths: DrillPaths, options: DrillOptions = {}): Promise<DrillResult> {
  const config = await loadConfig(paths.configPath);
  const chosen = config.destinations.filter((d) => (options.destination === undefined ? d.enabled : d.id === options.destination));
  if (options.destination !== undefined && chosen.length === 0) {
    throw new RewindError('InvalidArgs', `There is no destination "${options.destination}" in the configuration.`, { advice: ADVICE.chooseAgain });
  }
  if (config.conditions.postponeOnBattery && onBattery(await readPowerSupplies())) return { skipped: 'on-battery' };
  const configured = config.drill ? { files: config.drill.files, bytes: config.drill.mebibytes * 2 ** 20, seconds: config.drill.minutes * 60 } : {};
  const budget = { ...DEFAULT_DRILL_BUDGET, ...configured, ...options.budget };
  const unlock = await acquireRunLock(paths.stateDir);
  try {
    const history = new DrillHistory(paths.stateDir);
    const drills: DrillRecord[] = [];
    for (const destination of chosen) {
      const seed = options.seed ?? Number.parseInt(randomUuid().slice(0, 8), 16);
      const { record, marks } = await drillOne(paths, config, destination, seed, budget);
      await new DamagedBackups(paths.stateDir).add(marks).catch((error: unknown) => {
        console.error(`rewind-helper: could not mark the damaged backups of ${record.destinationName}, so the next backup there may be built on one: ${(error as Error).message}`);
      });
      await history.append(record);
      drills.push(record);
    }
    return { drills };
  } finally {
    await unlock();
  }
}

/** What a drill found damaged in one folder of a destination, before it is dated and named. */
type Mark = Pick<DamagedBackup, 'folder' | 'backup' | 'uuid' | 'snapshotUuid'>;

async function drillOne(
  paths: DrillPaths,
  config: Awaited<ReturnType<typeof loadConfig>>,
  d: Destination,
  seed: number,
  budget: DrillBudget,
): Promise<{ record: DrillRecord; marks: DamagedBackup[] }> {
  const started = new Date();
  const deadline = started.getTime() + budget.seconds * 1000;
  const host = config.hostName ?? hostname();
  const mounts = MountSet.forReader(paths.runtimeDir, 'drill');
  const base = { id: randomUuid(), started: started.toISOString(), destination: d.id, destinationName: d.label ?? d.id, seed };
  const done = (outcome: DrillOutcome, sources: DrillSourceResult[]): DrillRecord => ({ ...base, finished: new Date().toISOString(), outcome, sources });
  let destination: BackupDestination | undefined;
  try {
    destination = await openDestination(d, host, mounts, paths.stateDir);
  } catch (error) {
    await mounts.releaseAll();
    return { record: done('not-connected', [{ source: '', compared: 0, bytes: 0, problems: [toRewindError(error).message] }]), marks: [] };
  }
  const sources = config.sources.flatMap((s) => (s.path === undefined ? [] : [s.path]));
  const share = { files: Math.max(1, Math.floor(budget.files / Math.max(1, sources.length))), bytes: Math.floor(budget.bytes / Math.max(1, sources.length)) };
  const results: DrillSourceResult[] = [];
  const found: Mark[] = [];
  let failed = false;
  try {
    for (const source of sources) {
      try {
        results.push(await drillSource(paths, d.id, destination, mounts, source, seed, share, deadline, (m) => found.push(m)));
      } catch (error) {
        failed = true;
        results.push({ source, compared: 0, bytes: 0, problems: [toRewindError(error).message] });
      }
    }
  } finally {
    await closeDestinations([destination]);
    await mounts.releaseAll();
  }
  const checked = results.filter((r) => r.backup !== undefined);
  const outcome: DrillOutcome = checked.some((r) => r.problems.length > 0)
    ? 'damaged'
    : failed
      ? 'failed'
      : checked.length === 0
        ? 'nothing-to-check'
        : 'identical';
  const record = done(outcome, results);
  if (outcome === 'damaged') console.error(`rewind-helper: the check of ${record.destinationName} found damage: ${drillProblems(record).join('; ')}`);
  return { record, marks: found.map((m) => ({ ...m, destination: d.id, found: record.finished, drill: record.id })) };
}

async function drillSource(
  paths: DrillPaths,
  destinationId: string,
  destination: BackupDestination,
  mounts: MountSet,
  sourcePath: string,
  seed: number,
  share: { files: number; bytes: number },
  deadline: number,
  mark: (m: Mark) => void,
): Promise<DrillSourceResult> {
  const [source] = await resolveSource({ path: sourcePath }, mounts);
  const ownDir = path.join(SNAPSHOT_DIR, source.dirName);
  const local = (await listSnapshots(source)).filter((s) => path.dirname(s.path) === ownDir);
  const points = await destination.points(source.dirName);
  const pick = pointToDrill(points, local);
  const result: DrillSourceResult = { source: sourcePath, compared: 0, bytes: 0, problems: incompleteNewer(points, pick?.point) };
  if (result.problems.length > 0) {
    result.backup = points[points.length - 1].name;
    // ../../core/drill-damage, rule 4: each such backup itself.
    result.affected = points.slice(pick ? points.indexOf(pick.point) + 1 : 0).flatMap((p) => (p.complete ? [] : [p.name]));
  }
  if (!pick) return result;
  result.backup = pick.point.name;
  // Problems from here on are the checked backup's own: it is marked damaged (a newer incomplete one never was a parent).
  const before = result.problems.length;
  await checkPoint(paths, destinationId, destination, source, sourcePath, pick, seed, share, deadline, result);
  if (result.problems.length > before) {
    result.damaged = true;
    mark({ folder: source.dirName, backup: pick.point.name, uuid: pick.point.uuid, snapshotUuid: pick.snapshot.uuid });
    const reached =
      destination instanceof FilesDestination
        ? streamAffected((await destination.manifest(source.dirName)).streams, pick.point.name, result.damagedStream)
        : receivedAffected(points, pick.point.name);
    result.affected = inPointOrder(points, [...(result.affected ?? []), ...reached]);
  }
  return result;
}

/** Checks the chosen backup's chain (stream files), then restores its sample and compares it; problems go into `result`. */
async function checkPoint(
  paths: DrillPaths,
  destinationId: string,
  destination: BackupDestination,
  source: SourceSubvolume,
  sourcePath: string,
  pick: { point: PointInfo; snapshot: Subvolume },
  seed: number,
  share: { files: number; bytes: number },
  deadline: number,
  result: DrillSourceResult,
): Promise<void> {
  if (destination instanceof FilesDestination) {
    const failed = await destination.verifyChainOf(source.dirName, pick.point.name);
    if (failed) {
      result.problems.push(`The stream files of the backup ${pick.point.name} are damaged: ${failed.problem}`);
      result.damagedStream = failed.stream;
      return;
    }
  }
  const original = path.join(source.top, pick.snapshot.path);
  const sample = chooseSample(await listCandidates(original, Math.max(1000, deadline - Date.now())), seed, share);
  if (sample.length === 0) return;
  // A private folder of root's beside the state (never /tmp: others may write there); its real path, as an administrator's restore wants.
  const scratch = await mkdtemp(path.join(await realpath(paths.stateDir), 'drill-'));
  try {
    const unrestored = await restoreSample(paths, destinationId, pick.point.name, sourcePath, sample, scratch, result);
    if (unrestored === 'all') return;
    const pairs = sample.map((f) => ({ file: f, original: path.join(original, f.path), restored: path.join(scratch, path.basename(f.path)) }));
    const xattrs = await xattrsOfAll(pairs.filter((p) => !unrestored.has(p.file.path)).flatMap((p) => [p.original, p.restored]));
    for (const [index, { file, original: here, restored }] of pairs.entries()) {
      if (Date.now() > deadline) {
        result.notCompared = sample.length - index;
        break;
      }
      // A file the restore stopped at is named once, by the restore.
      if (unrestored.has(file.path)) continue;
      const problems = await compareRestored(file.path, here, restored, xattrs);
      if (problems.length > 0) result.problems.push(...problems);
      else {
        result.compared++;
        result.bytes += file.size;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const NOT_ABOUT_THE_BACKUP = new Set(['DestinationMissing', 'HostUnreachable', 'ConnectionLost', 'Cancelled', 'Busy']);

/**
 * Restores the sample into `scratch` as an administrator's restore into a
 * folder does. One call for all (a stream-file point is replayed once); when
 * it stops at a file it names, that file is a problem and the call goes on
 * with the files after it.
 */
async function restoreSample(
  paths: DrillPaths,
  from: string,
  snapshot: string,
  source: string,
  sample: readonly SampledFile[],
  scratch: string,
  result: DrillSourceResult,
): Promise<Set<string> | 'all'> {
  const unrestored = new Set<string>();
  let rest = sample.map((f) => f.path);
  while (rest.length > 0) {
    try {
      await restoreFiles(paths, { from, snapshot, source, paths: rest, to: { folder: scratch } }, { uid: 0, gid: 0, admin: true });
      break;
    } catch (error) {
      const failure = toRewindError(error);
      // The destination went away, or the drill was stopped: nothing is known about the backup.
      if (NOT_ABOUT_THE_BACKUP.has(failure.code)) throw failure;
      const message = failure.message;
      // The longest path the message names: another sampled path may be the start of it.
      const at = rest.reduce((best, p, i) => (message.includes(p) && (best < 0 || p.length > rest[best].length) ? i : best), -1);
      if (at < 0) {
        result.problems.push(`The backup ${snapshot} could not be restored: ${message}`);
        return 'all';
      }
      result.problems.push(`${rest[at]}: it could not be restored from the backup: ${message}`);
      unrestored.add(rest[at]);
      rest = rest.slice(at + 1);
    }
  }
  return unrestored;
}
