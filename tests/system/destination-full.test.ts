import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { backupState, withTopLevel } from '../support/inspection';
import { mountLoop } from '../support/loop-btrfs';
import { writeRandomFile } from '../support/random-file';

/**
 * Real full disks: a 320 MiB destination and changes of 100 MiB of
 * incompressible data. When a backup does not fit, the oldest backup that is
 * not the next parent makes room, and the run says so; when nothing can
 * make room, the run fails with one sentence that says why and what to do,
 * and leaves the disk no fuller than it found it. Then the 1 GiB source
 * disk is filled until it is low: the oldest local snapshots go, never the
 * newest one the destination shares, and the next backup is incremental.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
const file = (name: string) => path.join(fx.home, `alice/${name}.bin`);

/** Free bytes of a disk, as the desktop sees it (statfs), with the helper's mounts gone. */
function freeOf(disk: BackupFixture['destination']): Promise<number> {
  return withTopLevel(fx, disk, (top) => {
    const fs = statfsSync(top);
    return fs.bavail * fs.bsize;
  });
}

/** `rewind-helper status`, as an administrator reads it. */
function statusText(): string {
  const [command, ...args] = fx.helperCli(['status']);
  return sh(command, args);
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 1024, destinationMiB: 320 });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a destination that runs out of space', () => {
  const names: string[] = [];

  test('fills up with two backups of different data', () => {
    writeRandomFile(file('a'), 100);
    const first = runBackupCli(fx);
    expect(first.transfers[0]).toMatchObject({ ok: true, kind: 'full' });
    rmSync(file('a'));
    writeRandomFile(file('b'), 100);
    const second = runBackupCli(fx);
    expect(second.transfers[0]).toMatchObject({ ok: true, kind: 'incremental' });
    expect(second.spaceFreed).toBeUndefined();
    names.push(first.transfers[0].snapshot, second.transfers[0].snapshot);
  });

  test('makes room by removing the oldest backup, completes, and says what it removed', async () => {
    rmSync(file('b'));
    writeRandomFile(file('c'), 100);
    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: names[1] });
    expect(run.transfers[0].removedForSpace).toEqual([`${fx.hostName}/home/${names[0]}`]);
    expect(run.spaceFreed).toEqual([
      {
        side: 'destination',
        destination: 'usb',
        removed: [`${fx.hostName}/home/${names[0]}`],
        message: 'To make room on Test backup disk, the oldest backup was removed.',
      },
    ]);
    expect(statusText()).toContain('To make room on Test backup disk, the oldest backup was removed.');
    const state = await backupState(fx);
    expect(state.backups.map((b) => path.basename(b.path))).toEqual([names[1], run.transfers[0].snapshot]);
    expect(state.newestDiffers).toEqual([]);
    names.splice(0, names.length, names[1], run.transfers[0].snapshot);
  });

  test('fails with one sentence when even that is not enough, leaving no partial backup and the disk no fuller', async () => {
    writeRandomFile(file('d'), 400);
    const before = await freeOf(fx.destination);
    const run = runBackupCli(fx);
    expect(run.ok).toBe(false);
    expect(run.error?.code).toBe('DestinationFull');
    expect(run.error?.message).toMatch(
      /^This backup does not fit in the [\d.]+ MB free on Test backup disk, even after the oldest backup was removed to make room, and the backups left are needed for the next one: delete other files from the disk, or use a larger one\.$/,
    );
    expect(run.spaceFreed).toEqual([
      { side: 'destination', destination: 'usb', removed: [`${fx.hostName}/home/${names[0]}`], message: 'To make room on Test backup disk, the oldest backup was removed.' },
    ]);
    expect(await freeOf(fx.destination)).toBeGreaterThanOrEqual(before);
    const state = await backupState(fx);
    expect(state.backups.every(isCompleteBackup)).toBe(true);
    // The next parent is never given up for space.
    expect(state.backups.map((b) => path.basename(b.path))).toEqual([names[1]]);
    expect(state.newestDiffers).toEqual([]);

    // Again, with nothing left that may go: what the attempt wrote is given back before the run ends.
    const again = await freeOf(fx.destination);
    const second = runBackupCli(fx);
    expect(second.error?.message).toMatch(
      /^This backup does not fit in the [\d.]+ MB free on Test backup disk, and no older backup there may be removed to make room: delete other files from the disk, or use a larger one\.$/,
    );
    expect(second.spaceFreed).toBeUndefined();
    expect(await freeOf(fx.destination)).toBeGreaterThanOrEqual(again);
  });

  test('backs up incrementally again once the change is gone', async () => {
    rmSync(file('d'));
    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: names.at(-1) });
    const state = await backupState(fx);
    expect(state.newestDiffers).toEqual([]);
    expect(state.homeDiffers).toEqual([]);
  });
});

describe('a source disk that runs low', () => {
  test('gives up its oldest snapshots until it is no longer low, never the newest one the destination shares', async () => {
    const { snapshots } = await backupState(fx);
    expect(snapshots.length).toBeGreaterThanOrEqual(4);
    // The files the first two backups held are gone from home, kept only by the oldest snapshots:
    // about a tenth of the disk each. Low is under 20 % free here; something outside the backed-up
    // folder fills the disk to 5 %.
    writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' }], { notifications: { lowSpacePercent: 20 } });
    const top = path.join(fx.dir, 'source-top');
    mountLoop(fx.cleanup, fx.source, top);
    const fs = statfsSync(top);
    sh('fallocate', ['-l', String(Math.floor(fs.bavail * fs.bsize - 0.05 * fs.blocks * fs.bsize)), path.join(top, 'filler')]);
    sh('btrfs', ['filesystem', 'sync', top]);

    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true });
    const removed = snapshots.slice(0, 2).map((s) => path.basename(s.path));
    expect(run.spaceFreed).toEqual([
      {
        side: 'local',
        sources: [fx.home],
        removed: removed.map((n) => `home/${n}`),
        message: `The disk that holds ${fx.home} was running out of space, so the 2 oldest snapshots on it were removed; your backups are kept.`,
      },
    ]);
    expect(statusText()).toContain(`The disk that holds ${fx.home} was running out of space, so the 2 oldest snapshots on it were removed`);
    const after = statfsSync(top);
    expect(after.bavail / after.blocks).toBeGreaterThanOrEqual(0.2);
    const state = await backupState(fx);
    // The newest snapshot is the one this run backed up (or found unchanged): the one the destination shares.
    const shared = state.snapshots.at(-1)!;
    expect(path.basename(shared.path)).toBe(run.transfers[0].snapshot);
    expect(state.backups.map((b) => b.receivedUuid)).toContain(shared.uuid);
    expect(state.snapshots.map((s) => s.uuid).filter((u) => u !== shared.uuid)).toEqual(snapshots.slice(2).map((s) => s.uuid).filter((u) => u !== shared.uuid));

    // The next backup builds on the snapshot the destination shares.
    writeFileSync(path.join(fx.home, 'alice/after-thinning.txt'), 'still incremental\n');
    const next = runBackupCli(fx);
    expect(next.error).toBeUndefined();
    expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: path.basename(shared.path) });
    expect(next.spaceFreed).toBeUndefined();
    expect((await backupState(fx)).newestDiffers).toEqual([]);
  });
});
