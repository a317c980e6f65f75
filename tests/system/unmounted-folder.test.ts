import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import type { HelperStatus, RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { mountLoopExt4 } from '../support/loop-ext4';
import { asUser } from '../support/system-bus';

/**
 * A folder destination on a filesystem that is already mounted (a share, a
 * folder on another disk: "path" without "filesystem"), here an ext4 loop
 * disk: the helper records its mount point when the destination is saved,
 * and a run writes only while that is mounted. Unmounted, the empty mount
 * point is a folder on the system disk: nothing may be written there or
 * anywhere else, the run skips the destination and the status says it is
 * not connected. Older configurations without the mount point use the
 * folder only when it exists.
 */
jest.setTimeout(600_000);

let fx: BackupFixture;
let share: string;
let device: string;

function call(method: string, argument?: string): { result?: unknown; error?: { name: string; message: string } } {
  const r = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'call', method, ...(argument === undefined ? [] : [argument])]);
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no answer (exit ${r.status}): ${r.stderr}\n${fx.bus.log()}`);
  return JSON.parse(line) as { result?: unknown; error?: { name: string; message: string } };
}

function savedDestinations(): Record<string, unknown>[] {
  return (JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Record<string, unknown>[] }).destinations;
}

function writeDestinations(destinations: object[]): void {
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations }));
}

function connected(id: string): boolean | undefined {
  const out = helperCommand(fx, ['status', '--json']);
  expect(out.status).toBe(0);
  return (JSON.parse(out.stdout) as HelperStatus).destinations.find((d) => d.id === id)?.connected;
}

/** Everything under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function mount(): void {
  sh('mount', [device, share]);
}

function expectSkipped(record: RunRecord, id: string, reason: RegExp): void {
  expect(record.transfers.filter((t) => t.destination === id)).toEqual([]);
  const skipped = record.skipped?.find((s) => s.destination === id);
  expect(skipped?.reason).toMatchObject({ code: 'DestinationMissing' });
  expect(skipped?.reason.message).toMatch(reason);
}

beforeAll(async () => {
  fx = await createBackupFixture();
  share = path.join(fx.dir, 'share');
  ({ device } = mountLoopExt4(fx.cleanup, fx.dir, 'share', 256, share));
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a folder on a mounted share', () => {
  const folder = () => path.join(share, 'rewind');
  let first: string;

  test('saving it records the mount point; a missing folder on the system disk is refused', () => {
    const config = call('GetConfig').result as Config;
    const shareDestination = { id: 'share', kind: 'files', path: folder(), label: 'NAS share' };
    const saved = call('SetConfig', JSON.stringify({ ...config, destinations: [shareDestination] }));
    expect(saved.error).toBeUndefined();
    expect(savedDestinations()).toEqual([expect.objectContaining({ id: 'share', path: folder(), mountPoint: share })]);

    const before = readFileSync(fx.configPath, 'utf8');
    const nowhere = path.join(fx.dir, 'not-mounted', 'rewind');
    const refused = call('SetConfig', JSON.stringify({ ...config, destinations: [shareDestination, { id: 'nowhere', kind: 'files', path: nowhere }] }));
    expect(refused.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidConfig');
    expect(refused.error?.message).toContain(`The folder ${nowhere} does not exist, and it would be made on the system disk`);
    expect(readFileSync(fx.configPath, 'utf8')).toBe(before);
  });

  test('mounted: it backs up, and the status says connected', () => {
    const record = runBackupCli(fx);
    expect(record.transfers).toEqual([expect.objectContaining({ destination: 'share', ok: true, kind: 'full' })]);
    first = record.transfers[0].snapshot;
    expect(existsSync(path.join(folder(), fx.hostName, 'home', 'manifest.json'))).toBe(true);
    expect(connected('share')).toBe(true);
  });

  test('unmounted: skipped, nothing written into the empty mount point, not connected; mounted again: incremental', () => {
    sh('umount', [share]);
    writeFileSync(path.join(fx.home, 'alice', 'while-away.txt'), 'written while the share was away\n');
    const localBefore = tree(fx.dir);
    expect(readdirSync(share)).toEqual([]);

    const record = runBackupCli(fx);
    expectSkipped(record, 'share', /The shared folder NAS share .* is not mounted: nothing is mounted at /);
    expect(record.outcome).toBe('skipped');
    expect(readdirSync(share)).toEqual([]);
    expect(tree(fx.dir)).toEqual(localBefore);
    expect(connected('share')).toBe(false);

    mount();
    expect(connected('share')).toBe(true);
    const again = runBackupCli(fx);
    expect(again.transfers).toEqual([expect.objectContaining({ destination: 'share', ok: true, kind: 'incremental', parent: first })]);
  });
});

describe('a folder destination saved before mount points were recorded', () => {
  test('is used only when its folder exists: never made, on the share or on the system disk', () => {
    const folder = path.join(share, 'older');
    writeDestinations([{ id: 'older', kind: 'files', path: folder, label: 'Older share' }]);

    sh('umount', [share]);
    const record = runBackupCli(fx);
    expectSkipped(record, 'older', /The backup folder .*older of Older share does not exist\. Rewind does not create it.* rather than on the system disk/);
    expect(readdirSync(share)).toEqual([]);
    expect(connected('older')).toBe(false);

    mount();
    expectSkipped(runBackupCli(fx), 'older', /does not exist/);
    expect(existsSync(folder)).toBe(false);

    mkdirSync(folder);
    expect(connected('older')).toBe(true);
    expect(runBackupCli(fx).transfers).toEqual([expect.objectContaining({ destination: 'older', ok: true, kind: 'full' })]);
    expect(existsSync(path.join(folder, fx.hostName, 'home', 'manifest.json'))).toBe(true);
  });
});
