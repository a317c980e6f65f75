import type { Readable } from 'node:stream';
import type { Subvolume } from '../../core/subvolume';

/**
 * What the engine needs from any destination, a btrfs disk mounted here
 * (./btrfs-destination) or another machine over SSH (./ssh-destination).
 * Backups are grouped in folders, one per source subvolume (`dirName`, as
 * subvolumeDirName makes it), below this host's folder.
 */
export interface BackupDestination {
  /** The name people see (the label, else the id). */
  readonly name: string;
  /** Every subvolume in one source subvolume's folder, complete or not, oldest first. */
  backups(dirName: string): Promise<Subvolume[]>;
  /** Every subvolume in every folder of this host, by folder. */
  allBackups(): Promise<Map<string, Subvolume[]>>;
  /** Deletes what interrupted receives left in a folder; returns their names. */
  removeIncomplete(dirName: string): Promise<string[]>;
  /** Deletes one backup (one of those `backups` returned). */
  remove(backup: Subvolume): Promise<void>;
  /** Deletes several backups (retention). */
  removeAll(backups: readonly Subvolume[]): Promise<void>;
  /** Forgets what the destination remembers of its backups after someone else changed them. */
  changed(): void;
  /** Deletes a partial receive named `name`, if there is one. */
  removePartial(dirName: string, name: string): Promise<void>;
  /** Waits until the space of deleted backups is given back, as far as the destination can tell. */
  reclaim(): Promise<void>;
  /** Writes everything received so far to the disk; a backup counts only after this. */
  flush(): Promise<void>;
  freeBytes(): Promise<number>;
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
}

/** A destination that receives a stream handed to it (over SSH); a btrfs disk runs `btrfs receive` itself. */
export interface StreamDestination extends BackupDestination {
  receive(request: ReceiveRequest): Promise<ReceiveResult>;
  /** Ends the connection; the destination is unusable afterwards. */
  close(): Promise<void>;
}
