import type { PostponeReason } from '../conditions';
import type { Config } from '../config';
import type { ErrorReport } from '../status';

/**
 * Answers of the helper's methods that have no home of their own in core
 * (the others are in ../status, ../ssh, ../subvolume-size, ../restore-request
 * and ../browse-request). The helper builds them, the app reads them.
 */

/** What Rewind can do with a disk (ListDisks). */
export type DiskUse =
  /** A btrfs filesystem: backups go there directly. */
  | 'btrfs'
  /** Another filesystem Rewind can write stream files to. */
  | 'files'
  /** Nothing on it: it can be prepared as btrfs. */
  | 'empty'
  /** Holds this system (/, /home, /boot …) or swap: never offered. */
  | 'system'
  /** Holds a folder being backed up: a backup on the same disk is lost with it. */
  | 'source'
  /** Something Rewind does not use (encrypted, partitioned, unknown). */
  | 'other';

/** Why a disk of ListDisks is not offered. */
export type DiskReason = 'system' | 'source' | 'partitions' | 'partition-table' | 'unsupported' | 'in-use';

/** One disk of ListDisks (src/helper/system/disks.ts). */
export interface DiskInfo {
  path: string;
  /** What people call it: the label, else the model, else the device name. */
  name: string;
  sizeBytes: number;
  type: string;
  fstype?: string;
  uuid?: string;
  label?: string;
  removable: boolean;
  mountpoints: string[];
  use: DiskUse;
  /** Its model as the disk reports it ("SanDisk Ultra"), when it has one. */
  model?: string;
  /** Why it is not usable, for 'system', 'other' and 'source': the helper's sentence, for the CLI. */
  why?: string;
  /** The same as a code the app puts in words. */
  reason?: DiskReason;
}

/** PrepareDisk's answer: the new filesystem's UUID. */
export interface PrepareDiskResult {
  uuid: string;
}

/** A destination's encryption key, as the recovery key (AGE-SECRET-KEY-1…) the person keeps. */
export interface NewKey {
  destination: string;
  recoveryKey: string;
}

/**
 * SetConfig's answer: the saved configuration (defaults filled in), what
 * became of the timer, and the recovery key of each destination it added
 * that encrypts (src/helper/config/destination-keys.ts), to show once.
 */
export interface SetConfigResult {
  config: Config;
  timer: string;
  newKeys?: NewKey[];
}

/** ListRestorePoints: every restore point Rewind knows of, local snapshots and each destination's backups. */
export interface Inventory {
  sources: Array<{
    source: string;
    snapshots: Array<{ name: string; uuid: string }>;
    destinations: Array<{
      destination: string;
      connected: boolean;
      backups: Array<{ name: string; uuid: string; receivedUuid?: string; complete: boolean }>;
    }>;
  }>;
  problems: Array<{ source: string; error: ErrorReport }>;
}

/**
 * StartScheduledBackup: the job started, as BackUpNow's, or why the run was
 * postponed instead (recorded in the history, and run once that ends).
 */
export type ScheduledStart = { job: string } | { postponed: PostponeReason };
