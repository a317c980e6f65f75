import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, narrowShot, startXvfb } from '../support/display';
import { settle, startApp as startDriver, type AppDriver } from '../support/app-driver';
import { sh, shResult, waitFor } from '../support/exec';
import { detachLoop } from '../support/loop-btrfs';
import { screenDigest, stillScreen } from '../support/still-screen';
import { REPO } from '../support/system-bus';

/**
 * The first run, end to end: the real app in Xvfb as an ordinary user, the
 * real D-Bus activated helper with no configuration. The welcome page, Set
 * Up Backups (what: the fixture's home subvolume; where: the fixture's btrfs
 * disk from ListDisks; when: daily), SetConfig, then a first (full) and a
 * second (incremental) backup, the status, preferences and restore points.
 * Setting up again marks the disk already in use and keeps it: no second
 * destination for the same disk. A second run in the dark style prepares an
 * empty loop disk through the setup's warning page (PrepareDisk). Every step
 * is an app action activated over org.gtk.Actions, as the buttons do; each
 * page is photographed, and no screen shows a device path, a snapshot name,
 * validator text or btrfs words (app-driver's shoot).
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  fx = await createBackupFixture();
  // A first run: no configuration yet.
  rmSync(fx.configPath);
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

function startApp(style: 'light' | 'dark') {
  const app = startDriver(fx, userEnv, display, shots, style);
  current = app;
  /** Opens the setup and waits until its actions are enabled: it reads the configuration first (slow on a busy machine). */
  const openSetup = async () => {
    const idle = app.count('rewind: setup idle');
    await app.step('setup', undefined, 'rewind: setup page what');
    await waitFor('the configuration read', () => app.count('rewind: setup idle') > idle || undefined, 60_000);
  };
  return { app, step: app.step, openSetup };
}

function history(): RunRecord[] {
  return JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
}

describe('the first run', () => {
  test('sets up backups to a btrfs disk, then backs up twice and shows the status', async () => {
    const { app, step, openSetup } = startApp('light');
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await settle();
    await app.shoot('welcome');

    await openSetup();
    // What: the fixture's home subvolume instead of /home.
    await step('setup.add-source', fx.home, `rewind: setup sources ${fx.home} ready`);
    await app.shoot('setup-1-what');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-1-what-narrow-light.png'));
    await step('setup.continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => app.output().includes('rewind: setup disks') || undefined, 30_000);
    expect(app.output()).toContain(`${fx.destination.device}=btrfs`);
    await stillScreen(display);
    await app.shoot('setup-2-where');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-2-where-narrow-light.png'));
    await step('setup.choose-disk', fx.destination.device, 'rewind: setup page when');
    await step('setup.schedule', JSON.stringify({ kind: 'weekly', day: 'mon', at: '09:30' }), 'rewind: setup schedule {"kind":"weekly","day":"mon","at":"09:30"}');
    await app.shoot('setup-3-when');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-3-when-narrow-light.png'));
    await step('setup.schedule', JSON.stringify({ kind: 'daily', at: '23:45' }), 'rewind: setup schedule {"kind":"daily","at":"23:45"}');
    await step('setup.continue', undefined, 'rewind: setup page summary');
    await app.shoot('setup-4-summary');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-4-summary-narrow-light.png'));
    const summary = (await app.texts()).find((w) => w.window === 'Set Up Backups')?.texts.join('\n') ?? '';
    expect(summary).toContain('Every day at 23:45');
    // A daily schedule makes no hourly backups: the summary does not promise them.
    expect(summary).not.toMatch(/every hour/i);
    expect(summary).toContain('The first backup starts as soon as you press Start Backups.');
    const completed = app.count('rewind: backup completed ok');
    await step('setup.save', undefined, 'rewind: setup saved', 60_000);
    // Start Backups starts the first backup: the main page follows it, no Back Up Now needed.
    await waitFor('the first backup, started by the setup', () => app.count('rewind: backup completed ok') > completed || /rewind: backup failed \S+/.exec(app.output())?.[0], 90_000);
    await waitFor('the main page', () => app.output().includes('rewind: state ready') || undefined, 30_000);

    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    expect(config).toMatchObject({
      version: 1,
      sources: [{ path: fx.home }],
      destinations: [{ kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind', enabled: true }],
      schedule: { kind: 'daily', at: '23:45' },
    });
    await settle(2500);
    await app.shoot('main-configured');
    const main = (await app.texts()).find((w) => w.window === 'Rewind')?.texts.join('\n') ?? '';
    expect(main).not.toContain('Not backed up yet');

    for (const [n, kind] of [
      [1, 'full'],
      [2, 'incremental'],
    ] as const) {
      // A run with nothing changed sends nothing ('up-to-date'): the second backup follows a change.
      if (n === 2) {
        writeFileSync(path.join(fx.home, 'alice', 'after-the-first-backup.txt'), 'new since the first backup\n');
        const done = app.count('rewind: backup completed ok');
        app.activate('back-up-now');
        await waitFor(`backup ${n}`, () => app.count('rewind: backup completed ok') > done || /rewind: backup failed \S+/.exec(app.output())?.[0], 90_000);
      }
      // The run record first: on failure it shows the error a person would read, not just its code.
      expect(history().at(-1)).toMatchObject({ ok: true, transfers: [{ kind, ok: true }] });
      expect(app.output()).not.toMatch(/rewind: backup failed/);
      expect(history()).toHaveLength(n);
    }
    await waitFor('the destinations checked', () => app.output().split('rewind: destinations checked').length > 2 || undefined, 60_000);
    await stillScreen(display, 2500);
    await app.shoot('main-after-backups');

    const beforePreferences = screenDigest(display);
    app.activate('preferences');
    await stillScreen(display, 2500, beforePreferences);
    await app.shoot('preferences');
    app.activate('restore-points');
    await waitFor('the restore points', () => /rewind: restore points (\d+)/.exec(app.output())?.[1], 60_000);
    // Two snapshots on the source and two backups on the disk.
    expect(app.output()).toContain('rewind: restore points 4');
    await stillScreen(display);
    await app.shoot('restore-points');
    await setUpAgainOnTheSameDisk(app);
  });

  /** Setup again: the disk in use is marked, choosing it keeps its destination, and none is added. */
  async function setUpAgainOnTheSameDisk(app: AppDriver): Promise<void> {
    const before = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    const idle = app.count('rewind: setup idle');
    await app.step('setup', undefined, 'rewind: setup page what');
    await waitFor('the configuration read', () => app.count('rewind: setup idle') > idle || undefined, 60_000);
    const listed = app.count('rewind: setup disks');
    await app.step('setup.continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => app.count('rewind: setup disks') > listed || undefined, 30_000);
    expect(app.output().split('\n').filter((l) => l.startsWith('rewind: setup disks')).at(-1)).toContain(`${fx.destination.device}=btrfs+used`);
    await stillScreen(display);
    const lines = (await app.texts()).find((w) => w.window === 'Set Up Backups')?.texts.flatMap((t) => t.split('\n')) ?? [];
    expect(lines).toContain('Already used for backups');
    await app.shoot('setup-2-where-in-use');
    await app.step('setup.choose-disk', fx.destination.device, 'rewind: setup page when');
    await app.step('setup.continue', undefined, 'rewind: setup page summary');
    await app.shoot('setup-4-summary-in-use');
    await app.step('setup.save', undefined, 'rewind: setup saved', 60_000);
    const after = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    expect(after.destinations).toEqual(before.destinations);
    expect(after.destinations.filter((d) => d.kind === 'btrfs' && d.filesystem === fx.destination.uuid)).toHaveLength(1);
  }

  test('in the dark style, prepares an empty disk after the warning, and shows every page', async () => {
    const image = path.join(fx.dir, 'empty-disk.img');
    sh('truncate', ['-s', '200M', image]);
    const device = sh('losetup', ['--find', '--show', image]).trim();
    fx.cleanup.add(`detach ${device}`, () => detachLoop(device));

    const { app, step, openSetup } = startApp('dark');
    await waitFor('the app to reach the helper', () => app.output().includes('rewind: state ready') || undefined, 30_000);
    await waitFor('the destinations checked', () => app.output().includes('rewind: destinations checked') || undefined, 60_000);
    await settle(2000);
    await app.shoot('main-after-backups');
    await setUpAgainOnTheSameDisk(app);

    await openSetup();
    await app.shoot('setup-1-what');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-1-what-narrow-dark.png'));
    await step('setup.continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => app.output().includes('rewind: setup disks') || undefined, 30_000);
    expect(app.output()).toContain(`${device}=empty`);
    await stillScreen(display);
    await app.shoot('setup-2-where');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-2-where-narrow-dark.png'));
    await step('setup.choose-disk', device, 'rewind: setup page prepare');
    await app.shoot('setup-2b-prepare');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-2b-prepare-narrow-dark.png'));
    const warning = (await app.texts()).find((w) => w.window === 'Set Up Backups')?.texts ?? [];
    // The erase page is still step 2, names the disk and says what is lost.
    expect(warning).toContain('Step 2 of 4');
    expect(warning.join('\n')).toMatch(/Erase “.+”\?/);
    expect(warning.join('\n')).toMatch(/Everything on “.+” \(.+\) will be deleted: every file and folder on it\. This cannot be undone\./);
    // Cancel on a later step: the dialog closes, the disk is not touched and nothing is saved.
    const configBefore = readFileSync(fx.configPath, 'utf8');
    await step('setup.cancel', undefined, 'rewind: setup cancelled');
    await stillScreen(display);
    expect((await app.texts()).map((w) => w.window)).not.toContain('Set Up Backups');
    expect(readFileSync(fx.configPath, 'utf8')).toBe(configBefore);
    expect(shResult('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]).stdout.trim()).toBe('');
    await openSetup();
    await step('setup.continue', undefined, 'rewind: setup page where');
    await step('setup.choose-disk', device, 'rewind: setup page prepare');
    await step('setup.prepare-disk', undefined, 'rewind: setup page when', 120_000);
    const uuid = /rewind: setup prepared \S+ (\S+)/.exec(app.output())?.[1];
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]).trim()).toBe('btrfs');
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'UUID', device]).trim()).toBe(uuid);
    await app.shoot('setup-3-when');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-3-when-narrow-dark.png'));
    await step('setup.continue', undefined, 'rewind: setup page summary');
    await app.shoot('setup-4-summary');
    await narrowShot(display, 'Set Up Backups', path.join(shots, 'setup-4-summary-narrow-dark.png'));
    await step('setup.save', undefined, 'rewind: setup saved', 60_000);
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    expect(config.destinations.map((d) => d.kind === 'btrfs' && d.filesystem)).toEqual([fx.destination.uuid, uuid]);

    const beforePreferences = screenDigest(display);
    app.activate('preferences');
    await stillScreen(display, 2500, beforePreferences);
    await app.shoot('preferences');
    app.activate('restore-points');
    await waitFor('the restore points', () => /rewind: restore points (\d+)/.exec(app.output())?.[1], 60_000);
    await stillScreen(display);
    await app.shoot('restore-points');
    expect(existsSync(fx.configPath)).toBe(true);
  });

  test('the welcome page in the dark style', async () => {
    rmSync(fx.configPath);
    const { app } = startApp('dark');
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await settle();
    await app.shoot('welcome');
  });

  test('a configuration the validator refuses is told in words, not in the validator’s', async () => {
    writeFileSync(fx.configPath, JSON.stringify({ version: 1, sources: [{ path: fx.home }], destinations: [{ id: 'usb', kind: 'zip' }] }));
    const { app } = startApp('light');
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await settle();
    // shoot checks that no validator path or word is on screen.
    await app.shoot('welcome-invalid-config');
    const welcome = (await app.texts()).find((w) => w.window === 'Rewind')?.texts ?? [];
    expect(welcome).toContain('The backup settings on this computer cannot be used. Set up backups again, or ask an administrator to check them.');
    rmSync(fx.configPath);
  });
});
