/**
 * Where the restore browser opens in a point of `source`: at the person's own
 * home folder when the source holds it ("/home" holds "/home/alice": the
 * browser opens at "alice"), so nobody starts in everyone's homes. The top
 * for root (an administrator looking at everything), for a source that does
 * not hold the home, and when either path is not known. Paths are relative
 * to the source, as ListFolder takes them.
 */
export function startFolder(source: string | undefined, home: string | undefined, isRoot: boolean): string {
  if (isRoot || !source || !home) return '';
  const clean = (p: string) => p.replace(/\/+$/, '') || '/';
  const s = clean(source);
  const h = clean(home);
  if (h === s) return '';
  const prefix = s === '/' ? '/' : `${s}/`;
  if (!h.startsWith(prefix)) return '';
  const inside = h.slice(prefix.length);
  // A home named with ".." or empty parts is not one to trust as a path.
  return inside.split('/').some((part) => part === '' || part === '.' || part === '..') ? '' : inside;
}
