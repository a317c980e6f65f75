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
  /** Why it cannot be backed up, for a folder that is not a subvolume (the helper's sentence, for logs and the CLI). */
  why?: string;
  /** The same as a code the app puts in words. */
  problem?: FolderProblem;
  /** True for a subvolume the helper found (mounted, or inside one it lists), false for a folder the caller asked about. */
  found: boolean;
  /**
   * For a subvolume inside another listed folder: that folder. A snapshot of
   * that folder leaves this one out (a systemd-homed home, a container store,
   * a folder Rewind keeps apart), so it is backed up only when chosen too.
   */
  nestedIn?: string;
  /** The user whose home folder this is: `/home/NAME` or systemd-homed's `/home/NAME.homedir`. */
  owner?: FolderOwner;
  /**
   * For a folder on btrfs that is not a subvolume of its own: the folder of
   * the subvolume that holds it (a snapshot copies that whole subvolume).
   */
  holder?: string;
  /**
   * What else `holder` holds besides this folder: the folders beside it and
   * beside each folder on the way down, which would have to be kept apart
   * for this folder to be backed up without them (none: backing up `holder`
   * backs up this folder and the files beside it, `filesBeside`). At most
   * MAX_OTHERS, then `othersMore`.
   */
  others?: string[];
  othersMore?: number;
  /**
   * Files (anything but a folder) beside this folder and beside each folder
   * on the way down from `holder`: they cannot be kept apart, so backing up
   * `holder` backs them up too.
   */
  filesBeside?: number;
  /** A subvolume Rewind made by keeping the folder apart (the helper's record, by path and UUID); only such a one is joined again. */
  keptApartByRewind?: boolean;
}

export type FolderProblem = 'missing' | 'not-btrfs' | 'top-level' | 'not-subvolume';

export interface FolderOwner {
  user: string;
  /** The full name from the user database, when it has one. */
  realName?: string;
}

/** How many of a holder's other entries ListSubvolumes names. */
export const MAX_OTHERS = 20;

/** ListSubvolumes' request: folders to measure besides the mounted subvolumes. */
export interface SubvolumeRequest {
  paths: string[];
}
