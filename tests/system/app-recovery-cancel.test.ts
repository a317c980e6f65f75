import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { startApp as startDriver, type AppDriver } from '../support/app-driver';
import { startReadThrottle, type ReadThrottle } from '../support/read-throttle';
import { shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { unmount } from '../support/loop-btrfs';
import { freshInstall, type FreshInstall, type TopLook } from '../support/fresh-install';
import { writeRandomFile } from '../support/random-file';
import { compareTrees, describeTree } from '../support/tree-compare';
import { withTopLevel } from '../support/inspection';
import { REPO } from '../support/system-bus';

/**
 * Restore Everything from the welcome page, watched and cancelled: the
 * backup disk is read slowly (a block-I/O throttle on its device for the
 * helper and what it starts, with the page cache dropped), so the restore
 * lasts seconds. The page shows a percentage; Cancel half-way leaves the
 * fresh install's home exactly as it was and nothing beside it on its disk;
 * started again without the throttle, the restore goes through.
 */
jest.setTimeout(300_000);

/** Bytes a second the backup disk gives the restore: 16 MiB of files then take about four seconds. */
const SLOW_READ = 4_000_000;

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let root: string;
let fresh: FreshInstall;
let found: FoundBackups;
let throttle: ReadThrottle | undefined;
/** The fresh install's disk as the installer left it. */
let pristine: TopLook;
const shots = artifactsDir(REPO, 'screenshots');

function throttleReads(on: boolean): void {
  throttle!.slow(fx.destination.device, on);
}

beforeAll(async () => {
  // This process and all it starts (the bus, the helper it activates, btrfs send) read the backup disk through the throttle; it is off until a test turns it on.
  throttle = startReadThrottle(SLOW_READ);
  root = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${root}`] });
  fx.cleanup.add(`remove ${root}`, () => rmSync(root, { recursive: true, force: true }));
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations: [{ ...config.destinations[0], path: 'rewind' }] }));
  for (let i = 0; i < 4; i++) writeRandomFile(path.join(fx.home, `alice/Videos-${i}.bin`), 4);
  expect(runBackupCli(fx).ok).toBe(true);
  // The computer dies; a fresh install has an empty home and no configuration.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);
  fresh = freshInstall(fx, root);
  pristine = fresh.look();

  const [file, ...args] = fx.helperCli(['discover', '--json']);
  const discovery = JSON.parse(spawnSync(file, args, { encoding: 'utf8' }).stdout) as Discovery;
  found = discovery.found.find((f) => f.disk.uuid === fx.destination.uuid)!;
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterAll(async () => {
  await fx?.cleanup.run();
  throttle?.remove();
});

let current: AppDriver | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
  throttleReads(false);
});

async function texts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).flatMap((w) => w.texts);
}

/** The percentages the page has shown so far (its trace of each new one). */
function percents(app: AppDriver): number[] {
  return [...app.output().matchAll(/^rewind: recover progress (\d+)$/gm)].map((m) => Number(m[1]));
}

/** Welcome → the disk's backups → this computer → Restore Everything → Restore, with the backup disk read slowly; waits for a percentage on screen. */
async function startSlowRestore(style: 'light' | 'dark'): Promise<AppDriver> {
  const app = startDriver(fx, userEnv, display, shots, style);
  current = app;
  await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
  await app.step('recover', undefined, 'rewind: recover found');
  await app.step('recover.choose', found.id, 'rewind: recover page point');
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  throttleReads(true);
  await app.step('recover.confirm', undefined, 'rewind: recover page working');
  await waitFor('a percentage between 1 and 60', () => percents(app).some((p) => p >= 1 && p <= 60) || undefined, 30_000);
  return app;
}

test('the restore under way and cancelled, in the dark style', async () => {
  const app = await startSlowRestore('dark');
  await app.shoot('recover-working');
  await app.step('recover.cancel', undefined, 'rewind: recover restore failed Cancelled');
  await app.shoot('recover-cancelled');
});

test('a percentage while it runs; Cancel half-way leaves the home as it was and nothing beside it; then it restores (light)', async () => {
  const home = fresh.home;
  const before = describeTree(home);
  // The installer's disk as it was made, before any restore started (the dark one was cancelled too).
  expect(pristine).toEqual({ entries: ['home'], subvolumes: ['home'] });
  expect(fresh.look()).toEqual(pristine);

  const app = await startSlowRestore('light');
  const shown = await texts(app);
  expect(shown).toContain('Restoring Everything…');
  const percent = shown.find((t) => /^\d+ %$/.test(t));
  expect(percent).toBeDefined();
  expect(Number(percent!.split(' ')[0])).toBeLessThan(100);
  // How much was read and the time left, in words.
  expect(shown.some((t) => /(MB|kB)( · .+\/s)?( · (less than a minute|about \d+ minutes?) left)?$/.test(t))).toBe(true);
  await app.shoot('recover-working');

  await app.step('recover.cancel', undefined, 'rewind: recover restore failed Cancelled', 30_000);
  // Stopped before the end: the last percentage shown was below 100.
  expect(Math.max(...percents(app))).toBeLessThan(100);
  await app.shoot('recover-cancelled');
  expect(await texts(app)).toEqual(expect.arrayContaining(['Restore Cancelled', 'Your home folders were not changed, and nothing of the restore was kept.']));

  // The home is byte for byte what it was, and nothing received is left on its disk.
  expect(describeTree(home)).toEqual(before);
  const helperMounts = () => shResult('findmnt', ['-rno', 'TARGET', '-S', fresh.fresh.device]).stdout.split('\n').filter((t) => t.startsWith(fx.runtimeDir));
  await waitFor('the helper to let go of the fresh disk', () => helperMounts().length === 0 || undefined, 10_000);
  expect(fresh.look()).toEqual(pristine);

  // Again, at the disk's own speed: it goes through, onto a home the cancel left clean.
  throttleReads(false);
  await app.step('recover.back', undefined, 'rewind: recover page point');
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  await app.step('recover.confirm', undefined, 'rewind: recover restored all', 120_000);
  fresh.restart();
  const point = found.folders[0].points.at(-1)!;
  await withTopLevel(fx, fx.destination, (destTop) => {
    expect(compareTrees(path.join(destTop, 'rewind', fx.hostName, 'home', point), home)).toEqual([]);
  });
});
