import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { configForFound, type Discovery, type FoundBackups } from '../../src/core/discovery';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { withDamagedBackupFile } from '../support/damaged-file';
import { sh } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createLoopBtrfs, mountLoop, unmount, type LoopBtrfs } from '../support/loop-btrfs';
import { mountLoopExt4 } from '../support/loop-ext4';
import { compareTrees } from '../support/tree-compare';

/**
 * "My computer died": backups made to a btrfs disk and to encrypted stream
 * files on an ext4 disk; then the configuration and the state are thrown away and the
 * home is a new, empty one (a fresh install). `discover` finds both disks and
 * says whose backups they hold, in words; the whole home comes back
 * byte-identical (after the "restart", when the restored subvolume is the one
 * mounted); and the configuration that keeps backing up to the disk makes the
 * next backup incremental on what is there. The encrypted ones open only
 * with the recovery key: a wrong one is refused and changes nothing; the
 * right one brings the home back, and is kept as this computer's key so the
 * backups go on encrypted, incrementally.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let stickUuid: string;
let stickDevice: string;
let backups: RunRecord[];
/** The recovery key `new-key` showed, as the person kept it, and another key. */
let recoveryKeyFile: string;
let wrongKeyFile: string;
let identity: string;

function helper(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function discover(): { discovery: Discovery; human: string } {
  const json = helper(['discover', '--json']);
  expect({ status: json.status, stderr: json.stderr }).toEqual({ status: 0, stderr: '' });
  const human = helper(['discover']);
  expect(human.status).toBe(0);
  return { discovery: JSON.parse(json.stdout) as Discovery, human: human.stdout };
}

function onDisk(discovery: Discovery, uuid: string): FoundBackups[] {
  return discovery.found.filter((f) => f.disk.uuid === uuid);
}

/** A fresh install's disk: a btrfs filesystem whose home subvolume, mounted at <root>/home, holds what the installer made. */
function freshInstall(suffix: string): { root: string; fresh: LoopBtrfs; freshTop: string; home: string } {
  const root = path.join(fx.dir, `sysimage${suffix}`);
  const fresh = createLoopBtrfs(fx.cleanup, fx.dir, `fresh${suffix}`, 256);
  const freshTop = path.join(fx.dir, `fresh${suffix}-top`);
  mountLoop(fx.cleanup, fresh, freshTop);
  sh('btrfs', ['subvolume', 'create', path.join(freshTop, 'home')]);
  unmount(freshTop);
  const home = path.join(root, 'home');
  mountLoop(fx.cleanup, fresh, home, 'home');
  writeFileSync(path.join(home, 'made-by-the-installer.txt'), 'fresh\n');
  return { root, fresh, freshTop, home };
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  const stick = mountLoopExt4(fx.cleanup, fx.dir, 'stick', 128, path.join(fx.dir, 'stick'));
  unmount(path.join(fx.dir, 'stick'));
  stickUuid = sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', stick.device]).trim();
  stickDevice = stick.device;
  writeFixtureConfig(
    fx,
    [
      { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind', label: 'Blue disk' },
      { id: 'stick', kind: 'files', filesystem: stickUuid, path: 'rewind', label: 'Stick', encrypt: true },
    ],
    { retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } } },
  );
  const key = helper(['new-key', '--json', '--destination', 'stick']);
  expect(key.status).toBe(0);
  identity = (JSON.parse(key.stdout) as { identity: string }).identity;
  recoveryKeyFile = path.join(fx.dir, 'recovery-key.txt');
  writeFileSync(recoveryKeyFile, `${identity}\n`, { mode: 0o600 });
  wrongKeyFile = path.join(fx.dir, 'another-key.txt');
  sh('age-keygen', ['-o', wrongKeyFile]);
  const first = runBackupCli(fx);
  writeFileSync(path.join(fx.home, 'alice/Documents/second.txt'), 'written before the computer died\n');
  const second = runBackupCli(fx);
  backups = [first, second];
  for (const r of backups) expect({ ok: r.ok, errors: r.transfers.filter((t) => !t.ok) }).toEqual({ ok: true, errors: [] });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('with no configuration, discover finds both disks and says whose backups they hold', () => {
  // The computer dies: no configuration, no state, no home.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);

  const { discovery, human } = discover();
  const names = backups.map((r) => r.transfers[0].snapshot);
  const [disk] = onDisk(discovery, fx.destination.uuid);
  expect(disk).toMatchObject({ kind: 'btrfs', host: fx.hostName, path: 'rewind', disk: { name: 'backup-disk' }, encrypted: false });
  expect(disk.folders.map((f) => ({ folder: f.folder, points: f.points }))).toEqual([{ folder: '/home', points: names }]);
  expect(disk.diskUsedBytes).toBeGreaterThan(3 * 1024 * 1024);
  const [files] = onDisk(discovery, stickUuid);
  expect(files).toMatchObject({ kind: 'files', host: fx.hostName, path: 'rewind', encrypted: true });
  expect(files.folders[0].points).toEqual(names);
  expect(files.bytes).toBeGreaterThan(0);
  // In words, not UUIDs: the computer, the disk (a disk without a label or model is a "Backup disk"), what and when.
  expect(human).toContain(`${fx.hostName}, on backup-disk (backup disk in the folder rewind)`);
  expect(human).toMatch(/\/home: 2 restore points, \d{4}-\d\d-\d\d \d\d:\d\d UTC to /);
  expect(human).toContain(`${fx.hostName}, on Backup disk (encrypted backup files in the folder rewind)`);
  // Only read: nothing of Rewind's was made, nothing is left mounted.
  expect(existsSync(fx.configPath)).toBe(false);
  expect(sh('findmnt', ['-rn', '-o', 'TARGET']).includes(fx.runtimeDir)).toBe(false);
});

test('a disk without Rewind backups is looked at and has none', () => {
  const empty = createLoopBtrfs(fx.cleanup, fx.dir, 'empty-disk', 128);
  const { discovery, human } = discover();
  expect(onDisk(discovery, empty.uuid)).toEqual([]);
  expect(discovery.disksSearched).toBeGreaterThanOrEqual(3);
  expect(human).not.toContain('empty-disk');
});

test('the whole home comes back in place of the fresh one, and keeping on backing up is incremental', async () => {
  const { discovery } = discover();
  const [found] = onDisk(discovery, fx.destination.uuid);
  const newest = found.folders[0].points.at(-1)!;

  // The fresh install: a new disk whose /home (at <root>/home) holds what setup made.
  const { root, fresh, freshTop, home } = freshInstall('');

  const r = helper(['restore-subvolume', '--json', '--into', home, '--destination', found.id, '--snapshot', newest, '--replace'], { REWIND_TARGET_ROOT: root });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const result = JSON.parse(r.stdout) as { keptAs: string; currentPath: string };
  expect(result.currentPath).toBe('home');
  // Nothing in use changed: the mounted home is still the fresh one until the restart.
  expect(readFileSync(path.join(home, 'made-by-the-installer.txt'), 'utf8')).toBe('fresh\n');

  // The restart: /home is mounted again by its name.
  unmount(home);
  mountLoop(fx.cleanup, fresh, home, 'home');
  await withTopLevel(fx, fx.destination, (destTop) => {
    expect(compareTrees(path.join(destTop, 'rewind', fx.hostName, 'home', newest), home)).toEqual([]);
  });
  mountLoop(fx.cleanup, fresh, freshTop);
  expect(readFileSync(path.join(freshTop, result.keptAs, 'made-by-the-installer.txt'), 'utf8')).toBe('fresh\n');
  unmount(freshTop);

  // "Keep backing up to this disk": the configuration the app writes for it.
  writeFileSync(fx.configPath, JSON.stringify(configForFound(found, [home])));
  writeFileSync(path.join(home, 'alice/Documents/third.txt'), 'written after the restore\n');
  const next = runBackupCli(fx);
  expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: newest });
  expect(next.transfers[0].bytes).toBeLessThan(64 * 1024);
});

test('encrypted backup files: a wrong recovery key changes nothing; the right one brings the home back, and backups go on with it', async () => {
  // The computer dies again; this time the home comes back from the encrypted files.
  rmSync(fx.configPath, { force: true });
  rmSync(fx.stateDir, { recursive: true, force: true });
  const { discovery } = discover();
  const [found] = onDisk(discovery, stickUuid);
  expect(found.encrypted).toBe(true);
  const newest = found.folders[0].points.at(-1)!;
  expect(newest).toBe(backups[1].transfers[0].snapshot);

  const { root, fresh, freshTop, home } = freshInstall('-2');
  const env = { REWIND_TARGET_ROOT: root };
  const restore = (keyFile: string) => helper(['restore-subvolume', '--json', '--into', home, '--destination', found.id, '--snapshot', newest, '--replace', '--key', keyFile], env);
  const subvolumes = () => {
    mountLoop(fx.cleanup, fresh, freshTop);
    try {
      return sh('btrfs', ['subvolume', 'list', '-o', freshTop]).trim().split('\n').map((line) => line.split(' path ')[1]);
    } finally {
      unmount(freshTop);
    }
  };

  // A wrong key: refused in a sentence that names the recovery key; nothing received, nothing swapped.
  const wrong = restore(wrongKeyFile);
  expect(wrong.status).not.toBe(0);
  expect(wrong.stderr).toContain(`The recovery key in ${wrongKeyFile} does not open these backups: they were encrypted with another key. Nothing was restored or changed.`);
  expect(subvolumes()).toEqual(['home']);
  expect(readFileSync(path.join(home, 'made-by-the-installer.txt'), 'utf8')).toBe('fresh\n');
  const wrongKeep = helper(['keep-backing-up', '--destination', found.id, '--key', wrongKeyFile], env);
  expect(wrongKeep.status).not.toBe(0);
  expect(wrongKeep.stderr).toContain('does not open these backups');
  expect(existsSync(fx.configPath)).toBe(false);

  // A damaged backup file: the restore names it and stops before anything is swapped in.
  const damaged = await withDamagedBackupFile(stickDevice, path.join(fx.dir, 'stick-by-hand'), path.join('rewind', fx.hostName, found.folders[0].dirName), () =>
    restore(recoveryKeyFile),
  );
  expect(damaged.result.status).not.toBe(0);
  expect(damaged.result.stderr).toContain(damaged.file);
  expect(subvolumes()).toEqual(['home']);
  expect(readFileSync(path.join(home, 'made-by-the-installer.txt'), 'utf8')).toBe('fresh\n');

  // The recovery key: the home comes back byte-identical after the restart.
  const right = restore(recoveryKeyFile);
  expect({ status: right.status, stderr: right.stderr }).toEqual({ status: 0, stderr: '' });
  unmount(home);
  mountLoop(fx.cleanup, fresh, home, 'home');
  await withTopLevel(fx, fx.destination, (destTop) => {
    expect(compareTrees(path.join(destTop, 'rewind', fx.hostName, 'home', newest), home)).toEqual([]);
  });

  // "Keep backing up to this disk": the recovery key becomes this computer's key for it, readable by root only.
  const keep = helper(['keep-backing-up', '--json', '--destination', found.id, '--key', recoveryKeyFile], env);
  expect({ status: keep.status, stderr: keep.stderr }).toEqual({ status: 0, stderr: '' });
  expect((JSON.parse(keep.stdout) as { sources: unknown }).sources).toEqual([{ path: home }]);
  const kept = path.join(fx.stateDir, 'keys', `${found.id}.agekey`);
  expect(statSync(kept).mode & 0o777).toBe(0o600);
  expect(readFileSync(kept, 'utf8').trim()).toBe(identity);

  // The next backup is encrypted for the same key and goes on from the chain on the disk.
  writeFileSync(path.join(home, 'alice/Documents/fourth.txt'), 'written after the encrypted restore\n');
  const next = runBackupCli(fx);
  expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: newest });
  const after = discover().discovery;
  expect(onDisk(after, stickUuid)[0].folders[0].points).toEqual([...found.folders[0].points, next.transfers[0].snapshot]);
});
