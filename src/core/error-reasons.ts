/**
 * Why an error happened, more precisely than its code, for the app to say
 * in the user's language (src/app/error-words.ts): a stable id and the
 * values its sentence needs. The helper's own message stays English, for the
 * CLI, the journal and the history's details; a reason travels next to it
 * (ErrorReport.reason and .params in JSON answers, the last line of a D-Bus
 * error's message, ./errors.ts). Ids and parameter names are a contract: a
 * new app may meet an old helper and the other way round, so an id is never
 * given another meaning, and one the app does not know falls back to the
 * sentence for its code, then to the helper's English text.
 *
 * Parameters are plain values a screen may show: names the user gave
 * (a disk's label, a server's host name, a folder), counts and byte sizes;
 * never a device path or a snapshot name.
 */
export interface ErrorReasonParams {
  // DestinationMissing
  /** The backup disk is not attached. */
  'disk-not-connected': { destination: string };
  /** Attached, but it could not be mounted or opened. */
  'disk-not-opened': { destination: string };
  /** It went away, or failed with input/output errors, during the backup. */
  'disk-stopped-responding': { destination?: string };
  /** A folder destination (a disk or a share) that cannot be used or written to. */
  'folder-unusable': { destination: string };

  // DestinationFull
  /** The destination ran out of space during the backup. */
  'full-during-backup': { destination?: string };
  /**
   * Even after removing older backups there, this one does not fit; freeBytes when it is known.
   * `place`: a disk here (the user frees space) or a backup server (whoever looks after it does).
   */
  'no-room': { destination: string; removed: number; freeBytes?: number; place: 'disk' | 'server' };
  /** Not enough space where the files are restored. */
  'restore-no-space': { folder: string };

  // TransferFailed, by its cause.
  /** Reading the snapshot on this computer failed. */
  'read-snapshot-failed': Record<string, never>;
  /** The destination's side did not take the backup (its receive failed). */
  'receive-failed': { destination?: string };
  /** A program of the transfer was killed. */
  'transfer-killed': Record<string, never>;
  /** The stream of the backup stopped before its end. */
  'stream-interrupted': Record<string, never>;
  /** The backup arrived incomplete. */
  'arrived-incomplete': { destination: string };
  /** The backup server ended the connection. */
  'server-closed': Record<string, never>;
  /** Rewind on the server did not start or did not answer like it. */
  'server-not-rewind': { server: string };
  /** Copying files out of a backup into the restore folder failed. */
  'restore-copy-failed': { folder: string };

  // Backup servers.
  'server-unreachable': { server: string };
  'key-not-accepted': { server: string };
  'host-key-changed': { server: string };
  'host-key-unknown': { server: string };
  'connection-lost': { server: string };

  // Sources.
  /** A folder to back up does not exist. */
  'source-folder-missing': { folder: string };

  // Restores.
  /** The user's account could not read it at the time of the restore point. */
  'restore-not-readable': { name: string };
  /** It is not in the chosen backup. */
  'restore-not-in-backup': { name: string };
  /** A path in it is too long for the folder it is restored into. */
  'restore-path-too-long': { folder: string };
  /** Something new appeared where the files were to go, during the restore. */
  'restore-target-changed': { folder: string };
  /** A stored backup file a restore needs is missing, cut short or changed since it was written. */
  'restore-file-damaged': { destination: string };
}

export type ErrorReasonId = keyof ErrorReasonParams;

/** A reason with the parameters its id asks for. */
export type ErrorReason = { [K in ErrorReasonId]: { id: K; params: ErrorReasonParams[K] } }[ErrorReasonId];

/** Plain parameter values: what JSON carries and a sentence can show. */
export type ErrorParams = Record<string, string | number>;

/** Builds a reason, the compiler checking its parameters. */
export function reason<K extends ErrorReasonId>(id: K, params: ErrorReasonParams[K]): ErrorReason {
  return { id, params } as ErrorReason;
}
