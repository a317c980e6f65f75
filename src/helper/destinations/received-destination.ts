import path from 'node:path';
import { previousPoint } from '../../core/browse-request';
import { RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { listChanges } from '../../core/send-stream/changes';
import { backupToFreeSpace } from '../../core/make-room';
import { choosePlan, damagedAwaitingFull, isCompleteBackup, refusedParentsNotice, streamUuid, type SendPlan } from '../../core/parent';
import { planDestinationPrune, type PruneContext } from '../../core/prune-plan';
import type { Subvolume } from '../../core/subvolume';
import type { SourceSnapshot } from '../engine/sources';
import type { BackUpJob, BackupDestination, PointChanges, PointInfo, RetentionPlan, RetentionView } from './backup-destination';
import { retryUntilItFits } from './make-room';
import type { RestoreWatch } from '../restore/restore-watch';

/** What one send of a snapshot needs: its paths, below the source's top level, and how to send. */
export interface SendOrder {
  snap: SourceSnapshot;
  plan: SendPlan;
  /** The snapshot's and the parent's paths, ready for btrfs send. */
  snapshot: string;
  parent?: string;
  job: BackUpJob;
}

/**
 * What a btrfs disk and a server have in common: each backup is a received,
 * read-only subvolume whose received UUID pairs it with the source snapshot
 * it holds (src/core/parent.ts). A backup run:
 * 1. removes what interrupted receives left in the folder;
 * 2. is done when the snapshot is already here, and stops when another
 *    snapshot's backup has its name;
 * 3. chooses the parent by UUID (never a damaged backup, nor one older than
 *    a backup a drill found damaged; the record names those it passed over)
 *    and sends, full or incremental; when the destination is full, removes
 *    its oldest backup that may go (src/core/make-room.ts; never a damaged
 *    one before a full backup has landed after it) and tries again;
 * 4. flushes the destination, then checks that the new backup is read-only
 *    and carries the snapshot's UUID; on any failure, a partial backup is removed.
 * Each kind says how to list, delete, send, flush and fetch a backup.
 */
export abstract class ReceivedDestination implements BackupDestination {
  abstract readonly name: string;
  abstract readonly usable: boolean;
  /** A disk here, or a backup server: who can free space when a backup does not fit. */
  protected readonly place: 'disk' | 'server' = 'disk';
  /** Every subvolume in one source subvolume's folder, complete or not. */
  abstract backups(dirName: string): Promise<Subvolume[]>;
  /** Every subvolume in every folder of this host, by folder. */
  abstract allBackups(): Promise<Map<string, Subvolume[]>>;
  /** Deletes what interrupted receives left in a folder; returns their names. */
  abstract removeIncomplete(dirName: string): Promise<string[]>;
  /** Deletes several backups (of those `backups` returned). */
  abstract removeAll(backups: readonly Subvolume[]): Promise<void>;
  /** Forgets what it remembers of its backups after they changed. */
  abstract changed(): void;
  /** Deletes a partial receive named `name`, if there is one. */
  abstract removePartial(dirName: string, name: string): Promise<void>;
  /** Waits until the space of deleted backups is given back, as far as the destination can tell. */
  abstract reclaim(): Promise<void>;
  /** Writes everything received so far to the disk; a backup counts only after this. */
  abstract flush(): Promise<void>;
  /** The space free on the destination's disk. */
  abstract freeBytes(): Promise<number>;
  /** The stream of `btrfs send --no-data -p FROM TO` between two complete backups of a folder. */
  protected abstract noDataStream(dirName: string, from: string, to: string): Promise<Buffer[]>;
  /** Sends one snapshot here; fills in the record's bytes. */
  protected abstract send(order: SendOrder): Promise<void>;
  abstract pointFolder(dirName: string, name: string, scratch: () => Promise<string>, keyFile?: string): Promise<string>;
  abstract restorePoint(dirName: string, name: string, into: string, keyFile?: string, watch?: RestoreWatch): Promise<string>;
  abstract close(): Promise<void>;

  /** Backups a drill found damaged, by UUID (src/core/parent.ts, rule 7). */
  protected damaged: ReadonlySet<string> = new Set();

  knowDamaged(uuids: ReadonlySet<string>): void {
    this.damaged = uuids;
  }

  async remove(backup: Subvolume): Promise<void> {
    await this.removeAll([backup]);
  }

  /** The backup a receive just made at `name`, or undefined. */
  protected async received(dirName: string, name: string): Promise<Subvolume | undefined> {
    this.changed();
    return (await this.backups(dirName)).find((b) => path.basename(b.path) === name);
  }

  /** What a failed flush means: the disk went away. */
  protected flushFailure(error: unknown): RewindError {
    return new RewindError('DestinationMissing', `The backup disk ${this.name} stopped responding while the backup was written.`, {
      cause: error,
      reason: reason('disk-stopped-responding', { destination: this.name }),
    });
  }

  async takenNames(dirName: string): Promise<string[]> {
    return (await this.backups(dirName)).map((b) => path.basename(b.path));
  }

  /** Whether a subvolume of a folder is a restore point: a complete backup. */
  protected isPoint(backup: Subvolume): boolean {
    return isCompleteBackup(backup);
  }

  async points(dirName: string): Promise<PointInfo[]> {
    return (await this.backups(dirName))
      .sort((a, b) => a.createdGeneration - b.createdGeneration)
      .map((b) => ({ name: path.basename(b.path), uuid: b.uuid, receivedUuid: b.receivedUuid, complete: this.isPoint(b) }));
  }

  /** From the backup before it (by name, among the complete ones), as `btrfs send --no-data` tells it. */
  async changesSince(dirName: string, name: string): Promise<PointChanges> {
    const previous = previousPoint((await this.backups(dirName)).filter((b) => this.isPoint(b)).map((b) => path.basename(b.path)), name);
    if (previous === undefined) return { changes: [] };
    const stream = await this.noDataStream(dirName, previous, name);
    return { previous, changes: listChanges(stream).flatMap((l) => l.changes) };
  }

  async clean(): Promise<string[]> {
    const removed: string[] = [];
    for (const dirName of (await this.allBackups()).keys()) {
      removed.push(...(await this.removeIncomplete(dirName)).map((name) => `${dirName}/${name}`));
    }
    return removed;
  }

  async retention(dirName: string): Promise<RetentionView> {
    const backups = await this.backups(dirName);
    return {
      backups,
      damaged: this.damaged,
      plan: (snapshots: readonly Subvolume[], context: PruneContext): RetentionPlan => {
        const decision = planDestinationPrune(backups, snapshots, context, this.damaged);
        return {
          ...(decision.skipped ? { skipped: decision.skipped } : {}),
          kept: decision.keep.map((k) => ({ name: path.basename(k.subvolume.path), reasons: k.reasons })),
          removed: decision.remove.map((r) => path.basename(r.path)),
          apply: () => this.removeAll(decision.remove),
        };
      },
    };
  }

  async backUp(snap: SourceSnapshot, job: BackUpJob): Promise<void> {
    const name = path.basename(snap.snapshot.path);
    try {
      const plan = await this.prepare(snap, job);
      if (!plan) return;
      await this.sendMakingRoom(snap, plan, job);
      await this.check(snap, plan, job);
    } catch (error) {
      this.changed();
      await this.removePartial(snap.source.dirName, name).catch(() => undefined);
      // The space of what the attempt wrote is given back, and committed, before the run ends:
      // a failed run never leaves the disk fuller than it found it.
      await this.reclaim()
        .then(() => this.flush())
        .catch(() => undefined);
      throw error;
    }
  }

  /** Steps 1 and 2: the plan, or undefined when the snapshot is here already. */
  private async prepare(snap: SourceSnapshot, { record, progress }: BackUpJob): Promise<SendPlan | undefined> {
    const name = path.basename(snap.snapshot.path);
    progress({ phase: 'cleanup', bytes: 0 });
    const removed = await this.removeIncomplete(snap.source.dirName);
    if (removed.length > 0) record.removedIncomplete = removed;
    const all = await this.backups(snap.source.dirName);
    const backups = all.filter(isCompleteBackup);
    if (backups.some((b) => b.receivedUuid === streamUuid(snap.snapshot))) {
      // Nothing changed since a snapshot that is already here.
      record.kind = 'up-to-date';
      return undefined;
    }
    if (backups.some((b) => path.basename(b.path) === name)) {
      // Another snapshot's backup under this name (the source was made anew, or restored): receiving would fail on it.
      throw new RewindError(
        'TransferFailed',
        `${this.name} already has a backup named ${name} that was made from another snapshot. ` +
          `It was kept. Rename or delete that backup on the destination, then back up again.`,
      );
    }
    // Every backup, so that the damaged ones are named (src/core/parent.ts, rule 6).
    const plan = choosePlan(snap.snapshots, all, snap.snapshot.uuid, this.damaged);
    const notice = refusedParentsNotice(this.name, plan);
    if (notice) record.damagedParent = notice;
    record.kind = plan.kind;
    if (plan.kind === 'incremental') record.parent = path.basename(plan.parent.path);
    return plan;
  }

  /** Step 3. */
  private async sendMakingRoom(snap: SourceSnapshot, plan: SendPlan, job: BackUpJob): Promise<void> {
    const { dirName, top } = snap.source;
    const name = path.basename(snap.snapshot.path);
    // The parent, and every damaged backup that no full backup has followed yet.
    const keep = new Set(plan.kind === 'incremental' ? [plan.parentBackup.uuid] : []);
    if (this.damaged.size > 0) for (const backups of (await this.allBackups()).values()) for (const d of damagedAwaitingFull(backups.filter(isCompleteBackup), this.damaged)) keep.add(d.uuid);
    const order: SendOrder = {
      snap,
      plan,
      snapshot: path.join(top, snap.snapshot.path),
      parent: plan.kind === 'incremental' ? path.join(top, plan.parent.path) : undefined,
      job,
    };
    const attempt = async () => {
      job.progress({ phase: 'send', kind: plan.kind, bytes: 0 });
      await this.send(order);
    };
    await retryUntilItFits(this.name, job.record, job.progress, attempt, {
      next: async () => {
        this.changed();
        await this.removePartial(dirName, name);
        return backupToFreeSpace((await this.allBackups()).values(), keep);
      },
      remove: async (victim: Subvolume) => {
        await this.remove(victim);
        await this.reclaim();
        return [victim.path];
      },
      freeBytes: async () => {
        await this.removePartial(dirName, name);
        await this.reclaim();
        // Space freed counts once a commit made it so.
        await this.flush();
        return this.freeBytes();
      },
      place: this.place,
    });
  }

  /** Step 4. */
  private async check(snap: SourceSnapshot, plan: SendPlan, { record, progress }: BackUpJob): Promise<void> {
    const name = path.basename(snap.snapshot.path);
    progress({ phase: 'verify', kind: plan.kind, bytes: record.bytes });
    await this.flush().catch((error: unknown) => {
      throw this.flushFailure(error);
    });
    const received = await this.received(snap.source.dirName, name);
    if (!received || !isCompleteBackup(received) || received.receivedUuid !== streamUuid(snap.snapshot)) {
      throw new RewindError('TransferFailed', `The backup ${name} arrived incomplete on ${this.name}.`, { reason: reason('arrived-incomplete', { destination: this.name }) });
    }
  }
}
