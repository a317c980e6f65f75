import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

/**
 * What the versions window asks this computer about a path, as the person:
 * where its folders really are, and whether it is in a folder that the
 * backups of the folder around it leave out.
 */

const MAX_LINKS = 40;

function symlinkTarget(path: string): string | null {
  try {
    const info = Gio.File.new_for_path(path).query_info('standard::is-symlink,standard::symlink-target', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    return info.get_is_symlink() ? info.get_symlink_target() : null;
  } catch {
    // Not there (any more): taken by its name.
    return null;
  }
}

/**
 * An absolute path with the symbolic links among its folders resolved, as
 * the kernel would follow them (`~/Docs/plan.txt`, Docs a link to
 * Documents, is `~/Documents/plan.txt`; a /home that links to /var/home is
 * /var/home), so it is found in the backed-up folder that really holds it.
 * The last name is kept as it is: a link's own versions are those of the
 * link. What is not there is taken by name, as the rest of the path.
 */
export function resolveFolderLinks(path: string): string {
  const names = path.split('/').filter((n) => n !== '');
  const last = names.pop();
  if (last === undefined) return '/';
  let resolved = '/';
  let links = 0;
  while (names.length > 0) {
    const name = names.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      resolved = GLib.path_get_dirname(resolved);
      continue;
    }
    const next = GLib.build_filenamev([resolved, name]);
    const target = links < MAX_LINKS ? symlinkTarget(next) : null;
    if (target === null) {
      resolved = next;
      continue;
    }
    links++;
    if (target.startsWith('/')) resolved = '/';
    names.unshift(...target.split('/').filter((n) => n !== ''));
  }
  return GLib.build_filenamev([resolved, last]);
}

function deviceOf(path: string): number | undefined {
  try {
    return Gio.File.new_for_path(path).query_info('unix::device', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null).get_attribute_uint32('unix::device');
  } catch {
    return undefined;
  }
}

/**
 * The folder between the backed-up folder `source` and the path
 * (`relative` inside it) that is left out of its backups, if any: one that
 * is a subvolume of its own (a folder set apart, which every snapshot
 * around it leaves out) or another disk mounted there. Both show as a
 * device of their own. Undefined when the path is in the backed-up folder
 * itself, or is not there now to tell.
 */
export function leftOutFolder(source: string, relative: string): string | undefined {
  const top = deviceOf(source);
  if (top === undefined) return undefined;
  let at = source;
  for (const name of relative.split('/').filter((n) => n !== '')) {
    at = GLib.build_filenamev([at, name]);
    const device = deviceOf(at);
    if (device === undefined) return undefined;
    if (device !== top) return at;
  }
  return undefined;
}
