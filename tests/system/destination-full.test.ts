import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { runBackupCli } from '../support/helper-run';
import { backupState } from '../support/inspection';
import { writeRandomFile } from '../support/random-file';

/**
 * A real full disk: a 320 MiB destination and changes of 100 MiB of
 * incompressible data. When a backup does not fit, the oldest backup that is
 * not the next parent makes room; when nothing can make room, the run fails
 * with a clear error and leaves no half-written backup.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
const file = (name: string) => path.join(fx.home, `alice/${name}.bin`);

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
    names.push(first.transfers[0].snapshot, second.transfers[0].snapshot);
  });

  test('makes room by removing the oldest backup, then completes', async () => {
    rmSync(file('b'));
    writeRandomFile(file('c'), 100);
    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: names[1] });
    expect(run.transfers[0].removedForSpace).toEqual([`${fx.hostName}/home/${names[0]}`]);
    const state = await backupState(fx);
    expect(state.backups.map((b) => path.basename(b.path))).toEqual([names[1], run.transfers[0].snapshot]);
    expect(state.newestDiffers).toEqual([]);
    names.splice(0, names.length, names[1], run.transfers[0].snapshot);
  });

  test('fails clearly when even that is not enough, leaving no partial backup', async () => {
    writeRandomFile(file('d'), 400);
    const run = runBackupCli(fx);
    expect(run.ok).toBe(false);
    expect(run.error?.code).toBe('DestinationFull');
    expect(run.error?.message).toMatch(/^There is not enough space on Test backup disk for this backup.*Free space on the backup disk, or use a larger one\.$/);
    const state = await backupState(fx);
    expect(state.backups.every(isCompleteBackup)).toBe(true);
    // The next parent is never given up for space.
    expect(state.backups.map((b) => path.basename(b.path))).toContain(names.at(-1));
    expect(state.newestDiffers).toEqual([]);
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
