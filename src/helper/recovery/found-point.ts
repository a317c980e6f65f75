import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configForFound, foundFolder, foundReadInPlace, type Discovery, type FoundBackups, type FoundFolder, type FoundServer } from '../../core/discovery';
import { ADVICE, RewindError } from '../../core/errors';
import { removeScratchFolder, scratchFolder } from '../system/btrfs';
import type { MountSet } from '../system/mount-set';
import { resolveSource } from '../engine/sources';
import { openDestination } from '../destinations/open-destination';
import type { PointChanges } from '../destinations/backup-destination';
import { extractedPoint } from '../restore/extract-point';
import { discoverBackups } from './discover';
import { rememberServer, searchedServers } from './searched-servers';

/**
 * A restore point of backups found with no configuration (./discover), named
 * by the found entry's id ("found-…") where a configured point names its
 * destination: the restore browser, RestoreFiles and RestoreHome open it with
 * a configuration made in memory for that entry (src/core/discovery.ts),
 * never saved.
 */

/** What the last discovery found, by id: the browser's calls need not look at every disk again. */
const known = new Map<string, FoundBackups>();

export async function discoverAndRemember(runtimeDir: string): Promise<Discovery> {
  const discovery = await discoverBackups({ runtimeDir });
  for (const found of discovery.found) known.set(found.id, found);
  return discovery;
}

/**
 * What a server answered (discover --host, DiscoverServerBackups), kept as
 * a disk's finds are, and the server noted in the runtime folder with the ids
 * it answered (./searched-servers), so that a later call, in this process or
 * another one, can ask it again.
 */
export async function rememberServerFinds(runtimeDir: string, server: FoundServer, discovery: Discovery): Promise<void> {
  for (const found of discovery.found) known.set(found.id, found);
  await rememberServer(
    runtimeDir,
    server,
    discovery.found.map((f) => f.id),
  );
}

interface Paths {
  stateDir: string;
  runtimeDir: string;
}

/** Asks a searched server again; what it answers is remembered anew, what went wrong is said naming it. */
async function askServer(paths: Paths, server: FoundServer, problems: string[]): Promise<FoundBackups[]> {
  const { discoverOnServer } = await import('./discover-server');
  const { sshPaths } = await import('../destinations/ssh/identity');
  try {
    const discovery = await discoverOnServer(sshPaths(paths.stateDir), server, hostname());
    await rememberServerFinds(paths.runtimeDir, server, discovery);
    return discovery.found;
  } catch (error) {
    problems.push(`the server ${server.host} could not be asked for them (${error instanceof RewindError ? error.detail : (error as Error).message})`);
    return [];
  }
}

/**
 * The found entry `id`, looked for again when it is not known (a helper
 * started since): first on the server that answered it, when one did, then
 * on the connected disks, then on the other servers searched.
 */
export async function lookUpFound(paths: Paths, id: string): Promise<FoundBackups> {
  const remembered = known.get(id);
  if (remembered) return remembered;
  const servers = await searchedServers(paths.runtimeDir);
  const problems: string[] = [];
  const answeredIt = servers.filter((s) => s.ids.includes(id));
  for (const server of answeredIt) {
    const found = (await askServer(paths, server, problems)).find((f) => f.id === id);
    if (found) return found;
  }
  if (answeredIt.length === 0) {
    const found = (await discoverAndRemember(paths.runtimeDir)).found.find((f) => f.id === id);
    if (found) return found;
    for (const server of servers) {
      const onIt = (await askServer(paths, server, problems)).find((f) => f.id === id);
      if (onIt) return onIt;
    }
  }
  if (answeredIt.length > 0 && problems.length > 0) {
    throw new RewindError('DestinationMissing', `The backups you chose are on a server that cannot be read now: ${problems.join('; ')}.`, {
      advice: 'Check that the server is on and reachable, and that it still lets this computer read the backups there; then look for backups again.',
    });
  }
  // The server answered: it is reachable, and what it no longer lists was deleted or moved there.
  if (answeredIt.length > 0) {
    const hosts = answeredIt.map((s) => s.host).join(', ');
    throw new RewindError('DestinationMissing', `The backups you chose are not on the server ${hosts} any more: it answered, but no longer lists them.`, {
      advice: 'They may have been deleted or moved there since they were found; look for backups on the server again, and choose among those it has now.',
    });
  }
  const servedNote = servers.length > 0 ? ` or on the server${servers.length === 1 ? '' : 's'} ${servers.map((s) => s.host).join(', ')}` : '';
  const problemNote = problems.length > 0 ? ` (${problems.join('; ')})` : '';
  throw new RewindError('DestinationMissing', `The backups you chose are not on any connected disk${servedNote} any more${problemNote}.`, {
    advice: 'Connect the backup disk, then look for backups again.',
  });
}

/**
 * Where the installed system's folders are: "/", or, on a live system that
 * mounted the new installation somewhere (/mnt/sysimage), that folder, as
 * REWIND_TARGET_ROOT says.
 */
export function targetFolder(folder: string): string {
  return path.join(process.env.REWIND_TARGET_ROOT || '/', folder);
}

/**
 * The backed-up folder of `found` that a request means: the one that stood
 * for `source` on the old computer (then it goes to the same folder here),
 * else its home folders, going to `source` (a folder of this computer) or to
 * the same folder here.
 */
export function chosenFolder(found: FoundBackups, source: string | undefined): { folder: FoundFolder; sourcePath: string } {
  const named = source !== undefined ? found.folders.find((f) => f.folder === source) : undefined;
  const folder = named ?? foundFolder(found);
  if (!folder) throw new RewindError('InvalidArgs', 'These backups hold no folder to restore.', { advice: ADVICE.chooseAgain });
  return { folder, sourcePath: named || source === undefined ? targetFolder(folder.folder) : source };
}

/** Runs `fn` with the recovery key in a file only root reads, deleted after; without a key, with none. */
export async function withRecoveryKey<T>(runtimeDir: string, key: string | undefined, fn: (keyFile: string | undefined) => Promise<T>): Promise<T> {
  if (key === undefined) return fn(undefined);
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  const file = path.join(runtimeDir, `recovery-key-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  try {
    return await fn(file);
  } finally {
    await rm(file, { force: true });
  }
}

/** How the person gave the key of encrypted backups: typed (the app) or in a file (the command line). */
export interface GivenKey {
  recoveryKey?: string;
  keyFile?: string;
}

/**
 * Runs `fn` with the key given for a found entry's encrypted backups; a key
 * that does not open them, or none, is refused in a sentence that names the
 * recovery key (the stream files' own words name a key file this computer
 * does not have, or a file that lived only for this call). Every check runs
 * before anything is received, so nothing was restored.
 */
export async function withFoundKey<T>(runtimeDir: string, given: GivenKey, fn: (keyFile: string | undefined) => Promise<T>): Promise<T> {
  try {
    return await withRecoveryKey(runtimeDir, given.recoveryKey, (file) => fn(file ?? given.keyFile));
  } catch (error) {
    if (!(error instanceof RewindError) || error.code !== 'WrongKey') throw error;
    const what = given.recoveryKey !== undefined ? 'The recovery key you typed' : given.keyFile !== undefined ? `The recovery key in ${given.keyFile}` : undefined;
    throw new RewindError(
      'WrongKey',
      what
        ? `${what} does not open these backups: they were encrypted with another key. Nothing was restored or changed.`
        : 'These backups are encrypted: the recovery key you kept when encryption was switched on is needed to open them. Nothing was restored or changed.',
      { advice: 'Give the recovery key (the line starting with AGE-SECRET-KEY-1) that Rewind showed when encryption was switched on.', cause: error },
    );
  }
}

/** A found point's root folder (read on the disk, or replayed into a scratch folder on the target's filesystem). */
export async function openFoundPoint(
  paths: Paths,
  request: { from: string; snapshot: string; source?: string; recoveryKey?: string; paths?: readonly string[] },
  mounts: MountSet,
): Promise<{ root: string; sourcePath: string; done: () => Promise<void> }> {
  const found = await lookUpFound(paths, request.from);
  const { folder, sourcePath } = chosenFolder(found, request.source);
  const [destination] = configForFound(found, [sourcePath]).destinations;
  let scratch: string | undefined;
  const inScratch = async () => {
    const [source] = await resolveSource({ path: sourcePath }, mounts).catch((error: unknown) => {
      throw new RewindError('SourceNotBtrfs', `Stream files are unpacked on the filesystem of ${sourcePath}, which cannot hold them (${(error as Error).message}).`, { cause: error });
    });
    scratch = scratchFolder(source.top);
    return scratch;
  };
  const done = async () => {
    if (scratch) await removeScratchFolder(scratch);
  };
  try {
    const opened = await openDestination(destination, found.host, mounts, paths.stateDir);
    // Only the paths asked for, when they can be extracted without a replay (../restore/extract-point).
    const fetch = async (keyFile?: string) =>
      (request.paths && (await extractedPoint(opened, paths.stateDir, folder.dirName, request.snapshot, request.paths, inScratch, keyFile))) ??
      opened.pointFolder(folder.dirName, request.snapshot, inScratch, keyFile);
    const root = await withFoundKey(paths.runtimeDir, { recoveryKey: request.recoveryKey }, fetch).finally(() => opened.close());
    return { root, sourcePath, done };
  } catch (error) {
    await done();
    throw error;
  }
}

/** Whether a found entry's points are fetched (stream files, a server) rather than read on the disk. */
export async function foundNeedsFetching(paths: Paths, id: string): Promise<boolean> {
  return !foundReadInPlace(await lookUpFound(paths, id));
}

/**
 * What changed in a found point since the one before it, as its destination
 * tells it (a btrfs disk: `btrfs send --no-data`; stream files: the point's
 * own incremental stream, opened with the recovery key typed), with no
 * configuration: the restore browser's "What changed" after a reinstall.
 */
export async function foundChangesSince(paths: Paths, request: { from: string; snapshot: string; source?: string; recoveryKey?: string }, mounts: MountSet): Promise<PointChanges> {
  const found = await lookUpFound(paths, request.from);
  const { folder, sourcePath } = chosenFolder(found, request.source);
  const [destination] = configForFound(found, [sourcePath]).destinations;
  const opened = await openDestination(destination, found.host, mounts, paths.stateDir);
  return withFoundKey(paths.runtimeDir, { recoveryKey: request.recoveryKey }, (keyFile) => opened.changesSince(folder.dirName, request.snapshot, keyFile)).finally(() => opened.close());
}
