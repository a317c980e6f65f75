import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { APP_ID } from '../../src/core/ids';
import type { RunRecord } from '../../src/core/status';
import { startApp, settle, type AppDriver } from '../support/app-driver';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, narrowShot, startXvfb } from '../support/display';
import { sh, waitFor } from '../support/exec';
import { unmount } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { screenDigest, stillScreen } from '../support/still-screen';
import { startUserSession } from '../support/user-session';

/**
 * The app after setup, against the real helper: the history window (empty,
 * then after two backups), free space on the main page while the backup disk
 * is mounted as the desktop mounts it, Preferences changing the schedule,
 * retention and a destination (the helper's config file really changes),
 * the notification settings (the user's GSettings, with no administrator),
 * renaming the destination (the main window then names it so),
 * the What page with sizes, the Where page not offering the source's own
 * disk, and a folder for stream files chosen in setup and backed up to.
 */
jest.setTimeout(420_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

const config = () => JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
const history = () => JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];

beforeAll(async () => {
  fx = await createBackupFixture();
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

// A second app would only hand its window to the first one still running.
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

async function backUp(a: AppDriver, n: number): Promise<void> {
  const done = a.count('rewind: backup completed ok');
  a.activate('back-up-now');
  await waitFor(`backup ${n}`, () => a.count('rewind: backup completed ok') > done || /rewind: backup failed \S+/.exec(a.output())?.[0], 120_000);
  // The run record first: on failure it shows the error a person would read, not just its code.
  expect(history().at(-1)).toMatchObject({ ok: true });
  expect(a.output()).not.toMatch(/rewind: backup failed/);
  expect(history()).toHaveLength(n);
}

describe('after setup', () => {
  test('history, free space and preferences in the light style', async () => {
    const a = startApp(fx, userEnv, display, shots, 'light');
    app = a;
    await waitFor('the main page', () => a.output().includes('rewind: page ready') || undefined, 30_000);

    // The desktop mounts a connected disk; the main page then tells its free space.
    const media = path.join(fx.dir, 'media-backup-disk');
    mkdirSync(media);
    sh('mount', [fx.destination.device, media]);
    fx.cleanup.add(`unmount ${media}`, () => unmount(media));
    const withoutSpace = screenDigest(display);
    a.activate('refresh');
    const [, state, free] = await waitFor('the free space', () => /rewind: space usb (\w+) (\d+)/.exec(a.output()) ?? undefined, 30_000);
    expect(state).toBe('ok'); // about 70 % of the 256 MiB disk is free: not low (under 10 %, the Notifications preference)
    const [available, blockSize] = sh('stat', ['-f', '-c', '%a %S', media]).trim().split(' ').map(Number);
    expect(Number(free)).toBe(available * blockSize);
    await stillScreen(display, 2500, withoutSpace);
    await a.shoot('main-free-space');

    // No runs yet: the history says what will appear there.
    await a.step('history', undefined, 'rewind: history 0');
    await stillScreen(display);
    await a.shoot('history-empty');

    await backUp(a, 1);
    await backUp(a, 2);

    // The open history window takes in each finished run; then a second window opens.
    await waitFor('the open history updated', () => a.count('rewind: history 2') >= 1 || undefined, 30_000);
    await a.step('history', undefined, 'rewind: history 2');
    await a.shoot('history');

    // Preferences: sizes of the folders, then each change through the widgets.
    const saved = 'rewind: config saved';
    const beforePreferences = screenDigest(display);
    a.activate('preferences');
    await waitFor('the sizes', () => new RegExp(`rewind: sizes .*${fx.home}=(\\d+)`).exec(a.output())?.[1], 60_000);
    await stillScreen(display, 2000, beforePreferences);
    await a.shoot('preferences-sizes');

    await a.step('prefs.schedule', JSON.stringify({ kind: 'weekly', day: 'fri', at: '08:15' }), saved);
    expect(config().schedule).toEqual({ kind: 'weekly', day: 'fri', at: '08:15' });
    await a.step('prefs.schedule', JSON.stringify({ kind: 'manual' }), saved);
    expect(config().schedule).toEqual({ kind: 'manual' });

    await a.step('prefs.retention', JSON.stringify({ daily: 3, weekly: 2 }), saved);
    expect(config().retention?.destinations).toEqual({ preset: 'custom', daily: 3, weekly: 2 });
    await a.step('prefs.retention', 'frugal', saved);
    expect(config().retention?.destinations).toEqual({ preset: 'frugal' });

    await a.step('prefs.enable-destination', 'usb=false', saved);
    expect(config().destinations[0]).toMatchObject({ id: 'usb', enabled: false });
    await a.step('prefs.enable-destination', 'usb=true', saved);
    expect(config().destinations[0]).toMatchObject({ id: 'usb', enabled: true });

    // Renamed: the configuration keeps the id, and the main window shows the new name.
    await a.step('prefs.rename-destination', 'usb=Blue USB Disk', saved);
    expect(config().destinations[0]).toMatchObject({ id: 'usb', label: 'Blue USB Disk' });
    const main = async () => (await a.texts()).find((w) => w.window === 'Rewind')?.texts ?? [];
    await waitFor('the new name on the main window', async () => ((await main()).includes('Blue USB Disk') ? true : undefined), 30_000);
    expect(await main()).not.toContain('Test backup disk');
    await a.shoot('preferences-renamed');

    // Notifications are the user's own, in GSettings: saved with no helper call, so no
    // administrator is asked (polkitd is stopped meanwhile: any check would hang),
    // and the helper's configuration stays as it was.
    const setting = (key: string) => sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gsettings', 'get', APP_ID, key]).trim();
    const configBefore = readFileSync(fx.configPath, 'utf8');
    const notified = 'rewind: notifications saved';
    process.kill(fx.bus.polkitdPid, 'SIGSTOP');
    try {
      await a.step('prefs.notifications', JSON.stringify({ remindAfterDays: 3, lowSpacePercent: 20 }), notified, 10_000);
      expect(['remind-after-days', 'low-space-percent', 'notify-on-success'].map(setting)).toEqual(['uint32 3', 'uint32 20', 'false']);
      await a.step('prefs.notifications', JSON.stringify({ onSuccess: true }), notified, 10_000);
      expect(setting('notify-on-success')).toBe('true');
    } finally {
      process.kill(fx.bus.polkitdPid, 'SIGCONT');
    }
    expect(readFileSync(fx.configPath, 'utf8')).toBe(configBefore);
    expect(a.output()).not.toMatch(/rewind: config failed/);
    const prefs = async () => (await a.texts()).find((w) => w.window === 'Preferences')?.texts ?? [];
    // Thresholds as sentences and plain choices, not raw numbers.
    await waitFor('the threshold in words', async () => ((await prefs()).includes('Warn when less than 20 % is free') ? true : undefined), 10_000);
    expect(await prefs()).toContain('Remind after 3 days without a backup');
    await a.shoot('preferences-notifications');
    // Changed outside the app (gsettings, another window): Preferences shows it at once.
    sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gsettings', 'set', APP_ID, 'low-space-percent', '0']);
    await waitFor('never warn', async () => ((await prefs()).includes('Never warn') ? true : undefined), 10_000);
    await a.step('prefs.notifications', JSON.stringify({ lowSpacePercent: 20 }), notified);
    expect(setting('low-space-percent')).toBe('uint32 20');
    // In a Flatpak whose user refused to let it run in the background (the Background portal's answer, kept in
    // background-refused), one sentence says notifications come only while Rewind is open, and where to change it.
    const closedToo = 'also while its window is closed';
    const onlyOpen = 'Notifications come only while Rewind is open, because it may not run in the background; to change that, allow it to run in the background in Settings, under Apps.';
    expect((await prefs()).some((t) => t.includes(closedToo))).toBe(true);
    expect(await prefs()).not.toContain(onlyOpen);
    sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gsettings', 'set', APP_ID, 'background-refused', 'true']);
    await waitFor('the sentence for a refused background', async () => ((await prefs()).includes(onlyOpen) ? true : undefined), 10_000);
    expect((await prefs()).some((t) => t.includes(closedToo))).toBe(false);
    await stillScreen(display);
    await a.shoot('preferences-background-refused');
    sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gsettings', 'set', APP_ID, 'background-refused', 'false']);
    await waitFor('the usual sentence', async () => ((await prefs()).some((t) => t.includes(closedToo)) ? true : undefined), 10_000);

    // When backups wait: on battery, on a metered network.
    expect(await prefs()).toEqual(expect.arrayContaining(['Wait while on battery', 'Wait on a metered network']));
    await a.step('prefs.conditions', JSON.stringify({ postponeOnBattery: true, postponeOnMetered: false }), saved);
    expect(config().conditions).toEqual({ postponeOnBattery: true, postponeOnMetered: false });
    await a.step('prefs.conditions', JSON.stringify({ postponeOnMetered: true }), saved);
    expect(config().conditions).toEqual({ postponeOnBattery: true, postponeOnMetered: true });
    await stillScreen(display);
    await a.shoot('preferences-general');

    // Old backups: each choice named, with a line that tells it apart.
    const general = screenDigest(display);
    a.activate('prefs.show-page', 'retention');
    await stillScreen(display, 1500, general);
    expect(await prefs()).toEqual(
      expect.arrayContaining([
        'Long history',
        'Keep hourly backups for a day, daily for a month, weekly for a year, then monthly for five years',
        'Small disk',
        'Keep hourly backups for a day, then daily for a week, weekly for a month and monthly for half a year',
        'Everything',
        'Custom',
      ]),
    );
    await a.shoot('preferences-retention');
    a.activate('prefs.show-page', 'general');

    // Setup's What page with sizes, then its Where page, in the light style.
    const sized = a.count('rewind: sizes ');
    await a.step('setup', undefined, 'rewind: setup page what');
    await waitFor('the sizes', () => a.count('rewind: sizes ') > sized || undefined, 60_000);
    await stillScreen(display);
    await a.shoot('setup-what-sizes');
    await a.step('setup.continue', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => /rewind: setup disks .*/.exec(a.output())?.[0], 60_000);
    expect(a.output()).toContain(`${fx.source.device}=source`);
    await stillScreen(display);
    await a.shoot('setup-where-source-disk');
    await renameDialog(a);
  });

  /** The Rename Destination dialog, over what is open. */
  async function renameDialog(a: AppDriver): Promise<void> {
    await a.step('prefs.ask-rename', 'usb', 'rewind: prefs rename usb');
    const dialog = (await a.texts()).find((w) => w.texts.includes('Rename Destination'))?.texts ?? [];
    expect(dialog).toContain(config().destinations[0].label);
    await a.shoot('preferences-rename');
  }

  test('in the dark style: the history, the What page with sizes, the Where page without the source disk, and a folder for stream files', async () => {
    const a = startApp(fx, userEnv, display, shots, 'dark');
    app = a;
    await waitFor('the main page', () => a.output().includes('rewind: page ready') || undefined, 30_000);
    // Under load the first frames lag behind: wait for the destinations' check too.
    await waitFor('the destinations checked', () => a.output().includes('rewind: destinations checked') || undefined, 60_000);
    await settle(2500);
    await a.shoot('main-space-after-backups');
    await a.step('history', undefined, 'rewind: history 2');
    await a.shoot('history');
    const main = screenDigest(display);
    a.activate('preferences');
    await waitFor('the sizes', () => a.output().includes('rewind: sizes ') || undefined, 60_000);
    await stillScreen(display, 2000, main);
    await a.shoot('preferences-sizes');
    for (const page of ['general', 'retention']) {
      const shown = screenDigest(display);
      a.activate('prefs.show-page', page);
      // The first of them may be the page already shown: then the whole 1.5 s.
      await stillScreen(display, 1500, shown);
      await a.shoot(`preferences-${page}`);
    }
    // Each page 360 px wide: labels wrap, nothing is cut off.
    for (const page of ['general', 'what', 'destinations', 'retention']) {
      a.activate('prefs.show-page', page);
      await narrowShot(display, 'Preferences', path.join(shots, `preferences-${page}-narrow-dark.png`));
    }
    a.activate('prefs.show-page', 'general');

    await a.step('add-destination', undefined, 'rewind: setup page where');
    await waitFor('the disks', () => /rewind: setup disks .*/.exec(a.output())?.[0], 60_000);
    // The disk that holds the folder to back up is not offered.
    expect(a.output()).toContain(`${fx.source.device}=source`);
    await stillScreen(display);
    await a.shoot('setup-where-source-disk');
    const chosen = a.count('rewind: setup page');
    a.activate('setup.choose-disk', fx.source.device);
    await waitFor('the refusal', () => /rewind: setup error .*/.exec(a.output())?.[0], 10_000);
    expect(a.count('rewind: setup page')).toBe(chosen);

    // A folder for stream files, as the folder chooser hands it over.
    const folder = path.join(fx.dir, 'folder-backups');
    mkdirSync(folder);
    const where = screenDigest(display);
    a.activate('setup.choose-folder', folder);
    await waitFor('the summary', () => a.output().includes('rewind: setup page summary') || undefined, 10_000);
    await stillScreen(display, 1500, where);
    await a.shoot('setup-folder-summary');
    await a.step('setup.save', undefined, 'rewind: setup saved');
    expect(config().destinations.at(-1)).toMatchObject({ kind: 'files', path: folder, label: 'folder-backups', enabled: true });
    await backUp(a, 3);
    const run = history()[2];
    expect(run.transfers.find((t) => t.destination === config().destinations.at(-1)?.id)).toMatchObject({ ok: true, kind: 'full' });
    expect(existsSync(folder) && readdirSync(folder, { recursive: true }).length).toBeGreaterThan(0);
    await waitFor('the open history updated', () => a.count('rewind: history 3') >= 1 || undefined, 30_000);
    await a.step('history', undefined, 'rewind: history 3');
    await a.shoot('history-three');

    // The What page of setup, with the sizes of the folders.
    const sized = a.count('rewind: sizes ');
    await a.step('setup', undefined, 'rewind: setup page what');
    await waitFor('the sizes', () => a.count('rewind: sizes ') > sized || undefined, 60_000);
    await stillScreen(display);
    await a.shoot('setup-what-sizes');
    a.activate('preferences');
    await renameDialog(a);
  });
});
