import type { FoundBackups, FoundDisk, RawFind } from './discovery';
import { RewindError } from './errors';
import { SNAPSHOT_DIR } from './ids';
import { parseSnapshotName } from './snapshot-name';

/**
 * Rewind's own snapshots on a btrfs disk that is not this system's: after a
 * reinstall onto a new disk, the old system disk (still inside, or plugged
 * in by USB) keeps the snapshots each run took of each backed-up subvolume,
 * `.rewind/<subvolume>/<time>` at its top level (design.md, "How a backup
 * runs"). They are restore points too, often newer than the last backup.
 *
 * The disk is someone's, not ours: only what the filesystem lists as
 * subvolumes counts (a link or a plain folder named like a snapshot is none),
 * only read-only ones (what a run made; a writable subvolume under a
 * snapshot's name is not a point in time), only names that are snapshot
 * names, in a subvolume folder of one plain name.
 */

/** Subvolume folder names as a run writes them (src/core/snapshot-name.ts: "home", "@home", "var%2Flog"). */
const DIR_NAME = /^[A-Za-z0-9@%][A-Za-z0-9@%._-]{0,200}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** What is read of the old system's /etc/hostname: a host name is at most 64 characters. */
export const HOST_NAME_MAX_BYTES = 256;

/** The subvolumes that hold an installation's / (Fedora's "root", Ubuntu's "@", or the top level itself), in the order they are tried. */
export const ROOT_SUBVOLUMES = ['root', '@', ''];

/** The snapshots below `.rewind` of a filesystem's subvolume list, one find per subvolume folder, filed under `host` ("" when unknown). */
export function snapshotFinds(disk: FoundDisk, subvolumes: ReadonlyArray<{ path: string; readOnly: boolean }>, host: string): RawFind[] {
  const groups = new Map<string, RawFind>();
  for (const s of subvolumes) {
    const parts = s.path.split('/');
    if (parts.length !== 3 || parts[0] !== SNAPSHOT_DIR || !s.readOnly) continue;
    const [, dirName, name] = parts;
    if (!DIR_NAME.test(dirName) || !parseSnapshotName(name)) continue;
    const find = groups.get(dirName) ?? { disk, kind: 'snapshots', path: SNAPSHOT_DIR, host, dirName, names: [] };
    find.names.push(name);
    groups.set(dirName, find);
  }
  return [...groups.values()];
}

/** The computer's name from the text of an old system's /etc/hostname: its first line, when that is a host name; "" otherwise. */
export function hostNameFrom(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0].trim();
  return HOST.test(line) ? line : '';
}

/**
 * "Keep backing up" to an old system disk's snapshots is refused: they are
 * no backups (a backup went elsewhere), and the disk is someone's system,
 * which Rewind only reads.
 */
export function refuseKeepingOldSnapshots(found: FoundBackups): void {
  if (found.kind !== 'snapshots') return;
  throw new RewindError(
    'InvalidArgs',
    'These are snapshots that an earlier installation kept on its own disk, not backups: Rewind only reads that disk and cannot keep backing up to it. Nothing was saved.',
    { advice: 'Bring back what you need from them, then set up backups to a backup disk or a server.' },
  );
}

/**
 * The folders /etc/fstab mounts: a filesystem mounted at one of them is
 * this system's own (a data disk, a second home), whose snapshots are no
 * old computer's. fstab escapes a space as \040.
 */
export function fstabTargets(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/)[1])
    .filter((target): target is string => target !== undefined && target.startsWith('/'))
    .map((target) => target.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}
