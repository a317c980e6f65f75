import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { PruneReport, RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { backupState, withTopLevel } from '../support/inspection';
import { detachLoop } from '../support/loop-btrfs';
import type { Inventory } from '../../src/helper/engine/inventory';

/**
 * The administrator's CLI against real disks: list, prune, clean, status,
 * and parent choice after the kinds of hand-made changes that break tools
 * which pair snapshots by name.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;

function writeConfig(extra: Record<string, unknown> = {}): void {
  writeFileSync(
    fx.configPath,
    JSON.stringify({
      version: 1,
      hostName: fx.hostName,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' }],
      ...extra,
    }),
  );
}

function touch(name: string): void {
  writeFileSync(path.join(fx.home, 'alice', name), `${name} ${Date.now()}\n`);
}

function backupNow(): RunRecord {
  const run = runBackupCli(fx);
  expect(run.error).toBeUndefined();
  return run;
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  // Keep everything while the parent-choice cases run; retention is tested below.
  writeConfig({ retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } } });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('parent choice survives hand-made changes', () => {
  test('snapshots renamed on both sides are still paired by UUID', async () => {
    const first = backupNow();
    expect(first.transfers[0].kind).toBe('full');
    const name = first.transfers[0].snapshot;
    await withTopLevel(fx, fx.source, (top) => sh('mv', [path.join(top, '.rewind/home', name), path.join(top, '.rewind/home/before-upgrade')]));
    await withTopLevel(fx, fx.destination, (top) => sh('mv', [path.join(top, fx.hostName, 'home', name), path.join(top, fx.hostName, 'home/kept-by-hand')]));
    touch('after-rename.txt');
    const run = backupNow();
    expect(run.transfers[0]).toMatchObject({ kind: 'incremental', parent: 'before-upgrade' });
    expect((await backupState(fx)).newestDiffers).toEqual([]);
  });

  test('after the newest source snapshot was deleted by hand, the older shared one is the parent', async () => {
    const older = backupNow().transfers[0].snapshot;
    touch('one.txt');
    const newest = backupNow().transfers[0].snapshot;
    await withTopLevel(fx, fx.source, (top) => sh('btrfs', ['subvolume', 'delete', path.join(top, '.rewind/home', newest)]));
    touch('two.txt');
    const run = backupNow();
    expect(run.transfers[0]).toMatchObject({ kind: 'incremental', parent: older });
    expect((await backupState(fx)).newestDiffers).toEqual([]);
  });

  test('after the destination was wiped, the send is full', async () => {
    await withTopLevel(fx, fx.destination, (top) => {
      const list = sh('btrfs', ['subvolume', 'list', '-o', path.join(top, fx.hostName, 'home')]);
      const paths = list.split('\n').filter(Boolean).map((l) => path.join(top, l.replace(/^.* path /, '')));
      sh('btrfs', ['subvolume', 'delete', ...paths]);
    });
    const run = backupNow();
    expect(run.transfers[0].kind).toBe('full');
    expect((await backupState(fx)).newestDiffers).toEqual([]);
  });
});

describe('a run with nothing changed', () => {
  const localSnapshots = () => withTopLevel(fx, fx.source, (top) => readdirSync(path.join(top, '.rewind/home')).sort());

  test('takes no new snapshot and sends nothing; a file written just before the next run is in that backup', async () => {
    touch('before-idle.txt');
    const first = backupNow().transfers[0];
    const before = await localSnapshots();
    const idle = backupNow().transfers[0];
    expect(idle).toMatchObject({ kind: 'up-to-date', ok: true, snapshot: first.snapshot, bytes: 0 });
    expect(await localSnapshots()).toEqual(before);
    // Not yet committed by btrfs when the run starts: the run must see it all the same.
    touch('just-before.txt');
    const next = backupNow().transfers[0];
    expect(next).toMatchObject({ kind: 'incremental', parent: first.snapshot, ok: true });
    expect(next.bytes).toBeGreaterThan(0);
    const state = await backupState(fx);
    expect(state.newestDiffers).toEqual([]);
    expect(state.homeDiffers).toEqual([]);
  });

  test('a backup of another snapshot under the same name on the destination is kept, and the run says why', async () => {
    touch('namesake.txt');
    const name = backupNow().transfers[0].snapshot;
    const backups = (top: string) => path.join(top, fx.hostName, 'home');
    // Replace the backup by one of the same name made from another snapshot (of the same
    // snapshot, so the source itself stays unchanged and the next run reuses its snapshot).
    const other = await withTopLevel(fx, fx.source, async (sourceTop) => {
      const elsewhere = path.join(sourceTop, 'elsewhere');
      sh('mkdir', [elsewhere]);
      sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(sourceTop, '.rewind/home', name), path.join(elsewhere, name)]);
      const uuid = /UUID:\s+(\S+)/.exec(sh('btrfs', ['subvolume', 'show', path.join(elsewhere, name)]))![1];
      await withTopLevel(fx, fx.destination, (top) => {
        sh('btrfs', ['subvolume', 'delete', path.join(backups(top), name)]);
        sh('bash', ['-c', 'btrfs send -q "$1" | btrfs receive -q "$2"', 'send', path.join(elsewhere, name), backups(top)]);
      });
      sh('btrfs', ['subvolume', 'delete', path.join(elsewhere, name)]);
      sh('rmdir', [elsewhere]);
      return uuid;
    });
    const refused = runBackupCli(fx);
    expect(refused.transfers[0]).toMatchObject({ kind: 'full', snapshot: name, ok: false, error: { code: 'TransferFailed' } });
    expect(refused.transfers[0].error?.message).toContain(`already has a backup named ${name} that was made from another snapshot`);
    const kept = (await backupState(fx)).backups.find((b) => path.basename(b.path) === name);
    expect(kept).toMatchObject({ readOnly: true, receivedUuid: other });

    // Once that backup is out of the way, the next run backs up again.
    await withTopLevel(fx, fx.destination, (top) => sh('btrfs', ['subvolume', 'delete', path.join(backups(top), name)]));
    expect(backupNow().transfers[0].ok).toBe(true);
    expect((await backupState(fx)).newestDiffers).toEqual([]);
  });
});

describe('list, prune and clean', () => {
  test('list shows every snapshot and backup, in human and JSON form', () => {
    const json = helperCommand(fx, ['list', '--json']);
    expect(json.status).toBe(0);
    const inventory = JSON.parse(json.stdout) as Inventory;
    const [home] = inventory.sources;
    expect(home.source).toBe(fx.home);
    expect(home.snapshots.map((s) => s.name)).toContain('before-upgrade');
    expect(home.destinations[0]).toMatchObject({ destination: 'usb', connected: true });
    expect(home.destinations[0].backups.every((b) => b.complete)).toBe(true);
    const human = helperCommand(fx, ['list']);
    expect(human.stdout).toContain(`${fx.home}\n  local snapshots (${home.snapshots.length}):`);
    expect(human.stdout).toContain(`  usb (${home.destinations[0].backups.length}):`);
  });

  test('prune --dry-run shows the decisions and deletes nothing; prune then applies them', () => {
    for (let i = 0; i < 3; i++) {
      touch(`round-${i}.txt`);
      backupNow();
    }
    // One snapshot a day, locally and on the disk: all of today's but the first go,
    // except the newest (and, on the source, the disk's next parent, the same one).
    writeConfig({ retention: { local: { preset: 'custom', daily: 1 }, destinations: { preset: 'custom', daily: 1 } } });
    const before = JSON.parse(helperCommand(fx, ['list', '--json']).stdout) as Inventory;
    const dry = helperCommand(fx, ['prune', '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    const { reports } = JSON.parse(dry.stdout) as { reports: PruneReport[] };
    const local = reports.find((r) => r.side === 'local')!;
    const onDisk = reports.find((r) => r.side === 'destination')!;
    expect(local.removed.length).toBeGreaterThan(0);
    expect(onDisk.removed.length).toBeGreaterThan(0);
    expect(local.kept.find((k) => k.name === 'before-upgrade')?.reasons).toEqual(['unknown name']);
    const newest = before.sources[0].snapshots.at(-1)!.name;
    expect(local.kept.find((k) => k.name === newest)?.reasons).toEqual(expect.arrayContaining(['newest', 'next parent for usb']));
    expect(onDisk.kept.find((k) => k.name === newest)?.reasons).toContain('next parent');
    expect(JSON.parse(helperCommand(fx, ['list', '--json']).stdout)).toEqual(before);

    const human = helperCommand(fx, ['prune', '--dry-run']);
    expect(human.stdout).toMatch(new RegExp(`^${fx.home}, local snapshots: keep \\d+, would remove ${local.removed.length}$`, 'm'));

    const real = JSON.parse(helperCommand(fx, ['prune', '--json']).stdout) as { reports: PruneReport[] };
    expect(real.reports.map((r) => r.removed)).toEqual(reports.map((r) => r.removed));
    const after = JSON.parse(helperCommand(fx, ['list', '--json']).stdout) as Inventory;
    expect(after.sources[0].snapshots.map((s) => s.name).sort()).toEqual(local.kept.map((k) => k.name).sort());
    expect(after.sources[0].destinations[0].backups.map((b) => b.name).sort()).toEqual(onDisk.kept.map((k) => k.name).sort());
    // The chain still works.
    touch('after-prune.txt');
    expect(backupNow().transfers[0]).toMatchObject({ kind: 'incremental', parent: newest });
  });

  test('clean removes a backup left incomplete, and says so', async () => {
    await withTopLevel(fx, fx.destination, (top) => sh('btrfs', ['subvolume', 'create', path.join(top, fx.hostName, 'home/20990101T000000Z')]));
    const out = helperCommand(fx, ['clean']);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('usb: removed 1 incomplete backup(s)\n  home/20990101T000000Z\n');
    expect((await backupState(fx)).backups.map((b) => path.basename(b.path))).not.toContain('20990101T000000Z');
  });

  test('with the disk unplugged, prune leaves it alone and keeps what it will need', () => {
    const lastSent = backupNow().transfers[0].snapshot;
    touch('while-away.txt');
    detachLoop(fx.destination.device);
    const away = runBackupCli(fx);
    // A disk that is away is skipped, not failed.
    expect(away).toMatchObject({ outcome: 'skipped', transfers: [], skipped: [{ destination: 'usb' }] });
    const { reports } = JSON.parse(helperCommand(fx, ['prune', '--json']).stdout) as { reports: PruneReport[] };
    expect(reports.find((r) => r.side === 'destination')).toMatchObject({ skipped: 'not connected', removed: [] });
    const local = reports.find((r) => r.side === 'local')!;
    expect(local.kept.find((k) => k.name === lastSent)?.reasons).toContain('next parent for usb');
    // Plugged in again: incremental from the snapshot kept for it.
    fx.destination.device = sh('losetup', ['--find', '--show', fx.destination.image]).trim();
    fx.cleanup.add(`detach ${fx.destination.device}`, () => detachLoop(fx.destination.device));
    expect(backupNow().transfers[0]).toMatchObject({ kind: 'incremental', parent: lastSent });
  });
});

describe('status and errors', () => {
  test('status reports the last run in JSON', () => {
    const out = helperCommand(fx, ['status', '--json']);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ configured: true, sources: [fx.home], lastSuccess: { ok: true } });
  });

  test('a broken config names the field, and nothing runs', () => {
    writeFileSync(fx.configPath, JSON.stringify({ version: 1, sources: [{ path: 'home' }], destinations: [] }));
    const out = helperCommand(fx, ['run']);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain('sources[0].path: must be an absolute path; found "home"');
  });

  test('wrong usage exits 2 with the usage', () => {
    const out = helperCommand(fx, ['frobnicate']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('Unknown command "frobnicate"');
  });
});
