/**
 * ListSubvolumes' answer (src/helper/system/subvolume-sizes.ts): folders that could
 * be backed up, with their sizes, for the What page of setup and Preferences.
 */
export interface SubvolumeSize {
  /** The folder as people name it: a mount point such as /home, or a path asked for. */
  path: string;
  /** True when the folder is a btrfs subvolume, so Rewind can back it up. */
  subvolume: boolean;
  /** Filesystem UUID, for a folder on btrfs. */
  fsUuid?: string;
  /**
   * Bytes of its files, when measured within the time limit: quota-group
   * "referenced" bytes, else the files' apparent sizes. Absent: not measured in time.
   */
  sizeBytes?: number;
  /** How: quota groups when quotas are on (instant), else a walk (`du -s -x -b`). */
  measuredBy?: 'qgroup' | 'du';
  /** Why it cannot be backed up, for a folder that is not a subvolume. */
  why?: string;
  /** True for a subvolume the helper found mounted, false for a folder the caller asked about. */
  found: boolean;
}

/** ListSubvolumes' request: folders to measure besides the mounted subvolumes. */
export interface SubvolumeRequest {
  paths: string[];
}
