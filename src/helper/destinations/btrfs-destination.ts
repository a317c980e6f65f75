import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BtrfsDestinationConfig } from '../../core/config';
import { ADVICE, RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { isCompleteBackup } from '../../core/parent';
import type { Subvolume } from '../../core/subvolume';
import { deleteSubvolume, deleteSubvolumes, filesystemUsage, showSubvolume, subvolumeAt, syncFilesystem } from '../system/btrfs';
import type { MountSet } from '../system/mount-set';
import { findBtrfsDevice } from '../system/btrfs-superblock';
import type { TopLevelMount } from '../system/mounts';
import { runCommand } from '../system/run-command';
import { noDataStream } from '../system/btrfs-send';
import { receiveCopyWatched } from '../restore/receive-copy';
import type { RestoreWatch } from '../restore/restore-watch';
import { codecOptions, sendReceive } from '../engine/transfer';
import { XattrRefused } from '../engine/transfer-outcome';
import { CAPABILITY_XATTR } from '../../core/xattrs-left-out';
import { SELINUX_XATTR } from '../../core/send-stream/filter';
import { ReceivedDestination, type SendOrder } from './received-destination';
import { destinationName } from '../../core/destination-name';
import { SNAPSHOT_DIR } from '../../core/ids';

/** The xattrs the receiver rules judge by value (the others a retry leaves out whole). */
const RULED_XATTRS = [SELINUX_XATTR, CAPABILITY_XATTR];

/**
 * A btrfs backup disk, found by filesystem UUID and mounted at its top level.
 * Backups of one source subvolume live in <path>/<host>/<subvolume>/.
 *
 * With `path` the snapshots' folder (`.rewind`), it is an old system disk
 * whose own snapshots are restore points (src/core/old-snapshots.ts, found
 * with no configuration): someone's disk that is only read. It is mounted
 * read-only, its points are `.rewind/<subvolume>/<time>` with no computer's
 * folder, and a point is one only while the disk lists it as a read-only
 * subvolume of that name.
 */
export class BtrfsDestination extends ReceivedDestination {
  /** A disk mounted here stays usable for the whole run, or its commands say why not. */
  readonly usable = true;

  private constructor(
    readonly config: BtrfsDestinationConfig,
    readonly host: string,
    private readonly mount: TopLevelMount,
    private readonly oldSnapshots = false,
  ) {
    super();
  }

  /** Its top level, mounted by the helper. */
  get top(): string {
    return this.mount.mountPoint;
  }

  static async open(config: BtrfsDestinationConfig, host: string, mounts: MountSet): Promise<BtrfsDestination> {
    const device = await findBtrfsDevice(config.filesystem);
    if (!device) {
      throw new RewindError('DestinationMissing', `The backup disk ${destinationName(config)} is not connected.`, { reason: reason('disk-not-connected', { destination: destinationName(config) }) });
    }
    const oldSnapshots = config.path === SNAPSHOT_DIR;
    const mount = await (oldSnapshots ? mounts.getReadOnly(device, config.filesystem) : mounts.get(device, config.filesystem)).catch((error: unknown) => {
      throw new RewindError('DestinationMissing', `The backup disk ${destinationName(config)} could not be opened (${(error as Error).message}).`, {
        cause: error,
        reason: reason('disk-not-opened', { destination: destinationName(config) }),
      });
    });
    // Listed now, while the run does other things: every run needs the list.
    void mount.subvolumes();
    return oldSnapshots ? new BtrfsDestination(config, '', mount, true) : new BtrfsDestination(config, host, mount);
  }

  get name(): string {
    return destinationName(this.config);
  }

  /** The folder below the top level that holds one subvolume's backups. */
  dirBelowTop(dirName: string): string {
    return path.join(this.config.path, this.host, dirName);
  }

  async receiveDir(dirName: string): Promise<string> {
    const dir = path.join(this.top, this.dirBelowTop(dirName));
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** Every subvolume in one source subvolume's folder, complete or not. */
  async backups(dirName: string): Promise<Subvolume[]> {
    const below = this.dirBelowTop(dirName);
    return (await this.mount.subvolumes()).filter((s) => path.dirname(s.path) === below);
  }

  /** Every subvolume under this host's folder, grouped by source folder name. */
  async allBackups(): Promise<Map<string, Subvolume[]>> {
    const hostDir = path.join(this.config.path, this.host);
    const groups = new Map<string, Subvolume[]>();
    for (const s of await this.mount.subvolumes()) {
      const dir = path.dirname(s.path);
      if (path.dirname(dir) !== hostDir) continue;
      const key = path.basename(dir);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    return groups;
  }

  /**
   * Deletes what interrupted receives left behind; returns their names. A
   * backup that was received and then made writable is no leftover: it is
   * kept, and never a parent (src/core/parent.ts, rule 6).
   */
  async removeIncomplete(dirName: string): Promise<string[]> {
    const leftovers: Subvolume[] = [];
    for (const b of (await this.backups(dirName)).filter((b) => !isCompleteBackup(b))) {
      const finished = !b.readOnly && (await showSubvolume(path.join(this.top, b.path)).catch(() => undefined))?.receiveTransid;
      if (!finished) leftovers.push(b);
    }
    await this.removeAll(leftovers);
    return leftovers.map((l) => path.basename(l.path));
  }

  /** Deletes several backups with one commit. */
  async removeAll(backups: readonly Subvolume[]): Promise<void> {
    if (backups.length === 0) return;
    this.mount.changed();
    await deleteSubvolumes(backups.map((b) => path.join(this.top, b.path)));
  }

  /**
   * The backup a receive just made at `name`, read from the disk (not from
   * the listing) and added to what it knows: the receive made one subvolume,
   * so the listing stays good. Undefined when there is none.
   */
  protected override async received(dirName: string, name: string): Promise<Subvolume | undefined> {
    const below = path.join(this.dirBelowTop(dirName), name);
    if (!(await stat(path.join(this.top, below)).catch(() => undefined))) return undefined;
    const backup = await subvolumeAt(this.top, below);
    this.mount.added(backup);
    return backup;
  }

  /** Forgets what it knew of its subvolumes, after a receive made a new one. */
  changed(): void {
    this.mount.changed();
  }

  /** Deletes a partial receive at `name`, if one is there. */
  async removePartial(dirName: string, name: string): Promise<void> {
    const target = path.join(this.top, this.dirBelowTop(dirName), name);
    if (!(await stat(target).catch(() => undefined))) return;
    this.mount.changed();
    // Only what a receive left unfinished: a complete backup of that name is never a leftover.
    const leftover = (await this.backups(dirName)).find((b) => path.basename(b.path) === name);
    if (leftover && isCompleteBackup(leftover)) return;
    await deleteSubvolume(target).catch(() => undefined);
  }

  /** Waits until the space of deleted subvolumes is given back. */
  async reclaim(): Promise<void> {
    await runCommand('btrfs', ['subvolume', 'sync', this.top]);
  }

  /**
   * Writes everything received so far to the disk. A backup only counts once
   * this succeeded: a disk unplugged mid-run can otherwise fail after btrfs
   * receive has already returned.
   */
  async flush(): Promise<void> {
    await syncFilesystem(this.top);
  }

  async freeBytes(): Promise<number> {
    return (await filesystemUsage(this.top)).freeBytes ?? 0;
  }

  /**
   * `btrfs send | btrfs receive` into the folder, through the stream codec
   * when this disk filters xattrs (../engine/transfer.ts). The machine's own policy writes the disk, so
   * nothing is left out up front; a receive that stops at an xattr the
   * kernel refuses anyway (a disk from another machine, an invalid file
   * capability on the source) is deleted and sent again at once with the
   * receiver rules (../../core/xattrs-left-out), and the record says what
   * was left out.
   */
  protected async send({ snap, snapshot, parent, plan, job }: SendOrder): Promise<void> {
    const { record, progress } = job;
    const receiveDir = await this.receiveDir(snap.source.dirName);
    record.protocol = job.protocol.version;
    const attempt = (codec: ReturnType<typeof codecOptions>) =>
      sendReceive({
        snapshot,
        parent,
        sendArgs: job.protocol.args,
        receiveDir,
        codec,
        onBytes: (bytes, detail) => progress({ phase: 'send', kind: plan.kind, bytes, ...detail }),
        onCodecDone: ({ checksum, droppedXattrs, rewrittenXattrs, leftOut }) => {
          record.codec = { checksum, droppedXattrs, rewrittenXattrs };
          if (leftOut) record.leftOut = leftOut;
        },
        signal: job.signal,
      });
    try {
      record.bytes = await attempt(codecOptions(this.config));
    } catch (error) {
      if (!(error instanceof XattrRefused) || job.signal?.aborted) throw error;
      const name = path.basename(snapshot);
      await this.removePartial(snap.source.dirName, name);
      this.changed();
      // Labels and capabilities the rules judge by value; any other name refused is left out whole.
      const alsoDrop = RULED_XATTRS.includes(error.xattr.name) ? [] : [error.xattr.name];
      record.bytes = await attempt({ ...codecOptions(this.config), receiverRules: { alsoDrop } });
    }
  }

  protected async noDataStream(dirName: string, from: string, to: string): Promise<Buffer[]> {
    const folder = path.join(this.top, this.dirBelowTop(dirName));
    return noDataStream(path.join(folder, from), path.join(folder, to));
  }

  /** An old system disk's snapshots: the read-only ones, whatever their received UUID (a restored one has one). */
  protected override isPoint(backup: Subvolume): boolean {
    return this.oldSnapshots ? backup.readOnly : isCompleteBackup(backup);
  }

  /** A backup on this disk is read where it is; on an old system disk, only a snapshot it lists as one. */
  async pointFolder(dirName: string, name: string): Promise<string> {
    if (this.oldSnapshots && !(await this.backups(dirName)).some((b) => path.basename(b.path) === name && b.readOnly)) {
      throw new RewindError('InvalidArgs', `There is no snapshot ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    }
    return path.join(this.top, this.dirBelowTop(dirName), name);
  }

  async restorePoint(dirName: string, name: string, into: string, _keyFile?: string, watch?: RestoreWatch): Promise<string> {
    const backup = await this.pointFolder(dirName, name);
    if (!(await stat(backup).catch(() => undefined))) throw new RewindError('InvalidArgs', `There is no backup ${name} of ${dirName} on ${this.name}.`, { advice: ADVICE.chooseAgain });
    return receiveCopyWatched(backup, into, `${name} from ${this.name}`, watch);
  }

  /** The mount set unmounts the disk. */
  async close(): Promise<void> {}
}
