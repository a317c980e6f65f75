import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { FolderListing } from '../../src/core/browse-request';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import type { RestoreResult } from '../../src/core/restore-request';
import { ACTIONS } from '../../src/core/ids';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { callAs } from '../support/browse-calls';
import { sh } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { createLoopBtrfs, mountLoop, unmount } from '../support/loop-btrfs';
import { compareTrees } from '../support/tree-compare';

/**
 * "I reinstalled onto a new disk; the old one still works": the fixture's
 * source filesystem is that old system disk, with an installation (its
 * /etc/hostname says "oldbox") and a home from which two real backup runs
 * left Rewind's snapshots in `.rewind/home`. Someone's disk, so planted
 * beside them: a writable subvolume and a link named like snapshots, and a
 * read-only snapshot that is not named like one. Then the configuration and
 * the state are thrown away and the old disk is only plugged in.
 * `discover` lists its snapshots as their own kind of find, named after the
 * old computer, with exactly the two points; the newer one comes back
 * byte-identical onto a new disk, whole and one file through the restore
 * browser's calls; keeping on backing up there is refused in
 * words; and the old disk is never written: every mount of it is read-only
 * (the real mount, with what it was asked written down on the way) and its
 * superblock's generation stays the same.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let oldTop: string;
let names: string[];
/** Where the mounts the helper asks for are written down (../support: none watches mount, so one is put before it in PATH). */
let mountLog: string;
let watchBin: string;

function helper(args: string[]): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: `${watchBin}:${process.env.PATH ?? ''}` } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The options of every mount of the old disk the helper made since the last call. */
function oldDiskMounts(): string[][] {
  const lines = existsSync(mountLog) ? readFileSync(mountLog, 'utf8').split('\n') : [];
  rmSync(mountLog, { force: true });
  return lines
    .map((line) => line.split(' '))
    .filter((args) => args.includes(fx.source.device))
    .map((args) => (args.includes('-o') ? args[args.indexOf('-o') + 1].split(',') : []));
}

function discover(): { discovery: Discovery; human: string } {
  const json = helper(['discover', '--json']);
  expect({ status: json.status, stderr: json.stderr }).toEqual({ status: 0, stderr: '' });
  const human = helper(['discover']);
  expect(human.status).toBe(0);
  return { discovery: JSON.parse(json.stdout) as Discovery, human: human.stdout };
}

function oldSnapshots(discovery: Discovery): FoundBackups[] {
  return discovery.found.filter((f) => f.disk.uuid === fx.source.uuid);
}

/** The old disk's generation: any write to it (a mount that is not read-only, a log replayed) moves it on. */
function generation(): string {
  return /^generation\s+(\d+)$/m.exec(sh('btrfs', ['inspect-internal', 'dump-super', fx.source.device]))![1];
}

beforeAll(async () => {
  // The second account may use the restore browser (as a person at the computer may) but is no administrator.
  fx = await createBackupFixture({
    extraRules: (_allowed, denied) => [
      { user: denied.name, action: ACTIONS.readConfig, result: 'YES' },
      { user: denied.name, action: ACTIONS.restoreOwnFiles, result: 'YES' },
      { user: denied.name, action: ACTIONS.restoreFiles, result: 'NO' },
    ],
  });
  mountLog = path.join(fx.dir, 'mounts.log');
  watchBin = path.join(fx.dir, 'watch-bin');
  mkdirSync(watchBin);
  writeFileSync(path.join(watchBin, 'mount'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${mountLog}\nexec ${sh('sh', ['-c', 'command -v mount']).trim()} "$@"\n`);
  chmodSync(path.join(watchBin, 'mount'), 0o755);
  oldTop = path.join(fx.dir, 'old-top');
  mountLoop(fx.cleanup, fx.source, oldTop);
  // The old installation's root, which names the computer.
  sh('btrfs', ['subvolume', 'create', path.join(oldTop, 'root')]);
  mkdirSync(path.join(oldTop, 'root/etc'));
  writeFileSync(path.join(oldTop, 'root/etc/hostname'), 'oldbox\n');

  writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind', label: 'Blue disk' }], {
    retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } },
  });
  const first = runBackupCli(fx);
  writeFileSync(path.join(fx.home, 'alice/Documents/second.txt'), 'written before the reinstall\n');
  const second = runBackupCli(fx);
  for (const r of [first, second]) expect({ ok: r.ok, errors: r.transfers.filter((t) => !t.ok) }).toEqual({ ok: true, errors: [] });
  names = [first, second].map((r) => r.transfers[0].snapshot);

  // Named like snapshots, but no snapshots of a run: a writable subvolume, and a link to the newest one.
  const folder = path.join(oldTop, '.rewind/home');
  sh('btrfs', ['subvolume', 'create', path.join(folder, '20990101T000000Z')]);
  symlinkSync(names[1], path.join(folder, '20980101T000000Z'));
  sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(oldTop, 'home'), path.join(folder, 'before-upgrade')]);

  // The reinstall: no configuration, no state; the old disk is plugged in, not mounted.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);
  unmount(oldTop);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test("discover lists the old disk's snapshots, named after the old computer, and nothing planted beside them", () => {
  const before = generation();
  const { discovery, human } = discover();
  const [found, ...more] = oldSnapshots(discovery);
  expect(more).toEqual([]);
  expect(found).toMatchObject({ kind: 'snapshots', host: 'oldbox', path: '.rewind', disk: { name: 'source' }, encrypted: false });
  expect(found.folders.map((f) => ({ folder: f.folder, points: f.points }))).toEqual([{ folder: '/home', points: names }]);
  // The backups on the backup disk are a find of their own.
  expect(discovery.found.filter((f) => f.disk.uuid === fx.destination.uuid).map((f) => f.kind)).toEqual(['btrfs']);
  expect(human).toContain("oldbox, on source (snapshots kept on the old computer's own disk: they can be restored from, not backed up to)");
  expect(human).toContain(`/home: 2 restore points,`);
  // Only read: nothing made, nothing left mounted, the old disk not written.
  expect(existsSync(fx.configPath)).toBe(false);
  expect(sh('findmnt', ['-rn', '-o', 'TARGET']).includes(fx.runtimeDir)).toBe(false);
  const mounts = oldDiskMounts();
  expect(mounts.length).toBeGreaterThan(0);
  expect(mounts.filter((options) => !options.includes('ro'))).toEqual([]);
  expect(generation()).toBe(before);
});

test('the newer snapshot comes back onto a new disk byte-identical; what was planted is refused', () => {
  const [found] = oldSnapshots(discover().discovery);
  oldDiskMounts();
  const before = generation();
  const fresh = createLoopBtrfs(fx.cleanup, fx.dir, 'new-disk', 256);
  const freshTop = path.join(fx.dir, 'new-top');
  mountLoop(fx.cleanup, fresh, freshTop);
  sh('btrfs', ['subvolume', 'create', path.join(freshTop, 'home')]);
  const home = path.join(fx.dir, 'new-home');
  mountLoop(fx.cleanup, fresh, home, 'home');

  const restore = (snapshot: string) => helper(['restore-subvolume', '--json', '--into', home, '--destination', found.id, '--snapshot', snapshot]);
  for (const planted of ['20990101T000000Z', '20980101T000000Z']) {
    const refused = restore(planted);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`There is no snapshot ${planted} of home on source.`);
  }
  const r = restore(names[1]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const result = JSON.parse(r.stdout) as { subvolume: string; snapshot: string };

  const restored = path.join(freshTop, result.subvolume);
  expect(readFileSync(path.join(restored, 'alice/Documents/second.txt'), 'utf8')).toBe('written before the reinstall\n');
  const look = path.join(fx.dir, 'old-look');
  mkdirSync(look, { recursive: true });
  sh('mount', ['-o', 'ro,subvolid=5', fx.source.device, look]);
  try {
    expect(compareTrees(path.join(look, '.rewind/home', names[1]), restored)).toEqual([]);
  } finally {
    unmount(look);
  }
  // Sent from a read-only mount: the old disk is as it was.
  const mounts = oldDiskMounts();
  expect(mounts.length).toBeGreaterThan(0);
  expect(mounts.filter((options) => !options.includes('ro'))).toEqual([]);
  expect(generation()).toBe(before);
});

test("one file comes back through the restore browser's calls, read where it is on the old disk", () => {
  const user = fx.allowed.name;
  const discovery = callAs<Discovery>(fx, user, 'DiscoverBackups', {});
  expect(discovery.error).toBeUndefined();
  const found = oldSnapshots(discovery.result!)[0];
  expect(found).toMatchObject({ kind: 'snapshots', host: 'oldbox' });
  const before = generation();
  const listing = callAs<FolderListing>(fx, user, 'ListFolder', { from: found.id, snapshot: names[1], path: 'alice/Documents' });
  expect(listing.error).toBeUndefined();
  expect(listing.result!.entries.map((e) => e.name)).toContain('second.txt');
  // Named like a snapshot, not one: nothing to list.
  expect(callAs<FolderListing>(fx, user, 'ListFolder', { from: found.id, snapshot: '20990101T000000Z', path: 'alice' }).error?.message).toContain('There is no snapshot 20990101T000000Z');

  const to = path.join(fx.dir, 'restored-file');
  mkdirSync(to);
  sh('chown', [`${user}:${user}`, to]);
  const restored = callAs<RestoreResult>(fx, user, 'RestoreFiles', { from: found.id, snapshot: names[1], paths: ['alice/Documents/second.txt'], to: { folder: to } });
  expect(restored.error).toBeUndefined();
  expect(readFileSync(path.join(to, 'second.txt'), 'utf8')).toBe('written before the reinstall\n');
  expect(generation()).toBe(before);

  // Another computer's files carry its owner numbers, which here may be anyone's: only an administrator opens them.
  const other = fx.denied.name;
  expect(callAs<Discovery>(fx, other, 'DiscoverBackups', {}).error).toBeUndefined();
  const point = { from: found.id, snapshot: names[1] };
  const refusals = [
    callAs<FolderListing>(fx, other, 'ListFolder', { ...point, path: 'alice/Documents' }),
    callAs<unknown>(fx, other, 'WhatChanged', point),
    callAs<unknown>(fx, other, 'Search', { ...point, pattern: 'second' }),
    callAs<unknown>(fx, other, 'ListVersions', { points: [point], path: 'alice/Documents/second.txt' }),
    callAs<RestoreResult>(fx, other, 'RestoreFiles', { ...point, paths: ['alice/Documents/second.txt'], to: { folder: to } }),
  ];
  for (const answer of refusals) {
    expect(answer.result).toBeUndefined();
    expect(answer.error?.message).toContain('Your account is not allowed to restore files your account cannot read');
  }
});

test('keeping on backing up to the old snapshots is refused in words, and nothing is saved', () => {
  const [found] = oldSnapshots(discover().discovery);
  const keep = helper(['keep-backing-up', '--destination', found.id]);
  expect(keep.status).not.toBe(0);
  expect(keep.stderr).toContain('These are snapshots that an earlier installation kept on its own disk, not backups');
  expect(existsSync(fx.configPath)).toBe(false);
});

test('an /etc/hostname that is a link names nobody: the snapshots are an earlier installation', () => {
  mountLoop(fx.cleanup, fx.source, oldTop);
  writeFileSync(path.join(oldTop, 'root/etc/elsewhere'), 'notme\n');
  rmSync(path.join(oldTop, 'root/etc/hostname'));
  symlinkSync('elsewhere', path.join(oldTop, 'root/etc/hostname'));
  unmount(oldTop);
  const { discovery, human } = discover();
  const [found] = oldSnapshots(discovery);
  expect(found).toMatchObject({ kind: 'snapshots', host: '' });
  expect(found.folders[0].points).toEqual(names);
  expect(human).toContain('An earlier installation, on source (snapshots kept');
});
