import { isCompleteBackup } from './parent';
import { parseSnapshotName } from './snapshot-name';
import type { Subvolume } from './subvolume';

/**
 * What to give up when a destination that keeps received backups (a btrfs
 * disk, a server) runs out of space during a backup (stream files have their
 * own rule: src/core/stream-chains.ts, rule 4):
 * 1. Only complete backups of this host are candidates; an incomplete one is
 *    removed before each transfer anyway.
 * 2. The newest complete backup of each folder stays: it is the next
 *    incremental's parent there.
 * 3. `keep` stays too (the parent of the backup being made).
 * 4. Of the rest, the oldest goes first: by the time in its name, then by
 *    creation order on the disk. One at a time; the caller tries again after
 *    each, until the backup fits or nothing more may go.
 */

/** Oldest first: by the time in the name, then by creation order on the disk (./source-thinning orders snapshots so too). */
export function byAge(a: Subvolume, b: Subvolume): number {
  const ta = parseSnapshotName(baseName(a.path))?.getTime() ?? 0;
  const tb = parseSnapshotName(baseName(b.path))?.getTime() ?? 0;
  return ta - tb || a.createdGeneration - b.createdGeneration;
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** The backup to remove next for space, or undefined when none may go. */
export function backupToFreeSpace(folders: Iterable<readonly Subvolume[]>, keep: ReadonlySet<string>): Subvolume | undefined {
  const candidates: Subvolume[] = [];
  for (const backups of folders) {
    const complete = backups.filter(isCompleteBackup).sort(byAge);
    candidates.push(...complete.slice(0, -1).filter((b) => !keep.has(b.uuid)));
  }
  return candidates.sort(byAge)[0];
}
