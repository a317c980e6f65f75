import { lstat, mkdir, rename, rm, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ADVICE, RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { parseSnapshotName, subvolumeDirName } from '../../core/snapshot-name';
import { removeScratchFolder, scratchFolder, showSubvolume } from '../system/btrfs';
import { MountSet } from '../system/mount-set';
import { resolveSource } from '../engine/sources';
import { openDestination, pointsReadInPlace } from '../destinations/open-destination';
import { loadConfig } from '../config/config-file';
import { sizeText } from '../../core/space-notice';
import { CommandError, runCommand } from '../system/run-command';
import { randomHex } from '../system/random-id';

/**
 * Copies one file or folder out of a backup (on a btrfs disk, received from
 * a server, or replayed from stream files) into a folder, keeping content,
 * mode, owner, times and xattrs: the administrator's path (`rewind-helper
 * restore`). A user's restore from the app is ./user-restore.
 */
export interface RestoreRequest {
  configPath: string;
  runtimeDir: string;
  destination: string;
  snapshot: string;
  /** Path inside the backed-up subvolume, e.g. "alice/Documents/report.odt". */
  path: string;
  targetDir: string;
  source?: string;
  /** For stream files: where the helper keeps its keys. */
  stateDir: string;
  /** For encrypted stream files: the recovery key, instead of the helper's own. */
  keyFile?: string;
}

function checkRelative(p: string): string {
  const normal = path.posix.normalize(p);
  if (p === '' || path.isAbsolute(p) || normal.split('/').includes('..') || normal === '.') {
    throw new RewindError('InvalidArgs', `The path to restore must be relative to the backed-up folder, without "..": ${JSON.stringify(p)}.`, { advice: ADVICE.commandLine });
  }
  return normal;
}

export async function restorePath(request: RestoreRequest): Promise<string> {
  const relative = checkRelative(request.path);
  if (!/^[0-9]{8}T[0-9]{6}Z(_[0-9]+)?$/.test(request.snapshot)) {
    throw new RewindError('InvalidArgs', `${JSON.stringify(request.snapshot)} is not the name of a backup.`, { advice: ADVICE.chooseAgain });
  }
  const config = await loadConfig(request.configPath);
  const destination = config.destinations.find((d) => d.id === request.destination);
  if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${request.destination}" in the configuration.`, { advice: ADVICE.chooseAgain });
  const sourcePath = request.source ?? config.sources.find((s) => s.path !== undefined)?.path;
  const source = config.sources.find((s) => s.path !== undefined && s.path === sourcePath);
  if (!source?.path) throw new RewindError('InvalidArgs', `${sourcePath ?? 'The source'} is not one of the backed-up folders; name one with --source.`, { advice: ADVICE.inDetail });
  const host = config.hostName ?? hostname();

  const subvolume = await showSubvolume(source.path);
  const dirName = subvolumeDirName(subvolume.path);
  const target = path.join(request.targetDir, path.basename(relative));
  if (await lstat(target).catch(() => undefined)) {
    throw new RewindError('InvalidArgs', `${target} already exists; choose another folder to restore into.`, { advice: ADVICE.inDetail });
  }
  // Mount points of its own: a backup run may have the same disks mounted.
  const mounts = MountSet.forReader(request.runtimeDir, 'restore');
  let scratch: string | undefined;
  let staging: string | undefined;
  /** The first folder of the target made for the extraction: a failed restore leaves none behind. */
  let made: string | undefined;
  try {
    const opened = await openDestination(destination, host, mounts, request.stateDir);
    // A point that cannot be read where it is (a server's, stream files) is fetched into a scratch
    // folder on the source's own filesystem first; from there the restore is the same as from a disk.
    const inScratch = async () => {
      const [resolved] = await resolveSource({ path: source.path }, mounts);
      scratch = scratchFolder(resolved.top);
      return scratch;
    };
    if (!(await opened.points(dirName)).some((p) => p.name === request.snapshot)) {
      await opened.close();
      throw new RewindError('InvalidArgs', `There is no backup of ${source.path} from ${pointTime(request.snapshot)} (${request.snapshot}) on ${opened.name}.`, {
        advice: 'rewind-helper list shows the backups there are.',
      });
    }
    const notThere = () =>
      new RewindError('InvalidArgs', `There is no ${relative} in the backup of ${pointTime(request.snapshot)} (${request.snapshot}) on ${opened.name}.`, {
        advice: `Check the path: it starts inside ${source.path}, as in alice/Documents.`,
      });
    // From stream files, the path alone is extracted straight into the target's folder: no room needed on
    // the source's filesystem, and the result is moved into place, not copied (./extract-point).
    const into = async () => {
      made = await mkdir(request.targetDir, { recursive: true });
      staging = path.join(request.targetDir, `.rewind-restore-${randomHex(4)}`);
      return staging;
    };
    // Loaded only for points not read in place: a restore from a disk never needs the stream-file modules.
    const extract = pointsReadInPlace(destination) ? undefined : await import('./extract-point');
    const extracted = await extract?.extractedPoint(opened, request.stateDir, dirName, request.snapshot, [relative], into, request.keyFile).catch(async (error: unknown) => {
      await opened.close();
      if (error instanceof extract.NotInBackup) throw notThere();
      throw error;
    });
    if (extracted !== undefined) {
      await opened.close();
      await rename(path.join(extracted, relative), target);
      made = undefined;
      return target;
    }
    const backup = await opened.pointFolder(dirName, request.snapshot, inScratch, request.keyFile).finally(() => opened.close());
    const from = path.join(backup, relative);
    // Refuse anything whose real location is outside the backup (a symlink inside it).
    const real = await runCommand('realpath', ['-e', '--', from]).catch(() => {
      throw notThere();
    });
    if (real !== from) throw new RewindError('InvalidArgs', `${relative} is reached through a link in the backup; restore the link's target instead.`, { advice: ADVICE.inDetail });
    await mkdir(request.targetDir, { recursive: true });
    // From inside the backup's folder: cp then names what it copies relative to it, so a path as long as the kernel allows still fits.
    await runCommand('cp', ['-a', '--reflink=auto', '--no-dereference', '--', path.basename(from), target], { cwd: path.dirname(from) }).catch(
      async (error: unknown) => {
        // What was copied before the failure is removed: a failed restore leaves the target as it found it.
        await rm(target, { recursive: true, force: true }).catch(() => undefined);
        throw await copyFailure(error, from, request.targetDir, relative);
      },
    );
    made = undefined;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (made) await rm(made, { recursive: true, force: true }).catch(() => undefined);
    if (scratch) await removeScratchFolder(scratch);
    await mounts.releaseAll();
  }
  return target;
}

/** Why copying out of a backup failed, in words: the restore's target is the user's to fix, not the backup. */
async function copyFailure(error: unknown, from: string, targetDir: string, what: string): Promise<RewindError> {
  const stderr = error instanceof CommandError ? error.stderr : (error as Error).message;
  if (/No space left|Disk quota exceeded/i.test(stderr)) {
    const needed = await runCommand('du', ['-s', '--block-size=1', '--', from]).then((out) => Number(out.split(/\s/)[0]), () => undefined);
    const free = await statfs(targetDir).then((s) => s.bavail * s.bsize, () => undefined);
    const amounts = needed !== undefined && free !== undefined ? ` It needs ${sizeText(needed)}; ${sizeText(free)} are free there.` : '';
    return new RewindError('DestinationFull', `There is not enough space in ${targetDir} to restore ${what}.${amounts}`, {
      advice: 'Make room there, or restore into a folder on another disk.',
      reason: reason('restore-no-space', { folder: targetDir }),
    });
  }
  if (/File name too long/i.test(stderr)) {
    return new RewindError('InvalidArgs', `A path in ${what} is too long to restore into ${targetDir}.`, {
      advice: 'Restore into a folder with a shorter path, such as /tmp/restore.',
      reason: reason('restore-path-too-long', { folder: targetDir }),
    });
  }
  const first = stderr.trim().split('\n')[0] || 'cp failed';
  return new RewindError('TransferFailed', `Copying ${what} out of the backup into ${targetDir} failed: ${first}`, { cause: error, reason: reason('restore-copy-failed', { folder: targetDir }) });
}

/** "4 December 2026, 17:12 UTC": a point's time for a person reading the command line. */
function pointTime(snapshot: string): string {
  const time = parseSnapshotName(snapshot.replace(/_\d+$/, ''));
  if (!time) return snapshot;
  const date = time.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `${date}, ${time.toISOString().slice(11, 16)} UTC`;
}
