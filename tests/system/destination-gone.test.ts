import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh, shResult, startProcess, stopProcess, waitFor } from '../support/exec';
import { freezeTransfer, liveBackupDir, resume, runBackupCli, startBackupCli } from '../support/helper-run';
import { backupState } from '../support/inspection';
import { createLoopBtrfs, detachLoop, type LoopBtrfs } from '../support/loop-btrfs';
import { writeRandomFile } from '../support/random-file';

/**
 * A backup disk that disappears in the middle of a run. The disk image sits
 * on a FUSE filesystem (bindfs) standing in for the USB connection: killing
 * bindfs makes every read and write of the disk fail, as when a cable is
 * pulled. Plugging it back in is a new bindfs and a new loop device on the
 * same image.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let disk: LoopBtrfs;
let store: string;
let port: string;
let bindfs: ReturnType<typeof startProcess> | undefined;

async function plugIn(): Promise<void> {
  bindfs = startProcess('bindfs', ['-f', store, port]);
  await waitFor('the disk connection (bindfs)', () => shResult('mountpoint', ['-q', port]).status === 0 || undefined);
}

async function unplug(): Promise<void> {
  bindfs?.child.kill('SIGKILL');
  if (bindfs) await stopProcess(bindfs.child);
  bindfs = undefined;
  shResult('fusermount', ['-u', '-z', port]);
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 1024 });
  store = path.join(fx.dir, 'usb-store');
  port = path.join(fx.dir, 'usb-port');
  mkdirSync(store);
  mkdirSync(port);
  fx.cleanup.add('remove the disk store', () => rmSync(store, { recursive: true, force: true }));
  fx.cleanup.add('unplug the disk', unplug);
  await plugIn();
  disk = createLoopBtrfs(fx.cleanup, port, 'usb', 1024);
  writeFileSync(
    fx.configPath,
    JSON.stringify({
      version: 1,
      hostName: fx.hostName,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'usb', kind: 'btrfs', filesystem: disk.uuid, label: 'Removable disk' }],
    }),
  );
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a backup disk unplugged mid-run', () => {
  let first: RunRecord;

  test('the run fails and says the disk stopped responding', async () => {
    first = runBackupCli(fx);
    expect(first.transfers[0]).toMatchObject({ ok: true, kind: 'full' });
    writeRandomFile(path.join(fx.home, 'alice/big.bin'), 96);
    const known = (await backupState(fx, disk)).backups.map((b) => path.basename(b.path));

    const run = startBackupCli(fx);
    const frozen = await freezeTransfer(fx, liveBackupDir(fx, disk.uuid), known);
    await unplug();
    resume(frozen.receive);
    const result = JSON.parse(await run.done) as RunRecord;
    expect(result.ok).toBe(false);
    expect(result.transfers[0].ok).toBe(false);
    expect(result.transfers[0].error?.code).toBe('DestinationMissing');
    expect(result.transfers[0].error?.message).toMatch(/^The backup disk stopped responding .*Connect the backup disk, then try again\.$/);
  });

  test('plugged in again, the next run is incremental from the last good backup and nothing is lost', async () => {
    detachLoop(disk.device);
    await plugIn();
    disk.device = sh('losetup', ['--find', '--show', disk.image]).trim();
    fx.cleanup.add(`detach ${disk.device}`, () => detachLoop(disk.device));

    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: first.transfers[0].snapshot });
    const state = await backupState(fx, disk);
    expect(state.backups.every(isCompleteBackup)).toBe(true);
    expect(state.backups.map((b) => path.basename(b.path))).toEqual([first.transfers[0].snapshot, run.transfers[0].snapshot]);
    expect(state.newestDiffers).toEqual([]);
    expect(state.homeDiffers).toEqual([]);
  });
});
