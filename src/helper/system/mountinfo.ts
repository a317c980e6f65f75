import { readFile, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';

/**
 * The mount table, read from /proc/self/mountinfo rather than from findmnt:
 * a backup run consults it twice and a process costs more than the read.
 */
export interface MountEntry {
  /** Where it is mounted. */
  target: string;
  /** The folder of the filesystem that is mounted there ("/home" for a subvolume mount). */
  root: string;
  fstype: string;
  /** The device ("/dev/vda3"), or what the filesystem calls its source. */
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses mountinfo (proc(5)): "id parent major:minor root target options [optional…] - fstype source super". */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    entries.push({ root: unescape(fields[3]), target: unescape(fields[4]), fstype: fields[dash + 1], source: unescape(fields[dash + 2]) });
  }
  return entries;
}

export async function readMountTable(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

function contains(target: string, file: string): boolean {
  return target === '/' || file === target || file.startsWith(`${target}/`);
}

/**
 * The mount that holds `dir` (after resolving symbolic links): the last
 * mounted of the longest mount points that contain it, since a later mount
 * on the same folder hides the earlier one.
 */
export async function mountOf(dir: string): Promise<MountEntry> {
  const file = await realpath(dir);
  let best: MountEntry | undefined;
  for (const entry of await readMountTable()) {
    if (contains(entry.target, file) && (!best || entry.target.length >= best.target.length)) best = entry;
  }
  if (!best) throw new RewindError('SourceMissing', `Could not find the disk that holds ${dir}.`);
  return best;
}

/**
 * The filesystem UUID of a mounted btrfs filesystem on `device`, from sysfs
 * (/sys/fs/btrfs/<uuid>/devices/<kernel name>), without running blkid.
 * Undefined when sysfs does not tell.
 */
export async function mountedBtrfsUuid(device: string): Promise<string | undefined> {
  const kernelName = path.basename(await realpath(device).catch(() => device));
  const uuids = await readdir('/sys/fs/btrfs').catch(() => [] as string[]);
  for (const uuid of uuids) {
    if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
    const devices = await readdir(`/sys/fs/btrfs/${uuid}/devices`).catch(() => [] as string[]);
    if (devices.includes(kernelName)) return uuid;
  }
  return undefined;
}
