import { spaceState } from './free-space';
import { byAge } from './make-room';
import { localProtection, type DestinationView } from './prune-plan';
import { parseSnapshotName } from './snapshot-name';
import type { Subvolume } from './subvolume';

/**
 * Which local snapshots go when the disk that holds them runs low on space
 * (a snapshot keeps every file that was deleted since it was taken, on the
 * disk that also holds / and /home). The helper carries it out after
 * retention (src/helper/engine/thin-source.ts).
 *
 * Rules:
 * 1. Low is what it is for a destination (./free-space): less than the
 *    Notifications percentage of the disk free, or less than 100 MiB or
 *    1 %. A disk whose space is not known is never low.
 * 2. Candidates are Rewind's own snapshots (named by a Rewind timestamp) of
 *    every source subvolume on that disk.
 * 3. Never the newest snapshot of a subvolume, nor, for each enabled
 *    destination, the newest snapshot it shares with the source (its next
 *    parent; for one not connected, the one last sent to it by the
 *    history): the same as retention (./prune-plan, rule 3). A subvolume
 *    with a destination away whose last snapshot the history does not know
 *    gives up none, and says why.
 * 4. Oldest first across the subvolumes, by the time in the name, then by
 *    creation order. One at a time: the helper looks at the space again
 *    after each and stops as soon as the disk is no longer low.
 */
export interface ThinningSubvolume {
  /** How people know the source (its folder). */
  label: string;
  /** Rewind's snapshots of it, in its own folder, oldest first. */
  snapshots: readonly Subvolume[];
  /** Every enabled destination, as retention sees it. */
  destinations: readonly DestinationView[];
}

export interface ThinningPlan {
  /** What may go, oldest first; the helper removes from the front while the disk is low. */
  order: Array<{ label: string; snapshot: Subvolume }>;
  /** Subvolumes that give up nothing, and why (rule 3). */
  skipped: Array<{ label: string; reason: string }>;
}

/** Rule 1. */
export function sourceIsLow(freeBytes: number | undefined, sizeBytes: number | undefined, lowPercent: number): boolean {
  const state = spaceState(freeBytes, sizeBytes, lowPercent);
  return state === 'low' || state === 'full';
}

/** Rules 2 to 4. */
export function thinningOrder(subvolumes: readonly ThinningSubvolume[]): ThinningPlan {
  const order: ThinningPlan['order'] = [];
  const skipped: ThinningPlan['skipped'] = [];
  for (const { label, snapshots, destinations } of subvolumes) {
    const own = snapshots.filter((s) => parseSnapshotName(s.path.slice(s.path.lastIndexOf('/') + 1)) !== undefined);
    const protection = localProtection(snapshots, destinations);
    if ('skipped' in protection) {
      if (own.length > 1) skipped.push({ label, reason: protection.skipped });
      continue;
    }
    for (const snapshot of own) if (!protection.reasons.has(snapshot.uuid)) order.push({ label, snapshot });
  }
  order.sort((a, b) => byAge(a.snapshot, b.snapshot));
  return { order, skipped };
}
