/**
 * Paths of the document portal. In a Flatpak a folder chosen in the file
 * chooser comes back under the portal's FUSE mount
 * (`/run/user/UID/doc/ID/NAME`, or `…/doc/by-app/APP/ID/NAME` seen from the
 * host), where NAME is the exported folder's own name. The host helper runs
 * outside the sandbox, as root, and cannot use that path: the app asks the
 * portal for the document's host path and puts back what followed NAME.
 *
 * Rules:
 * - A path not under the mount point is the host's already and is kept.
 * - Under it, the first component is the document id (after `by-app/APP/`
 *   when there), the second is the document's name; a path that stops at the
 *   id, or holds `.`, `..` or an empty component, names no folder.
 * - The host path is the document's host path, then the components after
 *   its name.
 */

export interface DocumentPath {
  id: string;
  /** The components after the document's name (none for the folder itself). */
  rest: string[];
}

const ID = new RegExp('^[A-Za-z0-9_-]+$');

function components(text: string): string[] | null {
  const parts = text.split('/');
  return parts.every((p) => p !== '' && p !== '.' && p !== '..') ? parts : null;
}

/** Strips trailing slashes (but not the root's). */
function trimmed(path: string): string {
  return path.length > 1 ? path.replace(new RegExp('/+$'), '') : path;
}

/**
 * `'kept'` for a path outside the mount point, the document and what follows
 * its name for one inside, `'unusable'` for one inside that names no folder.
 */
export function documentPath(path: string, mountPoint: string): DocumentPath | 'kept' | 'unusable' {
  const mount = trimmed(mountPoint);
  const full = trimmed(path);
  if (mount === '' || mount === '/' || !full.startsWith(`${mount}/`)) return full === mount ? 'unusable' : 'kept';
  let parts = components(full.slice(mount.length + 1));
  if (!parts) return 'unusable';
  if (parts[0] === 'by-app') parts = parts.slice(2);
  const [id, name, ...rest] = parts;
  if (id === undefined || name === undefined || !ID.test(id)) return 'unusable';
  return { id, rest };
}

/**
 * The host path of `doc`, given the portal's host path of its document
 * (absolute, as the portal answers it); null when that is not an absolute path.
 */
export function hostPathOf(doc: DocumentPath, documentHostPath: string): string | null {
  const base = trimmed(documentHostPath);
  if (!base.startsWith('/') || (base !== '/' && !components(base.slice(1)))) return null;
  return doc.rest.length === 0 ? base : `${base === '/' ? '' : base}/${doc.rest.join('/')}`;
}
