import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  LISTING_FORMAT,
  nameContains,
  parseListing,
  previousPoint,
  sortEntries,
  visibleChanges,
  type FolderListing,
  type ListFolderRequest,
  type SearchRequest,
  type SearchResult,
  type WhatChangedRequest,
  type WhatChangedResult,
} from '../../core/browse-request';
import type { Config } from '../../core/config';
import type { Change } from '../../core/send-stream/changes';
import { ADVICE, RewindError } from '../../core/errors';
import { reason as errorReason } from '../../core/error-reasons';
import type { PointChanges } from '../destinations/backup-destination';
import { loadConfig } from '../config/config-file';
import { comparablePoints, diffSnapshots } from './diff';
import { FetchedPoints } from './fetched-points';
import { openDestination, pointsReadInPlace } from '../destinations/open-destination';
import type { RunContext } from '../engine/run-context';
import { MountSet } from '../system/mount-set';
import { withRunContext } from '../engine/run-context';
import { resolveSource } from '../engine/sources';
import { openPoint } from './user-restore';
import { isFoundId } from '../../core/discovery';
import { foundChangesSince, foundNeedsFetching } from '../recovery/found-point';

/**
 * The restore browser's reads (D-Bus ListFolder, Search, WhatChanged). The
 * helper finds the point and opens its root folder as root; everything below
 * it is read by a process running as the caller (setpriv, like RestoreFiles'
 * copy) through that open folder (/proc/self/fd/3), so a user sees exactly
 * what the kernel lets them read in the point, never root's view. The walk to
 * the folder goes one name at a time and refuses symbolic links, so a link
 * in the point never leads out of it.
 *
 * Local snapshots and backups on btrfs disks are browsed where they are. A
 * server's backups and stream files are fetched once into a scratch copy
 * that is kept while the browser uses it (./fetched-points). What changed is
 * a diff of two snapshots on a disk or on a backup server (made there), or
 * read from a stream file's own incremental stream.
 */
export interface BrowseCaller {
  uid: number;
  gid: number;
}

export interface Paths {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

const SEARCH_TIMEOUT_MS = 20_000;

interface Output {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** Stopped early: enough records, or out of time. */
  stopped: boolean;
}

/** Runs `args` as the caller with the given folders as fds 3, 4, …; stops after `maxNuls` NUL bytes of output. */
export function runAsCaller(args: string[], caller: BrowseCaller, fds: number[], options: { input?: Buffer; maxNuls?: number; timeoutMs?: number } = {}): Promise<Output> {
  const command = ['setpriv', `--reuid=${caller.uid}`, `--regid=${caller.gid}`, '--init-groups', '--inh-caps=-all', '--', ...args];
  const child = spawn(command[0], command.slice(1), { cwd: '/', stdio: ['pipe', 'pipe', 'pipe', ...fds], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  const chunks: Buffer[] = [];
  let nuls = 0;
  let stopped = false;
  let stderr = '';
  const stop = () => {
    stopped = true;
    child.kill('SIGKILL');
  };
  const timer = options.timeoutMs ? setTimeout(stop, options.timeoutMs) : undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (stopped) return;
    chunks.push(chunk);
    if (options.maxNuls === undefined) return;
    for (const byte of chunk) if (byte === 0) nuls++;
    if (nuls >= options.maxNuls) stop();
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 65536) stderr += d.toString();
  });
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(options.input);
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: -1, stdout: Buffer.alloc(0), stderr: error.message, stopped }));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(chunks), stderr: stderr.trim(), stopped });
    });
  });
}

/**
 * A bash script that walks from the point's root (fd 3) to a folder, one
 * name at a time, refusing links (exit 11), then runs a command there. Its
 * arguments: the number of names, the names, the command. `cd -P` changes
 * folder by the name alone; a logical cd would go through the path of the
 * helper's mount, which the caller may not reach.
 */
const WALK = `cd -P /proc/self/fd/3 || exit 10
n=$1
shift
while [ "$n" -gt 0 ]; do
  if [ -L "./$1" ]; then echo "$1: is a symbolic link" >&2; exit 11; fi
  cd -P -- "./$1" || exit 12
  shift
  n=$((n - 1))
done
exec "$@"`;

export function walkTo(folder: string, command: string[]): string[] {
  const parts = folder === '' ? [] : folder.split('/');
  return ['bash', '-c', WALK, 'rewind-walk', String(parts.length), ...parts, ...command];
}

/** The caller's listing or search was refused: say what and why, in the caller's terms. */
export function walkFailure(folder: string, output: Output): RewindError {
  const where = folder === '' ? 'the top folder' : `“${folder}”`;
  // The last line is the failed step's (cd or find); bash may warn before it.
  const reason = output.stderr.split('\n').at(-1) ?? '';
  if (output.code === 11) return new RewindError('InvalidArgs', `${where} is a symbolic link in this restore point, not a folder.`, { advice: 'Open the folder it points to by its own path.' });
  if (/Permission denied/.test(reason)) {
    return new RewindError('NotAuthorized', `Your account may not read ${where} in this restore point: its permissions at that time did not allow it.`, {
      advice: 'An administrator of this computer can restore it for you.',
      reason: errorReason('restore-not-readable', { name: folder }),
    });
  }
  if (/No such file or directory/.test(reason)) return new RewindError('InvalidArgs', `There is no ${where} in this restore point.`, { advice: ADVICE.chooseAgain });
  if (/Not a directory/.test(reason)) return new RewindError('InvalidArgs', `${where} is not a folder in this restore point.`, { advice: ADVICE.chooseAgain });
  return new RewindError('TransferFailed', `Reading ${where} in the restore point failed: ${output.stderr || `exit ${output.code}`}.`);
}

/** Points the helper cannot read in place (a server's backups, stream files): they are fetched, and the copy kept a while. */
export function needsFetching(config: Config, from: string): boolean {
  if (from === 'local') return false;
  const destination = config.destinations.find((d) => d.id === from);
  if (!destination) throw new RewindError('InvalidArgs', `There is no destination "${from}" in the configuration.`, { advice: ADVICE.chooseAgain });
  return !pointsReadInPlace(destination);
}

/** Copies of fetched points, kept between the browser's calls; the daemon puts them away before it exits. */
export const fetchedPoints = new FetchedPoints();

export async function openRoot(root: string, request: { from: string; snapshot: string }): Promise<FileHandle> {
  return open(root, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => {
    throw new RewindError('InvalidArgs', `There is no snapshot or backup ${request.snapshot} in ${request.from === 'local' ? 'the local snapshots' : request.from}.`, { advice: ADVICE.chooseAgain });
  });
}

/** Opens the point's root folder for `fn`, and puts everything away after. */
async function withPoint<T>(paths: Paths, request: ListFolderRequest | SearchRequest, fn: (rootFd: number) => Promise<T>): Promise<T> {
  const read = async (root: string) => {
    const handle = await openRoot(root, request);
    try {
      return await fn(handle.fd);
    } finally {
      await handle.close();
    }
  };
  const fetches = isFoundId(request.from) ? await foundNeedsFetching(paths, request.from) : needsFetching(await loadConfig(paths.configPath), request.from);
  if (fetches) return fetchedPoints.use(paths, request, (point) => read(point.root));
  const mounts = MountSet.forReader(paths.runtimeDir, 'browse');
  try {
    return await read((await openPoint(paths, request, mounts)).root);
  } finally {
    await mounts.releaseAll();
  }
}

export async function listFolder(paths: Paths, request: ListFolderRequest, caller: BrowseCaller): Promise<FolderListing> {
  return withPoint(paths, request, async (fd) => {
    const output = await runAsCaller(walkTo(request.path, ['find', '.', '-maxdepth', '1', '-printf', LISTING_FORMAT]), caller, [fd]);
    if (output.code !== 0) throw walkFailure(request.path, output);
    const { start, entries } = parseListing(output.stdout, request.path);
    if (start?.kind !== 'folder') throw new RewindError('InvalidArgs', `“${request.path}” is not a folder in this restore point.`, { advice: ADVICE.chooseAgain });
    return { path: request.path, entries: sortEntries(entries) };
  });
}

export async function search(paths: Paths, request: SearchRequest, caller: BrowseCaller): Promise<SearchResult> {
  return withPoint(paths, request, async (fd) => {
    const find = ['find', '.', '-mindepth', '1', '-iname', nameContains(request.pattern), '-printf', LISTING_FORMAT];
    // One more than the limit tells "exactly the limit" from "more".
    const output = await runAsCaller(walkTo(request.path, find), caller, [fd], { maxNuls: (request.limit + 1) * 8, timeoutMs: SEARCH_TIMEOUT_MS });
    // find goes on past folders it may not read (exit 1); the walk to the start folder must succeed.
    if (!output.stopped && output.code !== 0 && output.code !== 1) throw walkFailure(request.path, output);
    if (output.code === 1 && !/^find: /m.test(output.stderr)) throw walkFailure(request.path, output);
    const { entries } = parseListing(output.stdout, request.path);
    const unreadable = output.stderr.split('\n').filter((l) => l.startsWith('find: ') && l.includes('Permission denied')).length;
    return { pattern: request.pattern, entries: entries.slice(0, request.limit), truncated: output.stopped || entries.length > request.limit, unreadable };
  });
}

/** For each "3:folder" or "4:folder" on stdin (NUL-separated), prints 1 if the caller may list it, else 0. */
const CAN_READ = `while IFS= read -r -d '' item; do
  root=/proc/self/fd/\${item%%:*}
  if (cd -P -- "$root/\${item#*:}" 2>/dev/null && [ -r . ]); then printf 1; else printf 0; fi
done`;

/** Which of `changes` the caller may see: those in folders they may list, in this point (`here`) and, for deletions and old names, in the previous one. */
async function visibleTo(caller: BrowseCaller, here: FileHandle, before: FileHandle, changes: Change[]): Promise<{ changes: Change[]; hidden: number }> {
  const asked = new Map<string, boolean>();
  visibleChanges(changes, (point, folder) => {
    asked.set(`${point === 'this' ? 3 : 4}:${folder}`, false);
    return true;
  });
  const keys = [...asked.keys()];
  const output = await runAsCaller(['bash', '-c', CAN_READ], caller, [here.fd, before.fd], { input: Buffer.from(keys.map((k) => `${k}\0`).join('')) });
  if (output.code !== 0) throw new RewindError('TransferFailed', `Checking what your account may read in the restore point failed: ${output.stderr || `exit ${output.code}`}.`);
  const answers = output.stdout.toString();
  keys.forEach((k, i) => asked.set(k, answers[i] === '1'));
  return visibleChanges(changes, (point, folder) => asked.get(`${point === 'this' ? 3 : 4}:${folder}`) === true);
}

/** The answer: `changes` from `previous` to the point, as far as the caller may see them in both points' folders (`here`, `before`). */
async function answer(caller: BrowseCaller, request: WhatChangedRequest, here: string, previous: string, before: string, changes: Change[]): Promise<WhatChangedResult> {
  const hereFd = await openRoot(here, request);
  try {
    const beforeFd = await openRoot(before, { from: request.from, snapshot: previous });
    try {
      return { previous, ...(await visibleTo(caller, hereFd, beforeFd, changes)) };
    } finally {
      await beforeFd.close();
    }
  } finally {
    await hereFd.close();
  }
}

/** The point's root folder for `fn`: read where it is (local snapshots, a disk), or the fetched copy kept for the browser. */
async function withPointRoot<T>(paths: Paths, config: Config, point: WhatChangedRequest, mounts: MountSet, fn: (point: { root: string; sourcePath: string }) => Promise<T>): Promise<T> {
  if (needsFetching(config, point.from)) return fetchedPoints.use(paths, point, fn);
  return fn(await openPoint(paths, point, mounts));
}

/** What changed in a local snapshot: `btrfs send --no-data -p` from the snapshot before it. */
async function changesOfLocal(paths: Paths, context: RunContext, request: WhatChangedRequest, sourcePath: string): Promise<PointChanges> {
  const [source] = await resolveSource({ path: sourcePath }, context.mounts);
  const previous = previousPoint((await comparablePoints(source)).map((s) => path.basename(s.path)), request.snapshot);
  if (previous === undefined) return { changes: [] };
  const diff = await diffSnapshots(context, { from: previous, to: request.snapshot, source: sourcePath });
  return { previous, changes: diff.changes };
}

/** What changed at a destination, as it tells it (../destinations/backup-destination: changesSince). */
async function changesAtDestination(paths: Paths, context: RunContext, request: WhatChangedRequest, sourcePath: string): Promise<PointChanges> {
  const [source] = await resolveSource({ path: sourcePath }, context.mounts);
  const configured = context.config.destinations.find((d) => d.id === request.from)!;
  const destination = await openDestination(configured, context.host, context.mounts, paths.stateDir);
  return destination.changesSince(source.dirName, request.snapshot).finally(() => destination.close());
}

/**
 * What changed in a point since the one before it, without what the caller
 * may not read: the changes come from the local snapshots or from the
 * destination; both points are opened (fetched when they are not read in
 * place) to learn what the caller may read in them.
 */
export async function whatChanged(paths: Paths, request: WhatChangedRequest, caller: BrowseCaller): Promise<WhatChangedResult> {
  if (isFoundId(request.from)) return foundWhatChanged(paths, request, caller);
  return withRunContext(paths, false, async (context) => {
    const { config, mounts } = context;
    return withPointRoot(paths, config, request, mounts, async (thisPoint) => {
      // The point must be there before anything is compared.
      await (await openRoot(thisPoint.root, request)).close();
      const { previous, changes } =
        request.from === 'local'
          ? await changesOfLocal(paths, context, request, thisPoint.sourcePath)
          : await changesAtDestination(paths, context, request, thisPoint.sourcePath);
      if (previous === undefined) return { changes: [], hidden: 0 };
      const before = { ...request, source: thisPoint.sourcePath, snapshot: previous };
      return withPointRoot(paths, config, before, mounts, (point) => answer(caller, request, thisPoint.root, previous, point.root, changes));
    });
  });
}

/**
 * whatChanged for backups found with no configuration (after a reinstall):
 * the found entry's destination tells the changes, and both points are
 * opened as ListFolder opens a found point (read on the disk, or fetched).
 */
async function foundWhatChanged(paths: Paths, request: WhatChangedRequest, caller: BrowseCaller): Promise<WhatChangedResult> {
  const mounts = MountSet.forReader(paths.runtimeDir, 'browse');
  const fetches = await foundNeedsFetching(paths, request.from);
  const withRoot = async <T>(point: WhatChangedRequest, fn: (point: { root: string }) => Promise<T>): Promise<T> => {
    if (fetches) return fetchedPoints.use(paths, point, fn);
    const opened = await openPoint(paths, point, mounts);
    return fn(opened).finally(() => opened.done());
  };
  try {
    return await withRoot(request, async (thisPoint) => {
      // The point must be there before anything is compared.
      await (await openRoot(thisPoint.root, request)).close();
      const { previous, changes } = await foundChangesSince(paths, request, mounts);
      if (previous === undefined) return { changes: [], hidden: 0 };
      return withRoot({ ...request, snapshot: previous }, (point) => answer(caller, request, thisPoint.root, previous, point.root, changes));
    });
  } finally {
    await mounts.releaseAll();
  }
}
