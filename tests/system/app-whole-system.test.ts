import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { subvolumeDirName } from '../../src/core/snapshot-name';
import type { RunRecord } from '../../src/core/status';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { createBackupFixture, inspect, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, startXvfb } from '../support/display';
import { sh, shResult, waitFor } from '../support/exec';
import { mountLoop, unmount } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * "The whole system", chosen in the app, on a btrfs system disk laid out
 * as Fedora's: the top level holds `root` (the system, mounted where the app
 * is told "/" is: REWIND_SYSTEM_ROOT, since this machine's own / is not
 * btrfs) and `home` (the fixture's /home). The system holds a subvolume of
 * its own (var/lib/machines) and snapper's `.snapshots` with a read-only
 * snapshot in it; the person's home holds a container store that is a
 * subvolume already and a cache folder that is not.
 * Setup: the whole system with the caches and the container store left
 * out, as ticked by default; the cache folder is kept apart on Continue,
 * the container store only named in the configuration's exclude; the
 * backup holds every subvolume of the disk but those, snapper's and
 * Rewind's own. Preferences then includes the container store again: it
 * stays a subvolume, leaves exclude and is in the next backup, while
 * Rewind's snapshots of the first backup are still not. Screenshots in both
 * styles.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let home: string;
let sysroot: string;
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

const history = () => JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
const config = () => JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
const isSubvolume = (folder: string) => shResult('stat', ['-c', '%i', folder]).stdout.trim() === '256';
/** A source of the whole system as the history names it: the root and the subvolume's path on the disk. */
const label = (below: string) => `${sysroot}: ${below}`;

beforeAll(async () => {
  fx = await createBackupFixture({ sourceMiB: 384 });
  rmSync(fx.configPath);
  // The system: `root` beside `home` on the same disk, as Fedora installs it.
  const top = path.join(fx.dir, 'system-top');
  mountLoop(fx.cleanup, fx.source, top);
  const root = path.join(top, 'root');
  sh('btrfs', ['subvolume', 'create', root]);
  for (const dir of ['etc', 'usr/bin', 'var/lib']) mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'etc', 'hostname'), 'workstation\n');
  writeFileSync(path.join(root, 'usr', 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  sh('btrfs', ['subvolume', 'create', path.join(root, 'var/lib/machines')]);
  writeFileSync(path.join(root, 'var/lib/machines', 'container.conf'), 'machine\n');
  // snapper's: .snapshots, a subvolume, holding a read-only snapshot of the system.
  sh('btrfs', ['subvolume', 'create', path.join(root, '.snapshots')]);
  mkdirSync(path.join(root, '.snapshots', '1'));
  sh('btrfs', ['subvolume', 'snapshot', '-r', root, path.join(root, '.snapshots', '1', 'snapshot')]);
  unmount(top);
  sysroot = path.join(fx.dir, 'sysroot');
  mountLoop(fx.cleanup, fx.source, sysroot, 'root');

  // The person's home in /home, with a cache folder and a container store that is a subvolume already.
  home = path.join(fx.home, fx.allowed.name);
  for (const dir of ['Documents', '.cache/thumbnails', '.local/share']) mkdirSync(path.join(home, dir), { recursive: true });
  writeFileSync(path.join(home, 'Documents', 'letter.txt'), 'Dear reader,\n');
  writeFileSync(path.join(home, '.cache', 'thumbnails', 'big.png'), Buffer.alloc(256 * 1024, 1));
  const store = path.join(home, '.local/share/containers');
  sh('btrfs', ['subvolume', 'create', store]);
  writeFileSync(path.join(store, 'layer.tar'), Buffer.alloc(128 * 1024, 3));
  sh('chown', ['-R', `${fx.allowed.uid}:${fx.allowed.uid}`, home]);
  chmodSync(home, 0o755);

  display = await startXvfb(fx.cleanup);
  const cacheHome = path.join(fx.dir, 'user-cache');
  mkdirSync(cacheHome);
  chownSync(cacheHome, fx.allowed.uid, fx.allowed.uid);
  userEnv = await startUserSession(fx, display, ['TZ=UTC', `HOME=${home}`, `XDG_CACHE_HOME=${cacheHome}`, `REWIND_SYSTEM_ROOT=${sysroot}`]);
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** The folder on the disk with the backups of this machine. */
function machineDir(disk: string): string {
  const d = config().destinations[0];
  return path.join(disk, d.kind === 'btrfs' ? d.path : '', config().hostName ?? hostname());
}

/** The newest backup of a subvolume (by its path on the system disk). */
function newest(disk: string, below: string): string {
  const dir = path.join(machineDir(disk), subvolumeDirName(below));
  return path.join(dir, readdirSync(dir).sort().at(-1)!);
}

/** Nothing of a subvolume nested in a backed-up one: a snapshot leaves it out (its folder is not even sent). */
const nothingIn = (folder: string) => (existsSync(folder) ? readdirSync(folder) : []);

const storeBelow = () => `home/${fx.allowed.name}/.local/share/containers`;

describe('the whole system', () => {
  test('setup: every subvolume of the system disk, without snapper’s, Rewind’s own, the caches and the container store', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    const { step } = app;
    await waitFor('the welcome page', () => app!.output().includes('rewind: page not-configured') || undefined, 30_000);
    await step('setup', undefined, 'rewind: setup page what');
    await waitFor('the sizes', () => app!.output().includes('rewind: setup sources ') || undefined, 60_000);
    await step('setup.what-choice', 'system', `rewind: setup sources ${sysroot} ready system`);
    await settle();
    await app.shoot('whole-system-1-setup');

    await step('setup.continue', undefined, 'rewind: setup page where', 120_000);
    // The cache folder is kept apart; the container store is a subvolume already: nothing to change on the disk.
    expect(app.output()).toContain(`rewind: setup apart ${home}/.cache`);
    expect(app.output()).not.toContain(`rewind: setup apart ${home}/.local/share/containers`);
    expect(isSubvolume(path.join(home, '.cache'))).toBe(true);
    await waitFor('the disks', () => app!.output().includes('rewind: setup disks') || undefined, 30_000);
    await step('setup.choose-disk', fx.destination.device, 'rewind: setup page when');
    await step('setup.continue', undefined, 'rewind: setup page summary');
    const completed = app.count('rewind: backup completed ok');
    await step('setup.save', undefined, 'rewind: setup saved', 60_000);
    expect(config().sources).toEqual([{ allSubvolumesOf: sysroot }]);
    expect([...(config().exclude ?? [])].sort()).toEqual([`${home}/.cache`, `${home}/.local/share/containers`]);

    await waitFor('the first backup', () => app!.count('rewind: backup completed ok') > completed || /rewind: backup failed \S+/.exec(app!.output())?.[0], 90_000);
    const record = history().at(-1)!;
    expect(record).toMatchObject({ ok: true });
    expect(record.transfers.map((t) => [t.source, t.kind, t.ok]).sort()).toEqual([
      [label('home'), 'full', true],
      [label('root'), 'full', true],
      [label('root/var/lib/machines'), 'full', true],
    ]);
    const disk = inspect(fx, fx.destination, 'whole-system-1');
    expect(readdirSync(machineDir(disk)).sort()).toEqual(['home', 'root', 'root/var/lib/machines'].map(subvolumeDirName).sort());
    const system = newest(disk, 'root');
    expect(readFileSync(path.join(system, 'usr/bin/tool'), 'utf8')).toBe('#!/bin/sh\necho tool\n');
    // What a snapshot of the system leaves out by itself: snapper's snapshots, the machines (backed up on their own).
    expect(nothingIn(path.join(system, '.snapshots'))).toEqual([]);
    expect(readFileSync(path.join(newest(disk, 'root/var/lib/machines'), 'container.conf'), 'utf8')).toBe('machine\n');
    const homes = newest(disk, 'home');
    expect(readFileSync(path.join(homes, fx.allowed.name, 'Documents/letter.txt'), 'utf8')).toBe('Dear reader,\n');
    expect(nothingIn(path.join(homes, fx.allowed.name, '.cache'))).toEqual([]);
    expect(nothingIn(path.join(homes, fx.allowed.name, '.local/share/containers'))).toEqual([]);
    expect(readdirSync(path.join(homes, fx.allowed.name)).sort()).toEqual(['.local', 'Documents']);
    await app.step('restore-points', undefined, 'rewind: restore points ');
    await settle();
    await app.shoot('whole-system-4-restore-points');
  });

  test('Preferences, dark: including the container store again backs it up, still a subvolume, and still not Rewind’s own snapshots', async () => {
    app = startApp(fx, userEnv, display, shots, 'dark');
    await waitFor('the main page', () => app!.output().includes('rewind: state ready') || undefined, 30_000);
    // The main page says what is backed up in words: the whole system, not where its disk is mounted.
    const main = await waitFor('what is backed up', async () => {
      const texts = (await app!.texts()).flatMap((w) => w.texts);
      return texts.includes('The whole system') ? texts : undefined;
    }, 30_000);
    expect(main.filter((t) => t.includes(sysroot) || t.includes('everything on the disk'))).toEqual([]);
    await waitFor('the page shown', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
    await settle();
    await app.shoot('whole-system-0-main');
    app.activate('preferences');
    await waitFor('the choice read from the configuration', () => app!.output().includes(`rewind: prefs sources ${sysroot} ready system`) || undefined, 60_000);
    app.activate('prefs.show-what');
    await settle();
    await app.shoot('whole-system-2-preferences');

    const store = `${home}/.local/share/containers`;
    app.activate('prefs.leave-out', `${store}=false`);
    await waitFor('the configuration saved', () => (config().exclude ?? []).length === 1 || undefined, 30_000);
    expect(config().exclude).toEqual([`${home}/.cache`]);
    expect(config().sources).toEqual([{ allSubvolumesOf: sysroot }]);
    expect(isSubvolume(store)).toBe(true);
    expect(app.output()).not.toContain(`rewind: prefs joined ${store}`);
    await settle();
    await app.shoot('whole-system-3-store-included');

    const done = app.count('rewind: backup completed ok');
    app.activate('back-up-now');
    await waitFor('the second backup', () => app!.count('rewind: backup completed ok') > done || /rewind: backup failed \S+/.exec(app!.output())?.[0], 90_000);
    const record = history().at(-1)!;
    expect(record).toMatchObject({ ok: true });
    // The first backup's snapshots are on the disk now (Rewind's own): never sources themselves.
    expect(record.transfers.map((t) => t.source).sort()).toEqual([label('home'), label(storeBelow()), label('root'), label('root/var/lib/machines')]);
    const disk = inspect(fx, fx.destination, 'whole-system-2');
    expect(readFileSync(path.join(newest(disk, storeBelow()), 'layer.tar')).equals(Buffer.alloc(128 * 1024, 3))).toBe(true);
    expect(existsSync(path.join(machineDir(disk), subvolumeDirName(`home/${fx.allowed.name}/.cache`)))).toBe(false);

    // Restore Points names each part of the system in words, not by where it is on the disk.
    await app.step('restore-points', undefined, 'rewind: restore points ');
    await settle();
    const texts = (await app.texts()).filter((w) => w.window === 'Restore Points').flatMap((w) => w.texts);
    for (const title of ['The system', 'Home folders', 'machines, part of the whole system', 'containers, part of the whole system']) expect(texts).toContain(title);
    expect(texts.filter((t) => t.includes(sysroot))).toEqual([]);
    await app.shoot('whole-system-4-restore-points');
  });
});
