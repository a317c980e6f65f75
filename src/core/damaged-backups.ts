/**
 * Backups a restore drill found damaged (docs/drills.md), as the helper
 * keeps them in its own state (<state>/damaged-backups.json, written by
 * root, never on the destination, whose contents are not to be trusted):
 * the parent choice never builds on them (./parent, rule 7), retention and
 * making room keep them until a full backup has landed after them, and a
 * run does not reuse the snapshot one was made from.
 */
export interface DamagedBackup {
  /** The destination's id. */
  destination: string;
  /** The folder of its source subvolume there ("home"). */
  folder: string;
  /** Its name there. */
  backup: string;
  /** Its own UUID there: a received subvolume's UUID, or a stream's (the UUID its receive gives). */
  uuid: string;
  /** The UUID of the snapshot on this computer it holds, when known (the pairing the drill compared by). */
  snapshotUuid?: string;
  /** When the drill found it, and which drill. */
  found: string;
  drill: string;
}

/** The marks of one destination's backups, by their UUID there. */
export function damagedAt(marks: readonly DamagedBackup[], destination: string): Set<string> {
  return new Set(marks.filter((m) => m.destination === destination).map((m) => m.uuid));
}

/** The UUIDs of this computer's snapshots whose backup somewhere is damaged: a run takes a new snapshot rather than send one of these again. */
export function damagedSnapshots(marks: readonly DamagedBackup[]): Set<string> {
  return new Set(marks.flatMap((m) => (m.snapshotUuid === undefined ? [] : [m.snapshotUuid])));
}

/** `marks` with `added`, one per destination and UUID, the newest `keep`. */
export function withMarks(marks: readonly DamagedBackup[], added: readonly DamagedBackup[], keep: number): DamagedBackup[] {
  const key = (m: DamagedBackup) => `${m.destination}\0${m.uuid}`;
  const fresh = new Set(added.map(key));
  return [...marks.filter((m) => !fresh.has(key(m))), ...added].slice(-keep);
}
