import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { waitFor } from '../support/exec';
import { freezeTransfer, liveBackupDir, resume, runBackupCli, startBackupCli } from '../support/helper-run';
import { backupState } from '../support/inspection';
import { writeRandomFile } from '../support/random-file';

/**
 * Cancelling a backup (the app's Cancel, the timer's service stop, Ctrl+C):
 * from the command line with SIGINT and over D-Bus with CancelBackup, each in
 * the middle of a real transfer. The run ends as Cancelled, leaves no partial
 * backup, and the next run is incremental with nothing lost.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let lastGood: RunRecord;

function changeALot(): void {
  rmSync(path.join(fx.home, 'alice/big.bin'), { force: true });
  writeRandomFile(path.join(fx.home, 'alice/big.bin'), 64);
}

async function expectNothingLostAndNextIncremental(): Promise<void> {
  const state = await backupState(fx);
  expect(state.backups.every(isCompleteBackup)).toBe(true);
  const next = runBackupCli(fx);
  expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: lastGood.transfers[0].snapshot });
  const after = await backupState(fx);
  expect(after.newestDiffers).toEqual([]);
  expect(after.homeDiffers).toEqual([]);
  lastGood = next;
}

beforeAll(async () => {
  fx = await createBackupFixture({ sourceMiB: 512, destinationMiB: 1024 });
  lastGood = runBackupCli(fx);
  expect(lastGood.ok).toBe(true);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('Ctrl+C during a transfer: the run ends as Cancelled and removes its partial backup', async () => {
  changeALot();
  const known = (await backupState(fx)).backups.map((b) => path.basename(b.path));
  const run = startBackupCli(fx);
  const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
  run.child.kill('SIGINT');
  // The stopped receive gets the SIGTERM once it runs again.
  resume(frozen.receive);
  const record = JSON.parse(await run.done) as RunRecord;
  expect(record.ok).toBe(false);
  expect(record.error?.code).toBe('Cancelled');
  expect(record.transfers[0].error).toEqual({
    code: 'Cancelled',
    message: 'The backup was cancelled. Nothing was lost: the next backup cleans up and continues from the last complete one.',
  });
  expect(record.pruned).toBeUndefined();
  await expectNothingLostAndNextIncremental();
});

test('CancelBackup over D-Bus, as a non-root user: Completed says Cancelled', async () => {
  changeALot();
  const known = (await backupState(fx)).backups.map((b) => path.basename(b.path));
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: fx.bus.address };
  const backup = spawn('runuser', ['-u', fx.allowed.name, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${fx.bus.address}`, 'gjs', '-m', fx.callHelper, 'backup'], { env });
  let out = '';
  backup.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((resolve) => backup.once('exit', () => resolve()));
  const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);

  const denied = spawn('runuser', ['-u', fx.denied.name, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${fx.bus.address}`, 'gjs', '-m', fx.callHelper, 'call', 'CancelBackup'], { env });
  let deniedOut = '';
  denied.stdout.on('data', (d: Buffer) => (deniedOut += d.toString()));
  await new Promise((resolve) => denied.once('exit', resolve));
  expect(deniedOut).toContain('io.github.rewindbackup.Rewind.Error.NotAuthorized');

  const cancel = spawn('runuser', ['-u', fx.allowed.name, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${fx.bus.address}`, 'gjs', '-m', fx.callHelper, 'call', 'CancelBackup'], { env });
  let cancelOut = '';
  cancel.stdout.on('data', (d: Buffer) => (cancelOut += d.toString()));
  await new Promise((resolve) => cancel.once('exit', resolve));
  resume(frozen.receive);
  await done;
  expect(cancelOut.trim()).toBe('{"result":true}');
  const completed = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { completed?: boolean; result?: RunRecord })
    .find((m) => m.completed !== undefined);
  expect(completed?.completed).toBe(false);
  expect(completed?.result?.error?.code).toBe('Cancelled');
  // Nothing keeps running, and the helper takes the next backup.
  await waitFor('the helper to be idle', async () => {
    const state = await backupState(fx);
    return state.backups.every(isCompleteBackup) || undefined;
  });
  await expectNothingLostAndNextIncremental();
});
