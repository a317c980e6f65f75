/**
 * Progress of a send stream as it passes: bytes, what happens to files, the
 * path being worked on, and — given an estimate of the total — a percentage
 * and an ETA.
 *
 * Rules:
 * 1. Work is measured in units that a `--no-data` pass of the same send can
 *    predict: the logical file bytes (WRITE data, CLONE and UPDATE_EXTENT
 *    lengths, ENCODED_WRITE's unencoded file length — so compressed data counts
 *    at its real size) plus the stream bytes of every other command. A
 *    `--no-data` stream replaces writes and clones by UPDATE_EXTENT commands
 *    of the same lengths, so observing it gives the total (`work` of its
 *    final snapshot). Any other estimate of the bytes to send (e.g. the
 *    subvolume's exclusive size) is in the same units, near enough.
 * 2. The fraction is done work over the estimate, held below 1 until the last
 *    stream's END has passed, then exactly 1; with no estimate there is none.
 * 3. The rate is measured over the last 20 seconds (samples at least one
 *    second apart), the whole run before that; the ETA is the work left over
 *    that rate. There is none until a second has passed and work was done.
 * 4. Counts follow the commands and are approximate (the exact list comes
 *    from ./changes): created = new inodes and hard links; deleted = unlink and
 *    rmdir; renamed = renames except the one that gives a new inode its
 *    name; modified = a run of data, ownership, mode, xattr or attribute
 *    changes to one path that was not created just before. Time-only updates
 *    (UTIMES) count for nothing, as send emits them for every parent directory.
 * The clock is injected; `now()` returns milliseconds.
 */
import { Attribute, CREATING_COMMANDS, Command } from './format';
import type { SendCommand } from './parser';
import { fractionAndEta, RateWindow } from './rate-window';

export interface ProgressSnapshot {
  /** Stream bytes that passed, headers included. */
  bytes: number;
  /** Logical file bytes (see rule 1). */
  dataBytes: number;
  /** Units of work done (rule 1). */
  work: number;
  commands: number;
  streams: number;
  created: number;
  modified: number;
  renamed: number;
  deleted: number;
  /** The subvolume being received (its name in the stream). */
  subvolume?: string;
  /** The path of the latest command. */
  currentPath?: string;
  elapsedSeconds: number;
  /** Stream bytes per second over the rate window. */
  bytesPerSecond?: number;
  /** 0 to 1, when an estimate is known. */
  fraction?: number;
  etaSeconds?: number;
  /** True after an END with nothing after it (yet). */
  ended: boolean;
}

const MODIFYING = new Set<number>([
  Command.Write,
  Command.Clone,
  Command.Truncate,
  Command.UpdateExtent,
  Command.Fallocate,
  Command.EncodedWrite,
  Command.Chmod,
  Command.Chown,
  Command.SetXattr,
  Command.RemoveXattr,
  Command.Fileattr,
  Command.EnableVerity,
]);

export class SendStreamProgress {
  private readonly now: () => number;
  private readonly startedAt: number;
  private estimate: number | undefined;
  private bytes = 0;
  private dataBytes = 0;
  private work = 0;
  private commands = 0;
  private streams = 0;
  private created = 0;
  private modified = 0;
  private renamed = 0;
  private deleted = 0;
  private ended = false;
  private subvolume: string | undefined;
  private current: SendCommand | undefined;
  /** Temporary names of created inodes that have not been given their name yet. */
  private readonly unnamed = new Set<string>();
  private lastCreated: string | undefined;
  private lastModified: string | undefined;
  private readonly window: RateWindow;

  constructor(options: { now: () => number; estimate?: number }) {
    this.now = options.now;
    this.startedAt = options.now();
    this.estimate = options.estimate;
    this.window = new RateWindow(this.startedAt);
  }

  /** Sets or replaces the estimate of total work (rule 1), e.g. when a --no-data pass finishes. */
  setEstimate(work: number | undefined): void {
    this.estimate = work !== undefined && work > 0 ? work : undefined;
  }

  header(length: number): void {
    this.streams++;
    this.bytes += length;
    this.work += length;
    this.ended = false;
  }

  command(command: SendCommand): void {
    const length = command.bytes.length;
    this.bytes += length;
    this.commands++;
    const logical = logicalDataBytes(command);
    if (logical >= 0) {
      this.dataBytes += logical;
      this.work += logical;
    } else {
      this.work += length;
    }
    this.ended = command.type === Command.End;
    if (command.type === Command.End) return;
    if (command.has(Attribute.Path)) this.current = command;
    this.count(command);
  }

  snapshot(): ProgressSnapshot {
    const at = this.now();
    const elapsedSeconds = Math.max(0, (at - this.startedAt) / 1000);
    const { workRate, bytesPerSecond } = this.window.rates(at, this.work, this.bytes);
    const { fraction, etaSeconds } = fractionAndEta(this.work, this.estimate, this.ended, workRate);
    return {
      bytes: this.bytes,
      dataBytes: this.dataBytes,
      work: this.work,
      commands: this.commands,
      streams: this.streams,
      created: this.created,
      modified: this.modified,
      renamed: this.renamed,
      deleted: this.deleted,
      subvolume: this.subvolume,
      currentPath: this.current?.path,
      elapsedSeconds,
      bytesPerSecond,
      fraction,
      etaSeconds,
      ended: this.ended,
    };
  }

  private count(command: SendCommand): void {
    const type = command.type;
    if (type === Command.Subvol || type === Command.Snapshot) {
      this.subvolume = command.path;
      this.unnamed.clear();
      // A full stream makes the subvolume's root too.
      this.lastCreated = type === Command.Subvol ? '' : undefined;
      this.lastModified = undefined;
      return;
    }
    const path = command.path;
    if (path === undefined) return;
    if (CREATING_COMMANDS.has(type)) {
      this.created++;
      this.unnamed.add(path);
      this.lastCreated = path;
    } else if (type === Command.Link) {
      // Another name for an inode; what follows still uses its first name.
      this.created++;
    } else if (type === Command.Rename) {
      const to = command.string(Attribute.PathTo);
      if (this.unnamed.delete(path)) {
        this.lastCreated = to;
      } else {
        this.renamed++;
        if (this.lastCreated === path) this.lastCreated = to;
      }
    } else if (type === Command.Unlink || type === Command.Rmdir) {
      if (!this.unnamed.delete(path)) this.deleted++;
    } else if (MODIFYING.has(type) && path !== this.lastCreated && path !== this.lastModified && !this.unnamed.has(path)) {
      this.modified++;
      this.lastModified = path;
    }
  }
}

/** Logical file bytes of a data command (rule 1), or -1 for other commands. */
export function logicalDataBytes(command: SendCommand): number {
  switch (command.type) {
    case Command.Write:
      return Math.max(0, command.lengthOf(Attribute.Data));
    case Command.EncodedWrite:
      return command.number(Attribute.UnencodedFileLen) ?? Math.max(0, command.lengthOf(Attribute.Data));
    case Command.Clone:
      return command.number(Attribute.CloneLen) ?? 0;
    case Command.UpdateExtent:
      return command.number(Attribute.Size) ?? 0;
    default:
      return -1;
  }
}
