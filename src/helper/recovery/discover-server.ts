import { Writable } from 'node:stream';
import { SERVER_PLACE, shapeDiscovery, type Discovery, type FoundDisk, type RawFind, type ServerDiscovery } from '../../core/discovery';
import { RewindError } from '../../core/errors';
import { DEFAULT_HELPER_PATH, checkSubvolumeDir, type HelloResponse } from '../../core/serve-protocol';
import { readOnlyAcceptKeyCommand } from '../../core/server-setup';
import { MANIFEST_FILE } from '../../core/stream-manifest';
import { SshConnection, type SshTarget } from '../destinations/ssh/connection';
import { ensureIdentity, type SshPaths } from '../destinations/ssh/identity';
import { MAX_TEXT_FILE } from '../destinations/stream-files/folder-store';
import { manifestFind } from './discover';
import { rememberServerFinds } from './found-point';

/**
 * The backups one server keeps for the computer this computer's key may
 * reach there (`discover --host H --user U`): after a reinstall, the key is
 * new, and the server's administrator accepted it read-only for the lost
 * computer's folder (accept-key --read-only, docs/backup-server.md). Only
 * listing and reading requests are sent (hello, folders, list, file-list,
 * file-get of the manifest), over the pinned host key as every connection.
 *
 * Everything the server answers is untrusted: the computer's name and the
 * folders' are checked (here and in core/discovery), lists are bounded, a
 * manifest is read only up to the size a manifest may have and checked like
 * one from a disk.
 */

/** How many backup folders, and backups in one, are looked at. */
const MAX_ENTRIES = 200;

/** The place a server's finds are filed under: its address, as a disk's UUID files a disk's. */
export function serverPlace(target: SshTarget): string {
  return `${SERVER_PLACE}${target.user}@${target.host}:${target.port}`;
}

function serverDisk(target: SshTarget, hello: HelloResponse): FoundDisk {
  const total = hello.totalBytes;
  return {
    uuid: serverPlace(target),
    name: target.host,
    sizeBytes: typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : 0,
    removable: false,
    // Where to connect again to restore from it (core/discovery foundDestination); checked before it came here (parseProbeRequest).
    server: { host: target.host, port: target.port, user: target.user },
  };
}

/** Received backups' own sizes are unknown (as on a disk): the space used on the server's backup disk stands for them. */
function usedOnServer(hello: HelloResponse): { diskUsedBytes?: number } {
  const { totalBytes, freeBytes } = hello;
  const valid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  return valid(totalBytes) && valid(freeBytes) && freeBytes <= totalBytes ? { diskUsedBytes: totalBytes - freeBytes } : {};
}

function acceptCommand(target: SshTarget, publicKey: string): string {
  return readOnlyAcceptKeyCommand({ publicKey, helperPath: DEFAULT_HELPER_PATH, user: target.user });
}

/** A key the server does not accept yet: the error says the command that lets it read. */
function notAccepted(error: RewindError, target: SshTarget, publicKey: string): RewindError {
  const command = acceptCommand(target, publicKey);
  return new RewindError('KeyNotAccepted', error.detail, {
    advice: `An administrator of the server can let this computer read a lost computer's backups there with: ${command} (ROOT: the server's backup folder; COMPUTER: the lost computer's name, the folder of its backups there). Then look again.`,
  });
}

async function readManifest(connection: SshConnection, dirName: string): Promise<string | undefined> {
  const files = await connection.call((c) => c.fileList(dirName));
  const entry = Array.isArray(files) ? files.find((f) => f?.name === MANIFEST_FILE) : undefined;
  if (!entry) return undefined;
  if (typeof entry.size !== 'number' || entry.size > MAX_TEXT_FILE) throw new Error(`its size (${String(entry.size)}) is not that of a list of backups`);
  const chunks: Buffer[] = [];
  let bytes = 0;
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      bytes += chunk.length;
      if (bytes > MAX_TEXT_FILE) return done(new Error('the server sent more than a list of backups may hold'));
      chunks.push(chunk);
      done();
    },
  });
  await connection.call((c) => c.fileGet({ subvolume: dirName, file: MANIFEST_FILE, sink }));
  if (sink.errored) throw sink.errored;
  return Buffer.concat(chunks).toString('utf8');
}

async function findsOf(connection: SshConnection, disk: FoundDisk, problems: string[]): Promise<RawFind[]> {
  const hello = connection.hello;
  const host = typeof hello.host === 'string' ? hello.host : '';
  const folders = await connection.call((c) => c.folders());
  const finds: RawFind[] = [];
  for (const dirName of (Array.isArray(folders) ? folders : []).slice(0, MAX_ENTRIES)) {
    if (typeof dirName !== 'string' || checkSubvolumeDir(dirName) !== undefined) continue;
    if (hello.btrfs === true) {
      const backups = await connection.call((c) => c.list(dirName));
      const names = (Array.isArray(backups) ? backups : [])
        .filter((b) => b?.complete === true && typeof b.name === 'string')
        .map((b) => b.name)
        .slice(-MAX_ENTRIES);
      if (names.length > 0) finds.push({ disk, kind: 'btrfs', path: '', host, dirName, names, ...usedOnServer(hello) });
    }
    let text: string | undefined;
    try {
      text = await readManifest(connection, dirName);
    } catch (error) {
      if (error instanceof RewindError) throw error;
      problems.push(`The list of backups of ${host} (${dirName}) on ${disk.name} could not be read: ${(error as Error).message}.`);
      continue;
    }
    if (text === undefined) continue;
    const find = manifestFind(disk, '', host, dirName, text, problems);
    if (find) finds.push(find);
  }
  return finds;
}

/**
 * Looks at one server. The host key must have been confirmed (ssh-probe,
 * ssh-trust) and this computer's key accepted there; this computer's key is
 * made first if there is none, so that the refusal can show it.
 */
export async function discoverOnServer(paths: SshPaths, target: SshTarget, thisComputer: string): Promise<Discovery> {
  const publicKey = await ensureIdentity(paths, `rewind@${thisComputer}`);
  let connection: SshConnection;
  try {
    connection = await SshConnection.open(target, paths);
  } catch (error) {
    if (error instanceof RewindError && error.code === 'KeyNotAccepted') throw notAccepted(error, target, publicKey);
    throw error;
  }
  try {
    const disk = serverDisk(target, connection.hello);
    const problems: string[] = [];
    const finds = await findsOf(connection, disk, problems);
    return { found: shapeDiscovery(finds), disksSearched: 0, serversSearched: 1, problems };
  } finally {
    await connection.close();
  }
}

/**
 * DiscoverServerBackups: as discoverOnServer, but a key the server does not
 * accept is an answer (the key and the command to accept it, for the app to
 * show), not an error.
 */
export async function discoverServerForApp(paths: SshPaths, target: SshTarget, thisComputer: string, runtimeDir: string): Promise<ServerDiscovery> {
  try {
    const discovery = await discoverOnServer(paths, target, thisComputer);
    // RestoreHome, the restore browser and KeepBackingUp name a find by its id only, maybe after this helper exited when idle.
    await rememberServerFinds(runtimeDir, target, discovery);
    return discovery;
  } catch (error) {
    if (!(error instanceof RewindError) || error.code !== 'KeyNotAccepted') throw error;
    const publicKey = await ensureIdentity(paths, `rewind@${thisComputer}`);
    return { found: [], disksSearched: 0, serversSearched: 1, problems: [], keyNotAccepted: { publicKey, acceptKeyCommand: acceptCommand(target, publicKey) } };
  }
}
