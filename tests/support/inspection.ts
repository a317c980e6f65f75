import { mkdtempSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { isCompleteBackup } from '../../src/core/parent';
import type { Subvolume } from '../../src/core/subvolume';
import { listSubvolumes } from '../../src/helper/system/btrfs';
import type { BackupFixture } from './backup-fixture';
import { sh } from './exec';
import { unmount, type LoopBtrfs } from './loop-btrfs';
import { compareTrees } from './tree-compare';

/** Mounts the top level of `fs` for the length of `fn` only. */
export async function withTopLevel<T>(fx: BackupFixture, fs: LoopBtrfs, fn: (top: string) => Promise<T> | T): Promise<T> {
  const target = mkdtempSync(path.join(fx.dir, 'look-'));
  sh('mount', ['-o', 'subvolid=5', fs.device, target]);
  try {
    return await fn(target);
  } finally {
    unmount(target);
    rmdirSync(target);
  }
}

export interface BackupState {
  /** Backups of home at the destination, oldest first. */
  backups: Subvolume[];
  /** Rewind's snapshots of home at the source, oldest first. */
  snapshots: Subvolume[];
  /** Differences between the newest backup and its source snapshot (empty when equal). */
  newestDiffers: string[];
  /** Differences between the newest snapshot and the live home (empty when equal). */
  homeDiffers: string[];
}

/** What a user would check after a run: which backups exist, and whether the newest is right. */
export async function backupState(fx: BackupFixture, destination: LoopBtrfs = fx.destination): Promise<BackupState> {
  return withTopLevel(fx, fx.source, (sourceTop) =>
    withTopLevel(fx, destination, async (destTop) => {
      const backups = (await listSubvolumes(destTop))
        .filter((s) => path.dirname(s.path) === `${fx.hostName}/home`)
        .sort((a, b) => a.createdGeneration - b.createdGeneration);
      const snapshots = (await listSubvolumes(sourceTop))
        .filter((s) => path.dirname(s.path) === '.rewind/home')
        .sort((a, b) => a.createdGeneration - b.createdGeneration);
      const complete = backups.filter(isCompleteBackup);
      const newest = complete.at(-1);
      const snapshot = snapshots.find((s) => s.uuid === newest?.receivedUuid);
      const newestDiffers = newest && snapshot ? compareTrees(path.join(sourceTop, snapshot.path), path.join(destTop, newest.path)) : ['no backup'];
      const lastSnapshot = snapshots.at(-1);
      const homeDiffers = lastSnapshot ? compareTrees(fx.home, path.join(sourceTop, lastSnapshot.path)) : ['no snapshot'];
      return { backups, snapshots, newestDiffers, homeDiffers };
    }),
  );
}
