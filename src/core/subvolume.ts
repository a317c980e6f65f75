/** What Rewind knows of a btrfs subvolume, as `btrfs subvolume list` reports it. */
export interface Subvolume {
  id: number;
  /** Path below the filesystem's top level. */
  path: string;
  uuid: string;
  /** UUID of the subvolume this one is a snapshot of, if any. */
  parentUuid?: string;
  /** UUID of the source snapshot this one was received from, if any. */
  receivedUuid?: string;
  /** Generation at creation; orders snapshots by age even after a rename. */
  createdGeneration: number;
  /**
   * Generation of the last committed change to the subvolume (its root
   * item). Taking a snapshot raises the source's to the snapshot's
   * `createdGeneration`, so a source whose generation, listed after a commit,
   * is not above its newest snapshot's has not changed since (the rule
   * btrbk's `snapshot_create onchange` uses too).
   */
  generation?: number;
  readOnly: boolean;
}
