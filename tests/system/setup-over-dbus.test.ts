import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { ACTIONS } from '../../src/core/ids';
import type { DiskInfo } from '../../src/helper/system/disks';
import type { Inventory } from '../../src/helper/engine/inventory';
import type { HelperStatus, HistoryPage } from '../../src/core/status';
import type { SubvolumeSize } from '../../src/core/subvolume-size';
import { TIME_LIMIT_MS } from '../../src/helper/system/subvolume-sizes';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh, shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { detachLoop, unmount } from '../support/loop-btrfs';
import { asUser } from '../support/system-bus';

/**
 * What the app's setup asks of the helper, over the real system
 * bus with polkitd, as non-root users: the configuration, the disks, preparing
 * an empty disk, and the restore points.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let emptyDisk: { device: string; sizeBytes: number };

function call(user: string, method: string, argument?: string): { result?: unknown; error?: { name: string; message: string } } {
  const r = asUser(user, fx.bus, 'gjs', ['-m', fx.callHelper, 'call', method, ...(argument === undefined ? [] : [argument])]);
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no answer (exit ${r.status}): ${r.stderr}\n${fx.bus.log()}`);
  return JSON.parse(line) as { result?: unknown; error?: { name: string; message: string } };
}

beforeAll(async () => {
  fx = await createBackupFixture();
  const image = `${fx.dir}/empty-disk.img`;
  sh('truncate', ['-s', '300M', image]);
  const device = sh('losetup', ['--find', '--show', image]).trim();
  fx.cleanup.add(`detach ${device}`, () => detachLoop(device));
  emptyDisk = { device, sizeBytes: 300 * 1024 * 1024 };
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('configuration', () => {
  test('GetConfig returns the file with its defaults filled in', () => {
    const { result } = call(fx.allowed.name, 'GetConfig');
    expect(result).toMatchObject({ version: 1, hostName: fx.hostName, schedule: { kind: 'hourly' }, destinations: [{ id: 'usb', kind: 'btrfs' }] });
  });

  test('SetConfig refuses a wrong configuration, naming the field, and keeps the file', () => {
    const before = readFileSync(fx.configPath, 'utf8');
    const config = call(fx.allowed.name, 'GetConfig').result as Config;
    const { error } = call(fx.allowed.name, 'SetConfig', JSON.stringify({ ...config, schedule: { kind: 'daily', at: '9:30' } }));
    expect(error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidConfig');
    expect(error?.message).toContain('schedule.at: must be a time of day such as 09:30; found "9:30"');
    expect(readFileSync(fx.configPath, 'utf8')).toBe(before);
  });

  test('SetConfig saves a valid one', () => {
    const config = call(fx.allowed.name, 'GetConfig').result as Config;
    const { result, error } = call(fx.allowed.name, 'SetConfig', JSON.stringify({ ...config, schedule: { kind: 'daily', at: '21:30' } }));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ config: { schedule: { kind: 'daily', at: '21:30' } } });
    expect(JSON.parse(readFileSync(fx.configPath, 'utf8'))).toMatchObject({ schedule: { kind: 'daily', at: '21:30' } });
  });

  test('a user without the configure right changes nothing', () => {
    const before = readFileSync(fx.configPath, 'utf8');
    const { error } = call(fx.denied.name, 'SetConfig', JSON.stringify({ version: 1, destinations: [] }));
    expect(error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    expect(readFileSync(fx.configPath, 'utf8')).toBe(before);
  });
});

describe('reading the settings is for the active session, the state for anyone', () => {
  // polkitd here has no logind: `denied` is in no active session, as a user logged in elsewhere, and has no rule for these.
  test("another user's GetConfig and ListRestorePoints are refused, each refusal logged once; GetStatus is not", async () => {
    for (const method of ['GetConfig', 'ListRestorePoints']) {
      const { result, error } = call(fx.denied.name, method);
      expect({ method, result }).toEqual({ method, result: undefined });
      expect(error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
      expect(error?.message).toMatch(/^Your account may not read the backup settings; .*active session/);
      const refusal = `rewind-helper: refused ${method} to uid ${fx.denied.uid}: polkit action ${ACTIONS.readConfig} not granted`;
      // The helper's stderr reaches us through the bus's output, read while the test waits.
      await waitFor(`the log line of the refused ${method}`, () => fx.bus.log().includes(refusal));
      await new Promise((r) => setTimeout(r, 300));
      expect({ method, times: fx.bus.log().split(refusal).length - 1 }).toEqual({ method, times: 1 });
    }
    expect(call(fx.denied.name, 'GetStatus').result).toMatchObject({ destinations: [{ id: 'usb' }] });
    // The user the rules allow (as polkit allows the active one) reads both.
    expect(call(fx.allowed.name, 'GetConfig').result).toMatchObject({ hostName: fx.hostName });
    expect(call(fx.allowed.name, 'ListRestorePoints').result).toMatchObject({ sources: [{ destinations: [{ destination: 'usb', connected: true }] }] });
  });
});

describe('disks', () => {
  test('ListDisks shows the backup disk as btrfs, the empty one as empty, and the source as in use', () => {
    const disks = call(fx.allowed.name, 'ListDisks').result as DiskInfo[];
    expect(disks.find((d) => d.path === fx.destination.device)).toMatchObject({ use: 'btrfs', uuid: fx.destination.uuid, label: 'backup-disk', name: 'backup-disk' });
    expect(disks.find((d) => d.path === emptyDisk.device)).toMatchObject({ use: 'empty', sizeBytes: emptyDisk.sizeBytes });
    // The configured source's disk: a backup there would be lost with the source.
    expect(disks.find((d) => d.path === fx.source.device)).toMatchObject({ use: 'source', mountpoints: [fx.home], why: expect.stringContaining('same disk') });
    // Setup asks with the folders chosen so far: a folder elsewhere leaves the source disk usable.
    const forOther = call(fx.allowed.name, 'ListDisks', JSON.stringify({ sources: ['/nonexistent-rewind-folder'] })).result as DiskInfo[];
    expect(forOther.find((d) => d.path === fx.source.device)).toMatchObject({ use: 'btrfs' });
    const refused = call(fx.allowed.name, 'ListDisks', JSON.stringify({ sources: ['../etc'] }));
    expect(refused.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');
  });

  test('PrepareDisk refuses a disk that is not empty, or not the size shown, and formats the empty one', () => {
    const notEmpty = call(fx.allowed.name, 'PrepareDisk', JSON.stringify({ path: fx.destination.device, sizeBytes: 256 * 1024 * 1024 }));
    expect(notEmpty.error?.message).toContain('is not empty');
    const wrongSize = call(fx.allowed.name, 'PrepareDisk', JSON.stringify({ path: emptyDisk.device, sizeBytes: 1 }));
    expect(wrongSize.error?.message).toContain('its size changed');
    const injected = call(fx.allowed.name, 'PrepareDisk', JSON.stringify({ path: '/dev/../etc/passwd', sizeBytes: 1 }));
    expect(injected.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');
    expect(call(fx.denied.name, 'PrepareDisk', JSON.stringify({ path: emptyDisk.device, sizeBytes: emptyDisk.sizeBytes })).error?.name).toBe(
      'io.github.rewindbackup.Rewind.Error.NotAuthorized',
    );
    // Still nothing on it: blkid finds no filesystem (exit 2).
    expect(shResult('blkid', ['-p', '-o', 'export', emptyDisk.device]).status).toBe(2);

    const { result, error } = call(fx.allowed.name, 'PrepareDisk', JSON.stringify({ path: emptyDisk.device, sizeBytes: emptyDisk.sizeBytes, label: 'My backups' }));
    expect(error).toBeUndefined();
    const uuid = (result as { uuid: string }).uuid;
    expect(sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', emptyDisk.device]).trim()).toBe(uuid);
    const disks = call(fx.allowed.name, 'ListDisks').result as DiskInfo[];
    expect(disks.find((d) => d.path === emptyDisk.device)).toMatchObject({ use: 'btrfs', label: 'My backups' });
  });
});

test('ListRestorePoints lists local snapshots and backups after a run', () => {
  const run = runBackupCli(fx);
  expect(run.ok).toBe(true);
  const inventory = call(fx.allowed.name, 'ListRestorePoints').result as Inventory;
  const name = run.transfers[0].snapshot;
  expect(inventory.sources[0].snapshots.map((s) => s.name)).toContain(name);
  expect(inventory.sources[0].destinations[0]).toMatchObject({ destination: 'usb', connected: true });
  expect(inventory.sources[0].destinations[0].backups.map((b) => b.name)).toContain(name);
});

describe('history, free space and sizes', () => {
  test('GetHistory returns the newest runs first, as many as asked, and the total', () => {
    runBackupCli(fx);
    const all = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as HistoryPage['runs'];
    expect(all.length).toBeGreaterThanOrEqual(2);
    const r = asUser(fx.denied.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'history', '1']);
    const page = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { result: HistoryPage }).result;
    // Reading the history is reading the status: anyone may.
    expect(page.total).toBe(all.length);
    expect(page.runs.map((run) => run.id)).toEqual([all.at(-1)?.id]);
    const wrong = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'history', '0']);
    expect(wrong.stdout).toContain('io.github.rewindbackup.Rewind.Error.InvalidArgs');
  });

  test('GetStatus reports the free space of a destination disk while it is mounted, as the desktop mounts it', () => {
    const unmounted = call(fx.allowed.name, 'GetStatus').result as HelperStatus;
    expect(unmounted.destinations[0].freeBytes).toBeUndefined();
    const media = path.join(fx.dir, 'media-backup-disk');
    mkdirSync(media);
    sh('mount', [fx.destination.device, media]);
    fx.cleanup.add(`unmount ${media}`, () => unmount(media));
    const status = call(fx.allowed.name, 'GetStatus').result as HelperStatus;
    const [available, blockSize, blocks] = sh('stat', ['-f', '-c', '%a %S %b', media]).trim().split(' ').map(Number);
    expect(status.destinations[0]).toMatchObject({ id: 'usb', freeBytes: available * blockSize, sizeBytes: blocks * blockSize });
    unmount(media);
    expect((call(fx.allowed.name, 'GetStatus').result as HelperStatus).destinations[0].freeBytes).toBeUndefined();
  });

  test('ListSubvolumes gives the size of each subvolume in bounded time, and says which folders are not subvolumes', () => {
    const started = Date.now();
    const { result, error } = call(fx.allowed.name, 'ListSubvolumes', JSON.stringify({ paths: [fx.home, fx.dir] }));
    const seconds = (Date.now() - started) / 1000;
    expect(error).toBeUndefined();
    const list = result as SubvolumeSize[];
    const du = Number(sh('du', ['-s', '-x', '-b', fx.home]).trim().split(/\s+/)[0]);
    expect(list.find((s) => s.path === fx.home)).toMatchObject({ subvolume: true, fsUuid: fx.source.uuid, sizeBytes: du, measuredBy: 'du', found: true });
    expect(du).toBeGreaterThan(3 * 1024 * 1024);
    expect(list.find((s) => s.path === fx.dir)).toMatchObject({ subvolume: false, found: false, why: expect.stringMatching(/not btrfs|not a subvolume/) });
    console.log(`ListSubvolumes over D-Bus: ${seconds.toFixed(2)} s for ${list.length} folders`);
    expect(seconds).toBeLessThan(TIME_LIMIT_MS / 1000 + 10);
    // Sizes are walked as root: the configured sources' are for whoever may read the settings, any other folder needs the configure right.
    expect(call(fx.denied.name, 'ListSubvolumes', JSON.stringify({ paths: [fx.home] })).error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    expect(call(fx.denied.name, 'ListSubvolumes', JSON.stringify({ paths: [fx.dir] })).error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    expect(call(fx.allowed.name, 'ListSubvolumes', JSON.stringify({ paths: ['relative'] })).error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');

    // With quotas on, the quota group answers at once.
    sh('btrfs', ['quota', 'enable', fx.home]);
    sh('btrfs', ['quota', 'rescan', '-w', fx.home]);
    const id = sh('btrfs', ['inspect-internal', 'rootid', fx.home]).trim();
    const line = sh('btrfs', ['qgroup', 'show', '--raw', '-f', fx.home]).split('\n').find((l) => l.trim().startsWith(`0/${id} `));
    const referenced = Number(line?.trim().split(/\s+/)[1]);
    const withQuota = call(fx.allowed.name, 'ListSubvolumes', JSON.stringify({ paths: [fx.home] })).result as SubvolumeSize[];
    expect(withQuota.find((s) => s.path === fx.home)).toMatchObject({ sizeBytes: referenced, measuredBy: 'qgroup' });
  });
});
