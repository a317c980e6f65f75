import type { PostponeReason } from './conditions';
import type { ErrorParams } from './error-reasons';
import type { ErrorCode } from './errors';
import type { DrillRecord } from './drill';
import type { Schedule } from './schedule';
import type { XattrsLeftOut } from './xattrs-left-out';

/** Shapes of the JSON the helper sends over D-Bus (see ./dbus-interface). */

export interface ErrorReport {
  code: ErrorCode;
  /** A complete sentence for people: what happened and what to do. */
  message: string;
  /** The cause, for the app to word in the user's language (./error-reasons); absent when only the code is known. */
  reason?: string;
  /** The values that sentence needs. */
  params?: ErrorParams;
}

/** 'up-to-date': the source had not changed since a snapshot the destination already holds; nothing was sent. */
export type TransferKind = 'full' | 'incremental' | 'up-to-date';

export interface TransferRecord {
  source: string;
  destination: string;
  snapshot: string;
  /** UUID of the source snapshot, which the backup carries as its received UUID. */
  snapshotUuid?: string;
  kind: TransferKind;
  /** Name of the parent snapshot for an incremental send. */
  parent?: string;
  /** Send stream protocol version. */
  protocol?: number;
  bytes: number;
  /** Bytes on the wire to an SSH destination (after zstd), when they differ from the stream. */
  wireBytes?: number;
  seconds: number;
  ok: boolean;
  error?: ErrorReport;
  /** Backups left incomplete by an interrupted run, removed before this transfer. */
  removedIncomplete?: string[];
  /**
   * Set when the backup this one would have been made on was damaged: why,
   * in a sentence for people. The backup was then sent in full (a new chain
   * on a stream-file destination), and the damaged one kept.
   */
  damagedParent?: string;
  /** Older backups removed because the destination ran out of space. */
  removedForSpace?: string[];
  /** How the stream codec ran: which CRC32C implementation, how many xattr commands it dropped or rewrote. */
  codec?: { checksum: 'native' | 'js' | 'custom'; droppedXattrs: number; rewrittenXattrs: number };
  /** xattrs left out because the destination's kernel refuses them (a label its policy does not know): how many, which, where. */
  leftOut?: XattrsLeftOut;
  /** A server's space once the backup was there: a server is only seen by using it, so the main page says what the last run learnt. */
  serverSpace?: { freeBytes: number; sizeBytes: number };
}

export interface SourceProblem {
  source: string;
  error: ErrorReport;
}

/** What retention did (or, in a dry run, would do) on one side of one source. */
export interface PruneReport {
  side: 'local' | 'destination';
  source: string;
  destination?: string;
  /** Why nothing was deleted, when nothing could be. */
  skipped?: string;
  /** What is kept and why; left out of the history, which keeps only the count. */
  kept: Array<{ name: string; reasons: string[] }>;
  keptCount: number;
  removed: string[];
  error?: ErrorReport;
}

export interface RunRecord {
  id: string;
  started: string;
  finished: string;
  ok: boolean;
  error?: ErrorReport;
  transfers: TransferRecord[];
  /** Sources that could not be snapshotted at all. */
  sourceProblems?: SourceProblem[];
  /** Retention applied after the transfers. */
  pruned?: PruneReport[];
  /**
   * Set on the one run that found the history unreadable: the file it was
   * kept as (history.json.unreadable-<time>), a new history starting with this run.
   */
  historySetAside?: string;
  /**
   * Destinations that were not there when the run started (a disk not
   * attached): skipped, not failed. Their reminder is the monitor's
   * "not connected for N days", never a failure.
   */
  skipped?: SkippedDestination[];
  /**
   * 'skipped': nothing was backed up because no destination was there, and
   * nothing else went wrong. Such a run has `ok: false` (it is no success)
   * and no `error`; the timer's run exits 0, so systemd does not retry it.
   * 'postponed': a scheduled run that waits for `postponed` to end (no
   * snapshot, no transfer; `ok: false`, no `error`). While it is the last
   * run in the history it is pending: it runs once the reason ends.
   */
  outcome?: 'skipped' | 'postponed';
  /** Why a postponed run waits. */
  postponed?: PostponeReason;
  /**
   * Older backups removed to make room on a full destination, and local
   * snapshots removed because the disk that holds them ran low: what went,
   * and a sentence that says so (./space-notice). Kept in the history, so
   * a run that failed still says what it removed.
   */
  spaceFreed?: SpaceFreed[];
}

/** What one run removed for space in one place. */
export interface SpaceFreed {
  /** 'destination': backups, to make room for a new one there; 'local': snapshots on a source disk that ran low. */
  side: 'destination' | 'local';
  /** The destination's id (side 'destination'). */
  destination?: string;
  /** The folders whose snapshots went (side 'local'), as `sourceProblems` names them. */
  sources?: string[];
  /** Each one removed, as `<folder>/<name>`; the app counts them and shows no name. */
  removed: string[];
  /** For people: "To make room on Blue USB disk, the 2 oldest backups were removed." */
  message: string;
}

export interface SkippedDestination {
  destination: string;
  /** Why, for people: "The backup disk Blue USB disk is not connected." */
  reason: ErrorReport;
}

export interface DestinationSummary {
  id: string;
  kind: string;
  label: string;
  enabled: boolean;
  /** The disk is attached now; absent where the helper cannot tell without connecting (servers, mounted folders). */
  connected?: boolean;
  /** When the last run that backed up to it successfully finished (ISO 8601). */
  lastBackup?: string;
  /**
   * Free and total bytes of the destination's filesystem, when it is mounted
   * (the desktop mounts a connected disk; a folder is mounted anyway). Absent
   * when not known: a disk not connected or not mounted, a backup server.
   */
  freeBytes?: number;
  sizeBytes?: number;
  /**
   * The last restore drill that checked something there (docs/drills.md;
   * one that found it not connected checked nothing and is left out), for
   * the main page's "Last checked" and the monitor's notice of damage.
   */
  lastDrill?: DrillRecord;
}

/** GetHistory's answer: the newest runs first, and how many the history holds. */
export interface HistoryPage {
  runs: RunRecord[];
  total: number;
}

/** One configured source: exactly one of the two is set, as in the configuration. */
export interface BackedUp {
  path?: string;
  allSubvolumesOf?: string;
}

export interface HelperStatus {
  configured: boolean;
  configError?: ErrorReport;
  /** What is backed up, in the helper's English (the CLI prints it). */
  sources: string[];
  /**
   * The same, as configured, for the app to word: a folder by its path, or
   * the whole system by where its disk is mounted. Absent from an older helper.
   */
  backedUp?: BackedUp[];
  destinations: DestinationSummary[];
  running: boolean;
  lastRun?: RunRecord;
  lastSuccess?: RunRecord;
  /** The configured schedule's OnCalendar=, when automatic backups are on. */
  onCalendar?: string;
  /** When the timer elapses next (ISO 8601), as systemd computes it; absent for manual. */
  nextRun?: string;
  /** The configured schedule and the time zone the timer follows, for the monitor's "a run was missed". */
  schedule?: Schedule;
  timeZone?: string;
  /**
   * Why a scheduled run started now would be postponed (on battery, a
   * metered network, as the configuration's conditions say); absent when it
   * would run. The monitor runs a pending postponed run once this is gone.
   */
  wouldPostpone?: PostponeReason;
}

export type Phase = 'snapshot' | 'cleanup' | 'send' | 'verify';

/**
 * What the stream codec sees while it passes (phase "send"); counts are
 * approximate (src/core/send-stream/progress.ts). `fraction` and
 * `etaSeconds` are there only when the helper has an estimate of the total.
 */
export interface TransferProgress {
  created?: number;
  modified?: number;
  renamed?: number;
  deleted?: number;
  /** The path being written, relative to the subvolume. */
  currentPath?: string;
  bytesPerSecond?: number;
  /** 0 to 1. */
  fraction?: number;
  etaSeconds?: number;
}

export interface Progress extends TransferProgress {
  phase: Phase;
  source: string;
  destination?: string;
  kind?: TransferKind;
  /** Stream bytes so far. */
  bytes: number;
}
