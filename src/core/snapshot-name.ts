/**
 * Snapshot and backup names: the UTC creation time as YYYYMMDDTHHMMSSZ, which
 * sorts in time order and is valid on every filesystem. Names are labels for
 * people; Rewind never relies on them to pair snapshots (see ./parent).
 */
const PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:_(\d+))?$/;

export function snapshotName(when: Date, taken: ReadonlySet<string> = new Set()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const base =
    `${when.getUTCFullYear()}${pad(when.getUTCMonth() + 1)}${pad(when.getUTCDate())}` +
    `T${pad(when.getUTCHours())}${pad(when.getUTCMinutes())}${pad(when.getUTCSeconds())}Z`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The time a name encodes, or undefined when the name is not one of ours. */
export function parseSnapshotName(name: string): Date | undefined {
  const m = PATTERN.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject names like 20260231T... that Date would silently roll over.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return date;
}

/**
 * A subvolume's path below the top level, made into one path component:
 * "home" stays "home", "var/lib/x" becomes "var%2Flib%2Fx". Reversible, so two
 * different subvolumes never share a snapshot directory.
 */
export function subvolumeDirName(subvolumePath: string): string {
  return subvolumePath.replace(/%/g, '%25').replace(/\//g, '%2F');
}
