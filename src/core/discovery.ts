import type { Config, Destination } from './config';
import { SNAPSHOT_DIR } from './ids';
import { parseSnapshotName } from './snapshot-name';
import { checkSshHost, checkSshPort, checkSshUser, normalizeSshHost } from './ssh';

/**
 * Backups found with no configuration (D-Bus DiscoverBackups, `rewind-helper
 * discover`): after a reinstall, every Rewind backup on a connected disk, one
 * entry per disk, folder and computer. The helper reads what is there
 * (src/helper/recovery/discover.ts); the shaping into entries, their order,
 * their names and the configuration that points at one is decided here.
 *
 * Everything in a raw find comes from a disk anyone may have handled: the
 * computer's and the folders' names are checked, and only names that are
 * snapshot names count as restore points.
 */

/** The disk a find is on, as people know it. */
export interface FoundDisk {
  /** Filesystem UUID (blkid's), how a configuration names the disk. */
  uuid: string;
  /** Its label, else its model, else "Backup disk". */
  name: string;
  sizeBytes: number;
  removable: boolean;
  /** Set for a server (discover --host): where it is, checked, to connect to it again for a restore. */
  server?: FoundServer;
}

/** A server looked at with discover --host: the SSH address this computer's (read-only accepted) key reaches. */
export interface FoundServer {
  host: string;
  port: number;
  user: string;
}

/** Why `server` is not an address to connect to, or undefined when it is one. */
export function checkFoundServer(server: FoundServer): string | undefined {
  return checkSshHost(server.host) ?? checkSshPort(server.port) ?? checkSshUser(server.user);
}

/** Backups received on a btrfs disk, backup files, or the snapshots an old system disk kept (not backups: nothing goes on from them). */
export type FoundKind = 'btrfs' | 'files' | 'snapshots';

/** One subvolume folder of one computer on a disk, as the helper read it. */
export interface RawFind {
  disk: FoundDisk;
  /**
   * btrfs: received subvolumes; files: stream files and their manifest;
   * snapshots: the snapshots Rewind kept on a computer's own system disk
   * (`.rewind`, ./old-snapshots.ts), found on an old one after a reinstall.
   */
  kind: FoundKind;
  /** The folder below the disk's top that holds the computers' folders ("rewind", or "" for the top). */
  path: string;
  host: string;
  dirName: string;
  /** Names of complete backups in the folder. */
  names: string[];
  /** Bytes the folder's backups take, when known (stream files: their parts). */
  bytes?: number;
  /** btrfs: the space used on the whole disk (a backup's own size needs quotas, which Rewind never turns on). */
  diskUsedBytes?: number;
  encrypted?: boolean;
}

/** What was backed up from one folder of that computer. */
export interface FoundFolder {
  dirName: string;
  /** The folder on the computer, as people call it ("/home"). */
  folder: string;
  /** Restore points, oldest first. */
  points: string[];
  bytes?: number;
  encrypted: boolean;
}

/** Every backup of one computer in one place: what the recovery lists, one row each. */
export interface FoundBackups {
  /** Stable for this disk, folder and computer: "found-" and 16 hex digits. */
  id: string;
  kind: FoundKind;
  disk: FoundDisk;
  path: string;
  /**
   * The computer's name, as its backups are filed; for snapshots on an old
   * system disk, the name that system gave itself, or "" when it is unknown
   * (an earlier installation).
   */
  host: string;
  /** Home first, then by folder. */
  folders: FoundFolder[];
  /** Times of the oldest and newest restore point of any folder (ISO). */
  oldest: string;
  newest: string;
  /** Sum of the folders' bytes, when every one is known. */
  bytes?: number;
  /** Space used on the disk, for a btrfs disk. */
  diskUsedBytes?: number;
  encrypted: boolean;
}

export interface Discovery {
  found: FoundBackups[];
  /** How many disks were looked at. */
  disksSearched: number;
  /** How many servers were looked at (discover --host): the backups this computer's key may read there. */
  serversSearched?: number;
  /** Disks that could not be read, in words (the disk's name and why). */
  problems: string[];
}

/** What DiscoverServerBackups answers: as DiscoverBackups, or why the server let this computer read nothing. */
export interface ServerDiscovery extends Discovery {
  /**
   * The server refused this computer's key: the key, and the command its
   * administrator runs (ROOT and COMPUTER to fill in) to let it read a lost
   * computer's backups there (accept-key --read-only).
   */
  keyNotAccepted?: { publicKey: string; acceptKeyCommand: string };
}

/** Whether a found entry is on a server (discover --host) rather than a disk. */
export function isOnServer(found: FoundBackups): boolean {
  return found.disk.server !== undefined || found.disk.uuid.startsWith(SERVER_PLACE);
}

/** How a server's finds are filed where a disk's UUID files a disk's: "ssh:USER@HOST:PORT". */
export const SERVER_PLACE = 'ssh:';

const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FOUND_ID = /^found-[0-9a-f]{16}$/;

export function isFoundId(id: string): boolean {
  return FOUND_ID.test(id);
}

/** FNV-1a, 64 bits: a short stable name for a place; not a secret, only distinct. */
function hash64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

export function foundId(kind: string, diskUuid: string, path: string, host: string): string {
  return `found-${hash64(JSON.stringify([kind, diskUuid, path, host]))}`;
}

/** The folder a subvolume folder name stands for on Fedora and Ubuntu layouts; others by their own name. */
export function folderOfDirName(dirName: string): string {
  const subvolume = decodeDirName(dirName);
  if (subvolume === 'home' || subvolume === '@home') return '/home';
  if (subvolume === 'root' || subvolume === '@') return '/';
  return `/${subvolume.replace(/^@/, '')}`;
}

function decodeDirName(dirName: string): string {
  return dirName.replace(/%2F/gi, '/').replace(/%25/g, '%');
}

function byTime(a: string, b: string): number {
  return (parseSnapshotName(a)?.getTime() ?? 0) - (parseSnapshotName(b)?.getTime() ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
}

function homeFirst(a: FoundFolder, b: FoundFolder): number {
  return Number(b.folder === '/home') - Number(a.folder === '/home') || (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0);
}

/**
 * The entries, from what the helper read: grouped by disk, folder and
 * computer; folders without a restore point and computers with a name that
 * is not a host name left out; the newest backups first.
 */
export function shapeDiscovery(finds: readonly RawFind[]): FoundBackups[] {
  const groups = new Map<string, { first: RawFind; folders: FoundFolder[] }>();
  for (const find of finds) {
    // An old system disk's snapshots may not say whose they are.
    const knownHost = HOST.test(find.host) || (find.kind === 'snapshots' && find.host === '');
    if (!knownHost || find.dirName === '' || find.dirName.includes('/')) continue;
    const points = [...new Set(find.names.filter((n) => parseSnapshotName(n) !== undefined))].sort(byTime);
    if (points.length === 0) continue;
    const id = foundId(find.kind, find.disk.uuid, find.path, find.host);
    const group = groups.get(id) ?? { first: find, folders: [] };
    groups.set(id, group);
    group.folders.push({
      dirName: find.dirName,
      folder: folderOfDirName(find.dirName),
      points,
      ...(find.bytes !== undefined ? { bytes: find.bytes } : {}),
      encrypted: find.encrypted === true,
    });
  }
  const found: FoundBackups[] = [];
  for (const [id, { first, folders }] of groups) {
    folders.sort(homeFirst);
    const all = folders.flatMap((f) => f.points).sort(byTime);
    const sizes = folders.map((f) => f.bytes);
    found.push({
      id,
      kind: first.kind,
      disk: first.disk,
      path: first.path,
      host: first.host,
      folders,
      oldest: parseSnapshotName(all[0])!.toISOString(),
      newest: parseSnapshotName(all[all.length - 1])!.toISOString(),
      ...(sizes.every((s) => s !== undefined) ? { bytes: sizes.reduce((a, b) => a + b, 0) } : {}),
      ...(first.diskUsedBytes !== undefined ? { diskUsedBytes: first.diskUsedBytes } : {}),
      encrypted: folders.some((f) => f.encrypted),
    });
  }
  return found.sort((a, b) => b.newest.localeCompare(a.newest) || a.host.localeCompare(b.host) || a.id.localeCompare(b.id));
}

/** The folder of a found entry that holds `folder` ("/home" by default), if it has one. */
export function foundFolder(found: FoundBackups, dirName?: string): FoundFolder | undefined {
  return dirName === undefined ? found.folders.find((f) => f.folder === '/home') ?? found.folders[0] : found.folders.find((f) => f.dirName === dirName);
}

/**
 * The server's backup folder in a server find's destination. The client never
 * sends it (the key line on the server fixes ROOT, docs/serve-protocol.md) and
 * the server never tells it; the schema needs an absolute folder only to print
 * a key line, which is never printed for a find: "/" is valid and claims no
 * folder that might not be the server's.
 */
export const UNKNOWN_SERVER_FOLDER = '/';

/** The destination that reads a found entry, as setup would have written it (its id is the entry's). */
export function foundDestination(found: FoundBackups): Destination {
  const server = found.disk.server;
  if (server) {
    const problem = checkFoundServer(server);
    if (problem) throw new Error(`The server of these backups is not an address: ${problem}`);
    const common = { id: found.id, kind: 'ssh' as const, host: normalizeSshHost(server.host), port: server.port, user: server.user, path: UNKNOWN_SERVER_FOLDER, label: found.disk.name, enabled: true, compression: 'auto' as const };
    if (found.kind === 'btrfs') return { ...common, store: 'btrfs' };
    return { ...common, store: 'files', encrypt: found.encrypted, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 };
  }
  const common = { id: found.id, filesystem: found.disk.uuid, path: found.path, label: found.disk.name, enabled: true };
  // Snapshots on an old system disk are read where they are, in its snapshots' folder, with no computer's folder (src/helper/destinations/btrfs-destination.ts).
  if (found.kind === 'snapshots') return { ...common, kind: 'btrfs', path: SNAPSHOT_DIR };
  if (found.kind === 'btrfs') return { ...common, kind: 'btrfs' };
  return { ...common, kind: 'files', encrypt: found.encrypted, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 };
}

/** Whether a found entry's restore points are read where they are (a btrfs disk the helper mounts), not fetched first. */
export function foundReadInPlace(found: FoundBackups): boolean {
  return foundDestination(found).kind === 'btrfs';
}

/**
 * A configuration that reads one found entry: its disk as the only
 * destination, filed under the computer's name, backing up `sources`.
 * Restores of a found entry use it in memory; "Keep backing up to this disk"
 * saves it, so that the next backup goes on in the same folder, from the
 * backups that are there.
 */
export function configForFound(found: FoundBackups, sources: readonly string[] = ['/home']): Config {
  return {
    version: 1,
    hostName: found.host,
    sources: sources.map((path) => ({ path })),
    destinations: [foundDestination(found)],
    schedule: { kind: 'hourly' },
    conditions: { postponeOnBattery: false, postponeOnMetered: true },
  };
}
