import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, localSnapshot, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { startApp as startDriver, type AppDriver } from '../support/app-driver';
import { withDamagedBackupFile } from '../support/damaged-file';
import { sh, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { unmount } from '../support/loop-btrfs';
import { mountLoopExt4 } from '../support/loop-ext4';
import { freshInstall, type FreshInstall, type TopLook } from '../support/fresh-install';
import { compareTrees, describeTree } from '../support/tree-compare';
import { REPO } from '../support/system-bus';

/**
 * "My computer died", with the backups as encrypted backup files on an
 * ext4 stick: on a fresh install with no configuration, the welcome page's
 * Restore from a Backup asks for the recovery key on the page of restore
 * points. A key that is not theirs is refused on screen in words, and the
 * home and its disk stay as they were; Back, the recovery key typed, and
 * the home comes back byte-identical to the snapshot it was backed up from.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let root: string;
let fresh: FreshInstall;
let pristine: TopLook;
let found: FoundBackups;
/** The recovery key Rewind showed when encryption was switched on, and another age key. */
let recoveryKey: string;
let wrongKey: string;
let newest: string;
/** The stick's loop device, to damage one of its backup files by hand. */
let stickDevice: string;
const shots = artifactsDir(REPO, 'screenshots');

function helper(args: string[]): string {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return r.stdout;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${root}`] });
  fx.cleanup.add(`remove ${root}`, () => rmSync(root, { recursive: true, force: true }));
  const stick = mountLoopExt4(fx.cleanup, fx.dir, 'stick', 128, path.join(fx.dir, 'stick'));
  unmount(path.join(fx.dir, 'stick'));
  const stickUuid = sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', stick.device]).trim();
  stickDevice = stick.device;
  writeFixtureConfig(fx, [{ id: 'stick', kind: 'files', filesystem: stickUuid, path: 'rewind', label: 'Stick', encrypt: true }]);
  recoveryKey = (JSON.parse(helper(['new-key', '--json', '--destination', 'stick'])) as { identity: string }).identity;
  const other = path.join(fx.dir, 'another-key.txt');
  sh('age-keygen', ['-o', other]);
  wrongKey = readFileSync(other, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
  for (let i = 0; i < 2; i++) {
    writeFileSync(path.join(fx.home, `alice/Documents/day-${i}.txt`), `day ${i}\n`);
    const run = runBackupCli(fx);
    expect(run.ok).toBe(true);
    newest = run.transfers[0].snapshot!;
  }
  // The computer dies; a fresh install has an empty home and no configuration.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);
  fresh = freshInstall(fx, root);
  pristine = fresh.look();

  const discovery = JSON.parse(helper(['discover', '--json'])) as Discovery;
  found = discovery.found.find((f) => f.disk.uuid === stickUuid)!;
  expect(found).toMatchObject({ encrypted: true });
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

async function texts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).flatMap((w) => w.texts);
}

/** Welcome → the stick's backups → this computer: the page of restore points, which asks for the recovery key. */
async function openPoints(style: 'light' | 'dark'): Promise<AppDriver> {
  // The recovery key is no internal name: the person types it. Only the fixture's destination id is.
  const app = startDriver(fx, userEnv, display, shots, style, /\bstick\b/);
  current = app;
  await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
  await app.step('recover', undefined, 'rewind: recover found');
  await app.step('recover.choose', found.id, 'rewind: recover page point');
  return app;
}

/** Types `key`, then Restore Everything → Restore; waits for how it ended. */
async function restoreWith(app: AppDriver, key: string, ending: string): Promise<void> {
  // The key row takes what is typed; the action types it, as the tests of other pages do.
  app.activate('recover.key', key);
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  await app.step('recover.confirm', undefined, ending, 120_000);
}

test('the recovery key asked for, and a wrong one refused, in the dark style', async () => {
  const app = await openPoints('dark');
  await app.shoot('recover-key');
  await restoreWith(app, wrongKey, 'rewind: recover restore failed WrongKey');
  await app.shoot('recover-wrong-key');
});

test('a wrong recovery key is refused in words and changes nothing; the right one brings the home back (light)', async () => {
  const before = describeTree(fresh.home);
  const app = await openPoints('light');
  const asked = await texts(app);
  expect(asked).toEqual(expect.arrayContaining(['Encrypted backups', 'Recovery key']));
  expect(asked.some((t) => t.startsWith('Type the recovery key you kept when encryption was switched on.'))).toBe(true);
  await app.shoot('recover-key');

  await restoreWith(app, wrongKey, 'rewind: recover restore failed WrongKey');
  await app.shoot('recover-wrong-key');
  const refused = await texts(app);
  expect(refused).toContain('Could Not Restore Everything');
  expect(refused).toContain(
    'The recovery key you typed does not open these backups: they were encrypted with another key. Nothing was restored or changed. Give the recovery key (the line starting with AGE-SECRET-KEY-1) that Rewind showed when encryption was switched on.',
  );
  expect(describeTree(fresh.home)).toEqual(before);
  expect(fresh.look()).toEqual(pristine);

  // The right key, but a backup file on the stick changed since it was written: said in words, nothing changed.
  await app.step('recover.back', undefined, 'rewind: recover page point');
  await withDamagedBackupFile(stickDevice, path.join(fx.dir, 'stick-by-hand'), path.join('rewind', found.host, found.folders[0].dirName), () =>
    restoreWith(app, recoveryKey, 'rewind: recover restore failed BackupDamaged'),
  );
  expect(await texts(app)).toContain(
    `A file of the backups on “${found.disk.name}” is damaged, and this point in time needs it, so it cannot be restored from there. Choose another point in time or another backup, and check that disk for errors. Your home folders were not changed.`,
  );
  expect(describeTree(fresh.home)).toEqual(before);
  expect(fresh.look()).toEqual(pristine);

  await app.step('recover.back', undefined, 'rewind: recover page point');
  await restoreWith(app, recoveryKey, 'rewind: recover restored all');
  expect(await texts(app)).toContain('Your Files Are Back');
  expect(existsSync(path.join(fresh.home, 'made-by-the-installer.txt'))).toBe(true);
  fresh.restart();
  expect(compareTrees(localSnapshot(fx, newest), fresh.home)).toEqual([]);
});

// Last: the browsed point stays fetched for a while (a copy on the fresh install's disk, the stick mounted by the helper).
test('the files of a found point and what changed in it, opened with the recovery key', async () => {
  const app = await openPoints('light');
  app.activate('recover.key', recoveryKey);
  await app.step('recover.browse', undefined, 'rewind: browser folder . ');
  await app.step('browser.view', 'changes', 'rewind: browser changes ', 120_000);
  // The newest point added day-1.txt since the one before it.
  expect(Number(/rewind: browser changes (\d+)/.exec(app.output())?.[1])).toBeGreaterThanOrEqual(1);
  expect(app.output()).not.toContain('browser changes-failed');
  const shown = await texts(app);
  expect(shown.some((t) => t.includes('day-1.txt'))).toBe(true);
  await app.shoot('recover-browser-changes');
  // Looking again while the browser holds the point: the stick, mounted by the helper, is still listed with the rest.
  await app.step('recover.look', undefined, 'rewind: recover found');
  const counts = [...app.output().matchAll(/^rewind: recover found (\d+)$/gm)].map((m) => Number(m[1]));
  expect(counts.at(-1)).toBe(counts[0]);
});
