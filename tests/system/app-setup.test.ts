import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { APP_ID } from '../../src/core/ids';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { detachLoop } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';

/**
 * The first run, end to end: the real app in Xvfb as an ordinary user, the
 * real D-Bus activated helper with no configuration. The welcome page, Set
 * Up Backups (what: the fixture's home subvolume; where: the fixture's btrfs
 * disk from ListDisks; when: daily), SetConfig, then a first (full) and a
 * second (incremental) backup, the status, preferences and restore points.
 * A second run in the dark style prepares an empty loop disk through the
 * setup's warning page (PrepareDisk). Every step is an app action activated
 * over org.gtk.Actions, as the buttons do; each page is photographed.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

function runAsUser(args: string[]) {
  return ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
}

function activate(action: string, parameter?: string): void {
  const target = parameter === undefined ? '[]' : `[<'${parameter}'>]`;
  sh('runuser', runAsUser(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', `/${APP_ID.replaceAll('.', '/')}`, '--method', 'org.gtk.Actions.Activate', action, target, '{}']));
}

function shoot(name: string, style: 'light' | 'dark'): void {
  const file = path.join(shots, `${name}-${style}.png`);
  screenshot(display, file);
  const { mean, spread } = windowBrightness(file);
  expect(spread).toBeGreaterThan(0.02);
  if (style === 'light') expect(mean).toBeGreaterThan(0.6);
  else expect(mean).toBeLessThan(0.35);
}

const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

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

let current: ReturnType<typeof startProcess> | undefined;
afterEach(async () => {
  if (current && process.env.REWIND_SHOW_APP_OUTPUT) console.log(current.output());
  if (current) await stopProcess(current.child);
  current = undefined;
});

function startApp(style: 'light' | 'dark') {
  const app = startProcess('runuser', runAsUser([...(style === 'dark' ? ['ADW_DEBUG_COLOR_SCHEME=prefer-dark'] : []), 'gjs', '-m', path.join(fx.dist, 'app/rewind.js')]));
  fx.cleanup.add('stop the app', () => stopProcess(app.child));
  current = app;
  // Lines that start with `line` (some go on with details).
  const count = (line: string) => app.output().split('\n').filter((l) => l.startsWith(line)).length;
  /** Activates an action and waits for the line it should print (a new one). */
  const step = async (action: string, parameter: string | undefined, line: string, timeout = 60_000) => {
    const before = count(line);
    activate(action, parameter);
    await waitFor(line, () => count(line) > before || /rewind: setup error .*/.exec(app.output())?.[0], timeout);
    expect(app.output()).not.toMatch(/rewind: setup error/);
    await settle();
  };
  /** Opens the setup and waits until its actions are enabled: it reads the configuration first (slow on a busy machine). */
  const openSetup = async () => {
    const idle = count('rewind: setup idle');
    await step('setup', undefined, 'rewind: setup page what');
    await waitFor('the configuration read', () => count('rewind: setup idle') > idle || undefined, 60_000);
  };
  return { app, step, count, openSetup };
}

function history(): RunRecord[] {
  return JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
}

describe('the first run', () => {
  test('sets up backups to a btrfs disk, then backs up twice and shows the status', async () => {
    const { app, step, openSetup } = startApp('light');
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await settle();
    shoot('welcome', 'light');

    await openSetup();
    // What: the fixture's home subvolume instead of /home.
    await step('setup-add-source', fx.home, `rewind: setup sources /home ${fx.home}`);
    await step('setup-remove-source', '/home', `rewind: setup sources ${fx.home}`);
    shoot('setup-1-what', 'light');
    await step('setup-continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => app.output().includes('rewind: setup disks') || undefined, 30_000);
    expect(app.output()).toContain(`${fx.destination.device}=btrfs`);
    await settle();
    shoot('setup-2-where', 'light');
    await step('setup-choose-disk', fx.destination.device, 'rewind: setup page when');
    await step('setup-schedule', JSON.stringify({ kind: 'weekly', day: 'mon', at: '09:30' }), 'rewind: setup schedule {"kind":"weekly","day":"mon","at":"09:30"}');
    shoot('setup-3-when', 'light');
    await step('setup-schedule', JSON.stringify({ kind: 'daily', at: '23:45' }), 'rewind: setup schedule {"kind":"daily","at":"23:45"}');
    await step('setup-continue', undefined, 'rewind: setup page summary');
    shoot('setup-4-summary', 'light');
    await step('setup-save', undefined, 'rewind: setup saved', 60_000);
    await waitFor('the main page', () => app.output().includes('rewind: state ready') || undefined, 30_000);

    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    expect(config).toMatchObject({
      version: 1,
      sources: [{ path: fx.home }],
      destinations: [{ kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind', enabled: true }],
      schedule: { kind: 'daily', at: '23:45' },
    });
    await settle(2500);
    shoot('main-configured', 'light');

    for (const [n, kind] of [
      [1, 'full'],
      [2, 'incremental'],
    ] as const) {
      // A run with nothing changed sends nothing ('up-to-date'): the second backup follows a change.
      if (n === 2) writeFileSync(path.join(fx.home, 'alice', 'after-the-first-backup.txt'), 'new since the first backup\n');
      const done = app.output().split('rewind: backup completed ok').length;
      activate('back-up-now');
      await waitFor(`backup ${n}`, () => app.output().split('rewind: backup completed ok').length > done || /rewind: backup failed \S+/.exec(app.output())?.[0], 90_000);
      // The run record first: on failure it shows the error a person would read, not just its code.
      expect(history().at(-1)).toMatchObject({ ok: true, transfers: [{ kind, ok: true }] });
      expect(app.output()).not.toMatch(/rewind: backup failed/);
      expect(history()).toHaveLength(n);
    }
    await waitFor('the destinations checked', () => app.output().split('rewind: destinations checked').length > 2 || undefined, 60_000);
    await settle(2500);
    shoot('main-after-backups', 'light');

    activate('preferences');
    await settle(2500);
    shoot('preferences', 'light');
    activate('restore-points');
    await waitFor('the restore points', () => /rewind: restore points (\d+)/.exec(app.output())?.[1], 60_000);
    // Two snapshots on the source and two backups on the disk.
    expect(app.output()).toContain('rewind: restore points 4');
    await settle();
    shoot('restore-points', 'light');
  });

  test('in the dark style, prepares an empty disk after the warning, and shows every page', async () => {
    const image = path.join(fx.dir, 'empty-disk.img');
    sh('truncate', ['-s', '200M', image]);
    const device = sh('losetup', ['--find', '--show', image]).trim();
    fx.cleanup.add(`detach ${device}`, () => detachLoop(device));

    const { app, step, openSetup } = startApp('dark');
    await waitFor('the app to reach the helper', () => app.output().includes('rewind: state ready') || undefined, 30_000);
    await waitFor('the destinations checked', () => app.output().includes('rewind: destinations checked') || undefined, 60_000);
    await settle(2000);
    shoot('main-after-backups', 'dark');

    await openSetup();
    shoot('setup-1-what', 'dark');
    await step('setup-continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => app.output().includes('rewind: setup disks') || undefined, 30_000);
    expect(app.output()).toContain(`${device}=empty`);
    await settle();
    shoot('setup-2-where', 'dark');
    await step('setup-choose-disk', device, 'rewind: setup page prepare');
    shoot('setup-2b-prepare', 'dark');
    await step('setup-prepare-disk', undefined, 'rewind: setup page when', 120_000);
    const uuid = /rewind: setup prepared \S+ (\S+)/.exec(app.output())?.[1];
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device]).trim()).toBe('btrfs');
    expect(sh('blkid', ['-p', '-o', 'value', '-s', 'UUID', device]).trim()).toBe(uuid);
    shoot('setup-3-when', 'dark');
    await step('setup-continue', undefined, 'rewind: setup page summary');
    shoot('setup-4-summary', 'dark');
    await step('setup-save', undefined, 'rewind: setup saved', 60_000);
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    expect(config.destinations.map((d) => d.kind === 'btrfs' && d.filesystem)).toEqual([fx.destination.uuid, uuid]);

    activate('preferences');
    await settle(2500);
    shoot('preferences', 'dark');
    activate('restore-points');
    await waitFor('the restore points', () => /rewind: restore points (\d+)/.exec(app.output())?.[1], 60_000);
    await settle();
    shoot('restore-points', 'dark');
    expect(existsSync(fx.configPath)).toBe(true);
  });

  test('the welcome page in the dark style', async () => {
    rmSync(fx.configPath);
    const { app } = startApp('dark');
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await settle();
    shoot('welcome', 'dark');
  });
});
