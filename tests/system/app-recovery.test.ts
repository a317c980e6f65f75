import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { startApp as startDriver, type AppDriver } from '../support/app-driver';
import { sh, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createLoopBtrfs, mountLoop, unmount, type LoopBtrfs } from '../support/loop-btrfs';
import { compareTrees } from '../support/tree-compare';
import { REPO } from '../support/system-bus';

/**
 * "My computer died", in the app: backups of a home to a btrfs disk; then
 * the configuration, the state and the home are gone and a fresh install's
 * empty home takes its place. The welcome page's Restore from a Backup finds
 * the disk and names the computer, the chosen point comes back whole after
 * a page that says what is replaced and kept, and Keep Backing Up to This
 * Disk saves the configuration that goes on from there. The files of a
 * person whose account has another number on the installation are given to
 * it, and the done page says whose were and whose were not. Every page is
 * photographed in the light and the dark style.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let root: string;
let fresh: LoopBtrfs;
let found: FoundBackups;
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  // Where the "installed system" is: the helper restores to <root>/home (REWIND_TARGET_ROOT).
  root = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${root}`] });
  fx.cleanup.add(`remove ${root}`, () => rmSync(root, { recursive: true, force: true }));
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations: [{ ...config.destinations[0], path: 'rewind' }] }));
  // bob, carol and dave had 60200, 60201 and 60202 on the old computer; the installation has an account bob of another number, no carol,
  // and a dave of 60203, the number of a file in carol's folder: giving it to dave would mix it with his.
  for (const [name, id] of [['bob', 60200], ['carol', 60201], ['dave', 60202]] as const) {
    mkdirSync(path.join(fx.home, name));
    writeFileSync(path.join(fx.home, name, 'notes.txt'), `${name}'s notes\n`);
    sh('chown', ['-R', `${id}:${id}`, path.join(fx.home, name)]);
  }
  writeFileSync(path.join(fx.home, 'carol/from-someone.txt'), 'a file of an account with no folder\n');
  sh('chown', ['60203:60203', path.join(fx.home, 'carol/from-someone.txt')]);
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nbob:x:1005:1005:Bob:/home/bob:/bin/bash\ndave:x:60203:60203::/home/dave:/bin/bash\n');
  for (let i = 0; i < 2; i++) {
    writeFileSync(path.join(fx.home, `alice/Documents/day-${i}.txt`), `day ${i}\n`);
    expect(runBackupCli(fx).ok).toBe(true);
  }
  // The computer dies; a fresh install has an empty home and no configuration.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);
  fresh = createLoopBtrfs(fx.cleanup, fx.dir, 'fresh', 256);
  const top = path.join(fx.dir, 'fresh-top');
  mountLoop(fx.cleanup, fresh, top);
  sh('btrfs', ['subvolume', 'create', path.join(top, 'home')]);
  unmount(top);
  mountLoop(fx.cleanup, fresh, path.join(root, 'home'), 'home');
  writeFileSync(path.join(root, 'home/made-by-the-installer.txt'), 'fresh\n');

  const [file, ...args] = fx.helperCli(['discover', '--json']);
  const discovery = JSON.parse(spawnSync(file, args, { encoding: 'utf8' }).stdout) as Discovery;
  found = discovery.found.find((f) => f.disk.uuid === fx.destination.uuid)!;
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

let current: AppDriver | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

/** Starts the app and waits for its welcome page: nothing is configured. */
async function startApp(style: 'light' | 'dark'): Promise<AppDriver> {
  const app = startDriver(fx, userEnv, display, shots, style);
  current = app;
  await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
  return app;
}

async function texts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).flatMap((w) => w.texts);
}

test('the pages before the restore, in the dark style', async () => {
  const app = await startApp('dark');
  await app.step('recover', undefined, 'rewind: recover found');
  await app.shoot('recover-found');
  await app.step('recover.choose', found.id, 'rewind: recover page point');
  await app.shoot('recover-point');
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  await app.shoot('recover-confirm');
});

test('welcome → the backups found → everything back → keep backing up (light)', async () => {
  const app = await startApp('light');
  await app.step('recover', undefined, 'rewind: recover found');
  await app.shoot('recover-found');
  const listed = await texts(app);
  expect(listed).toContain(fx.hostName);
  expect(listed).toContain('On backup-disk');
  expect(listed.some((t) => /^Home folders · 2 restore points, from .+ to .+ · .+ used on the disk$/.test(t))).toBe(true);

  await app.step('recover.choose', found.id, 'rewind: recover page point');
  await app.shoot('recover-point');
  // Two points made seconds apart: in the timeline's words, never both "Just now" (with seconds when they share a minute).
  const times = (await texts(app)).filter((t) => /^Today \d\d:\d\d(:\d\d)?( \(\d\))?$/.test(t));
  expect(new Set(times).size).toBe(2);
  expect(await texts(app)).not.toContain('Just now');
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  await app.shoot('recover-confirm');
  expect((await texts(app)).some((t) => t.startsWith(`Replace /home with the backup of ${fx.hostName}?`))).toBe(true);

  await app.step('recover.confirm', undefined, 'rewind: recover restored all', 120_000);
  await app.shoot('recover-done');
  expect(await texts(app)).toContain('Your Files Are Back');
  // bob's files are his account's on this computer; carol's and dave's keep their owner, and the page says both.
  const done = (await texts(app)).join('\n');
  expect(done).toContain('The files of bob now belong to the account of the same name on this computer.');
  expect(done).toContain('The files of carol, dave keep the owner they had on the old computer: no account on this computer can take them over.');
  await app.step('recover.keep', undefined, 'rewind: recover kept incremental');
  await app.shoot('recover-kept');

  // The configuration goes on in the same folder, under the old computer's name.
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
  expect(config).toMatchObject({ hostName: fx.hostName, sources: [{ path: path.join(root, 'home') }], destinations: [{ kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind' }] });

  // The restart: the restored home is the one mounted, byte-identical to the backup.
  const home = path.join(root, 'home');
  expect(existsSync(path.join(home, 'made-by-the-installer.txt'))).toBe(true);
  unmount(home);
  mountLoop(fx.cleanup, fresh, home, 'home');
  const newest = found.folders[0].points.at(-1)!;
  await withTopLevel(fx, fx.destination, (destTop) => {
    // Only bob's owner is another: the account bob of the installation's /etc/passwd.
    expect(compareTrees(path.join(destTop, 'rewind', fx.hostName, 'home', newest), home)).toEqual(
      ['"bob"', '"bob/notes.txt"'].flatMap((rel) => [`${rel}: uid 60200 != 1005`, `${rel}: gid 60200 != 1005`]),
    );
  });
  writeFileSync(path.join(home, 'alice/Documents/after.txt'), 'after the restore\n');
  const next = runBackupCli(fx);
  expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: newest });
});
