import type { XattrsLeftOut } from '../../core/xattrs-left-out';
import type { Readable } from 'node:stream';
import type { PruneContext } from '../../core/prune-plan';
import type { Change } from '../../core/send-stream/changes';
import type { Progress, TransferRecord } from '../../core/status';
import type { Subvolume } from '../../core/subvolume';
import type { SourceSnapshot } from '../engine/sources';
import type { SendProtocol } from '../system/send-capabilities';
import type { RestoreWatch } from '../restore/restore-watch';

/**
 * Every destination, whatever keeps its backups: a btrfs disk
 * (./btrfs-destination), a server that receives them (./ssh-destination),
 * stream files on a folder, a disk or a server (./stream-files). The engine,
 * pruning, `clean`, `list` and restores use only this; the kind is looked at
 * once, where a destination is opened (./open-destination). Backups are
 * grouped in folders, one per source subvolume (`dirName`, as
 * subvolumeDirName makes it), below this host's folder.
 */
export interface BackupDestination {
  /** The name people see (the label, else the id). */
  readonly name: string;
  /** Whether it can still be used: a server's connection may have dropped during the run. */
  readonly usable: boolean;
  /** Names in use in a folder, so that a new snapshot takes another. */
  takenNames(dirName: string): Promise<string[]>;
  /** The restore points of a folder, oldest first. */
  points(dirName: string): Promise<PointInfo[]>;
  /**
   * Backs up one snapshot, full or incremental, making room when the
   * destination is full; fills in `job.record` and throws what went wrong.
   */
  backUp(snap: SourceSnapshot, job: BackUpJob): Promise<void>;
  /** Removes what interrupted runs left in every folder; returns `folder/name` of each. */
  clean(): Promise<string[]>;
  /** Retention's view of a folder; undefined when it cannot be read now (then it counts as not connected). */
  retention(dirName: string): Promise<RetentionView | undefined>;
  /**
   * The point as a folder to read: where it is (a disk), or fetched into the
   * folder `scratch` names (asked only then): a new folder on a btrfs
   * filesystem, which the caller removes.
   */
  pointFolder(dirName: string, name: string, scratch: () => Promise<string>, keyFile?: string): Promise<string>;
  /**
   * The point received into `into` (a folder on a btrfs filesystem) as a
   * read-only subvolume that keeps the backup's received UUID; returns its path.
   * `watch` is told how far it is and may stop it (then nothing received is kept).
   */
  restorePoint(dirName: string, name: string, into: string, keyFile?: string, watch?: RestoreWatch): Promise<string>;
  /**
   * What changed in the point `name` since the point before it here, as the
   * destination tells it without fetching either point; no `previous` for a
   * first point.
   */
  changesSince(dirName: string, name: string, keyFile?: string): Promise<PointChanges>;
  /** Ends what opening started (a connection); the destination is unusable afterwards. */
  close(): Promise<void>;
  /**
   * The UUIDs of its backups that a restore drill found damaged (the
   * helper's state, ../drill/damaged-backups): never parents, kept until a
   * full backup has landed after them (src/core/parent.ts, rule 7). Told
   * once, when it is opened.
   */
  knowDamaged(uuids: ReadonlySet<string>): void;
  /** A server's free and total bytes, asked over its connection (a disk's are read where it is mounted). */
  serverSpace?(): Promise<{ freeBytes: number; sizeBytes: number }>;
}

export type JobProgress = (p: Omit<Progress, 'source' | 'destination'>) => void;

/** One backup of one snapshot, as the engine hands it to a destination. */
export interface BackUpJob {
  /** The transfer's record, filled in as it goes. */
  record: TransferRecord;
  progress: JobProgress;
  /** The send protocol this machine sends (a destination may ask for an older one). */
  protocol: SendProtocol;
  signal?: AbortSignal;
}

/** A restore point as `list` shows it. */
export interface PointInfo {
  name: string;
  uuid: string;
  receivedUuid?: string;
  complete: boolean;
}

export interface PointChanges {
  previous?: string;
  changes: Change[];
}

/** One folder's backups as retention sees them. */
export interface RetentionView {
  /** Each backup with the UUID of the snapshot it holds as its received UUID (local pruning's next parent). */
  backups: Subvolume[];
  /** Those of `backups` a drill found damaged, by UUID: never a next parent. */
  damaged?: ReadonlySet<string>;
  /** What the rules keep and remove, given the source's snapshots. */
  plan(snapshots: readonly Subvolume[], context: PruneContext): RetentionPlan;
}

export interface RetentionPlan {
  /** Why nothing is deleted, when nothing may be. */
  skipped?: string;
  kept: Array<{ name: string; reasons: string[] }>;
  removed: string[];
  /** Deletes what `removed` names. */
  apply(): Promise<void>;
}

/** A send stream on its way to a destination. */
export interface ReceiveRequest {
  dirName: string;
  /** The new backup's name (the snapshot's). */
  name: string;
  /** The output of `btrfs send`, read from its start. */
  stream: Readable;
  /** Called with the send-stream bytes so far. */
  onBytes?: (bytes: number) => void;
}

export interface ReceiveResult {
  /** Send-stream bytes. */
  bytes: number;
  /** Bytes on the wire (after compression), where there is a wire. */
  wireBytes?: number;
  uuid?: string;
  receivedUuid?: string;
  /** The xattrs the receiving side left out because its kernel would refuse them. */
  leftOut?: XattrsLeftOut;
}

/** A destination that receives a stream handed to it (over SSH); a btrfs disk runs `btrfs receive` itself. */
export interface StreamDestination {
  receive(request: ReceiveRequest): Promise<ReceiveResult>;
}
