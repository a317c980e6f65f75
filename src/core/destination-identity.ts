import type { Destination } from './config';
import { DEFAULT_SSH_PORT, DEFAULT_SSH_USER, normalizeSshHost } from './ssh';

/**
 * Whether a place the user picks for backups is already a destination, so
 * setup and Add Destination mark it and never add it twice. A place is
 * known by what does not change when it is plugged in elsewhere or mounted
 * at another folder:
 * - a disk by its filesystem UUID (a "btrfs" destination, or a "files" one
 *   with "filesystem"; a mounted-folder destination on the disk uses it too);
 * - a server by host, port, user and backup folder;
 * - a folder by the filesystem that holds it and its path there; a folder
 *   on a filesystem the disk list does not know, by its absolute path.
 */
export type Place =
  | { kind: 'disk'; filesystem: string }
  | { kind: 'server'; host: string; port?: number; user?: string; path: string }
  | { kind: 'folder'; path: string };

/** A filesystem and where it is mounted now (ListDisks' entries fit). */
export interface MountedFilesystem {
  uuid?: string;
  mountpoints: readonly string[];
}

/** "/a//b/./c/" → "/a/b/c"; relative paths lose their leading "./" and slashes alike. */
function cleanPath(p: string): string {
  const parts = p.split('/').filter((part) => part !== '' && part !== '.');
  return p.startsWith('/') ? `/${parts.join('/')}` : parts.join('/');
}

function sameUuid(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function isAtOrBelow(folder: string, top: string): boolean {
  return top === '/' || folder === top || folder.startsWith(`${top}/`);
}

/** The filesystem that holds an absolute folder, by the longest mount point above it, and the folder's path there. */
export function folderOnFilesystem(folder: string, mounts: readonly MountedFilesystem[]): { uuid: string; path: string } | undefined {
  const clean = cleanPath(folder);
  let best: { uuid: string; top: string } | undefined;
  for (const m of mounts) {
    if (!m.uuid) continue;
    for (const mountpoint of m.mountpoints.map(cleanPath)) {
      if (isAtOrBelow(clean, mountpoint) && (!best || mountpoint.length > best.top.length)) best = { uuid: m.uuid, top: mountpoint };
    }
  }
  if (!best) return undefined;
  const below = clean === best.top ? '' : clean.slice(best.top === '/' ? 1 : best.top.length + 1);
  return { uuid: best.uuid, path: cleanPath(below) };
}

/** Where a destination keeps its backups: a filesystem and a folder on it, or an absolute folder. */
function whereOnDisk(d: Destination, mounts: readonly MountedFilesystem[]): { uuid?: string; path: string } | undefined {
  if (d.kind === 'ssh') return undefined;
  if (d.filesystem !== undefined) return { uuid: d.filesystem, path: cleanPath(d.path) };
  return folderOnFilesystem(d.path, mounts) ?? { path: cleanPath(d.path) };
}

function sameServer(d: Destination, place: Extract<Place, { kind: 'server' }>): boolean {
  return (
    d.kind === 'ssh' &&
    normalizeSshHost(d.host) === normalizeSshHost(place.host.trim()) &&
    d.port === (place.port ?? DEFAULT_SSH_PORT) &&
    d.user === (place.user?.trim() || DEFAULT_SSH_USER) &&
    cleanPath(d.path) === cleanPath(place.path.trim())
  );
}

/** The configured destination that already is `place`, or undefined. */
export function destinationAt(destinations: readonly Destination[], place: Place, mounts: readonly MountedFilesystem[] = []): Destination | undefined {
  if (place.kind === 'server') return destinations.find((d) => sameServer(d, place));
  if (place.kind === 'disk') return destinations.find((d) => sameUuid(whereOnDisk(d, mounts)?.uuid, place.filesystem));
  const folder = cleanPath(place.path);
  const onDisk = folderOnFilesystem(folder, mounts);
  return destinations.find((d) => {
    if (d.kind === 'files' && d.filesystem === undefined && cleanPath(d.path) === folder) return true;
    const where = whereOnDisk(d, mounts);
    return !!onDisk && !!where && sameUuid(where.uuid, onDisk.uuid) && where.path === onDisk.path;
  });
}

/** The place a destination is, to look it up among others (a destination handed over by the Add Backup Server dialog). */
export function placeOf(d: Destination): Place {
  if (d.kind === 'ssh') return { kind: 'server', host: d.host, port: d.port, user: d.user, path: d.path };
  if (d.kind === 'btrfs') return { kind: 'disk', filesystem: d.filesystem };
  return d.filesystem !== undefined ? { kind: 'disk', filesystem: d.filesystem } : { kind: 'folder', path: d.path };
}
