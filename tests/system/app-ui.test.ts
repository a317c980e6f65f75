import { readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { APP_ID } from '../../src/core/ids';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, narrowShot, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { stillScreen } from '../support/still-screen';
import { REPO } from '../support/system-bus';
import { detachLoop, mountLoop } from '../support/loop-btrfs';
import { freezeTransfer, liveBackupDir, resume, runBackupCli } from '../support/helper-run';
import { backupState } from '../support/inspection';
import { writeRandomFile } from '../support/random-file';
import { settle, startApp as startAppDriver } from '../support/app-driver';

function expectWindow(file: string, style: 'light' | 'dark'): void {
  const { mean, spread } = windowBrightness(file);
  // Something is drawn (not a flat area), in the expected style.
  expect(spread).toBeGreaterThan(0.02);
  if (style === 'light') expect(mean).toBeGreaterThan(0.7);
  else expect(mean).toBeLessThan(0.35);
}

/**
 * The real app in a real window (Xvfb), run by an ordinary user against the
 * real D-Bus activated helper. Back Up Now is triggered by activating the
 * app's `back-up-now` action over the session bus — the same action the
 * button names — and the window is photographed after the backup.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

function runAsUser(args: string[]) {
  return ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
}

beforeAll(async () => {
  // Room on the source for the full-disk test's changes, so only the backup disk runs out.
  fx = await createBackupFixture({ sourceMiB: 512 });
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

async function startApp(extraEnv: string[] = []) {
  const app = startProcess('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...extraEnv, 'gjs', '-m', path.join(fx.dist, 'app/rewind.js')]);
  fx.cleanup.add('stop the app', () => stopProcess(app.child));
  return app;
}

function activate(action: string): void {
  sh('runuser', runAsUser(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', `/${APP_ID.replaceAll('.', '/')}`,
    '--method', 'org.gtk.Actions.Activate', action, '[]', '{}']));
}

describe('the app', () => {
  test('backs up when Back Up Now is activated, and shows the result', async () => {
    const app = await startApp();
    // The main page, not the spinner shown while the helper answers.
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
    await new Promise((r) => setTimeout(r, 1000));
    const before = path.join(shots, 'main-before-backup-light.png');
    screenshot(display, before);
    expectWindow(before, 'light');
    await narrowShot(display, 'Rewind', path.join(shots, 'main-narrow-light.png'));

    activate('back-up-now');
    await waitFor('the backup to finish', () => /rewind: backup (completed ok|failed \S+)/.exec(app.output())?.[0], 60000);
    expect(app.output()).toContain('rewind: backup completed ok');
    const history = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ ok: true, transfers: [{ kind: 'full', ok: true }] });

    await new Promise((r) => setTimeout(r, 1500));
    const file = path.join(shots, 'main-after-backup-light.png');
    screenshot(display, file);
    expectWindow(file, 'light');
    console.log(`screenshots: ${shots}`);
    await stopProcess(app.child);
  });

  test('shows the same window in the dark style', async () => {
    const app = await startApp(['ADW_DEBUG_COLOR_SCHEME=prefer-dark']);
    // The main page, not the spinner shown while the helper answers.
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
    await new Promise((r) => setTimeout(r, 1500));
    const file = path.join(shots, 'main-after-backup-dark.png');
    screenshot(display, file);
    expectWindow(file, 'dark');
    await narrowShot(display, 'Rewind', path.join(shots, 'main-narrow-dark.png'));
    await stopProcess(app.child);
  });

  test.each(['light', 'dark'] as const)('Check Backups Now restores a sample, and the main page says all of it came back identical (%s)', async (style) => {
    const app = startAppDriver(fx, userEnv, display, shots, style);
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
    await settle();
    // The button on the main page and the menu item name this action.
    await app.step('check-backups', undefined, 'rewind: check finished', 120_000);
    expect(app.output()).toMatch(/rewind: check finished ok: \S.* All \d+ sampled files came back identical/);
    await waitFor('the last check on the page', () => /rewind: checked \S+: Last checked today: all (\d+) sampled files came back identical/.exec(app.output())?.[1], 30_000);
    const texts = (await app.texts()).flatMap((w) => w.texts);
    expect(texts.some((t) => /Last checked today: all \d+ sampled files came back identical/.test(t))).toBe(true);
    expect(texts).toContain('Check Backups Now');
    await app.shoot('main-after-check');
    await app.stop();
  });

  test.each(['light', 'dark'] as const)('the About window tells the version, the website and where to report a problem (%s)', async (style) => {
    const app = startAppDriver(fx, userEnv, display, shots, style);
    try {
      await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
      await app.step('about', undefined, 'rewind: about ');
      const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
      const links = JSON.parse(/rewind: about (.*)/.exec(app.output())![1]) as Record<string, string>;
      expect(links).toEqual({ version, website: 'https://github.com/rewindbackup/rewind', issues: 'https://github.com/rewindbackup/rewind/issues' });
      // What it shows: the version, Details (the description and the website) and a row to report an issue.
      const texts = (await app.texts()).flatMap((w) => w.texts);
      expect(texts).toEqual(expect.arrayContaining(['Rewind', version, 'The Rewind developers', 'Details', 'Report an Issue']));
      await app.shoot('about');
    } finally {
      await app.stop();
    }
  });

  /** The last headline the page printed: `<kind>: <title> | <description>`. */
  function lastHeadline(output: string): string | undefined {
    return output.split('\n').filter((l) => l.startsWith('rewind: headline ')).at(-1)?.slice('rewind: headline '.length);
  }

  test.each(['light', 'dark'] as const)('while a backup runs one button, Cancel, stands where Back Up Now was, and it stops the backup (%s)', async (style) => {
    const big = path.join(fx.home, `alice/running-${style}.bin`);
    writeRandomFile(big, 16);
    const known = (await backupState(fx)).backups.map((b) => path.basename(b.path));
    const app = startAppDriver(fx, userEnv, display, shots, style);
    try {
      await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
      await settle();
      const idle = (await app.texts()).flatMap((w) => w.texts);
      expect(idle).toContain('Back Up Now');
      expect(idle).not.toContain('Cancel');
      app.activate('back-up-now');
      // The transfer held still, so the screen is read while the backup surely runs.
      const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
      await waitFor('the running state', () => app.output().includes('rewind: state running') || undefined, 30000);
      await settle();
      const running = (await app.texts()).flatMap((w) => w.texts);
      expect(running).toContain('Cancel');
      expect(running).not.toContain('Back Up Now');
      await app.shoot('main-running');
      app.activate('cancel-backup');
      await waitFor('the cancel asked', () => app.output().includes('rewind: cancel requested') || undefined, 30000);
      resume(frozen.receive);
      await waitFor('the backup to end', () => /rewind: backup (completed ok|failed \S+)/.exec(app.output())?.[0], 60000);
      expect(app.output()).toContain('rewind: backup failed Cancelled');
      await settle();
      const after = (await app.texts()).flatMap((w) => w.texts);
      expect(after).toContain('Back Up Now');
      expect(after).not.toContain('Cancel');
    } finally {
      rmSync(big, { force: true });
      await app.stop();
    }
  });

  test('after a cancel the page says the files are backed up and the backup was cancelled, not that it failed', async () => {
    const file = path.join(fx.stateDir, 'history.json');
    const runs = JSON.parse(readFileSync(file, 'utf8')) as RunRecord[];
    const now = new Date().toISOString();
    const message = 'The backup was cancelled. Nothing was lost: the next backup cleans up and continues from the last complete one.';
    runs.push({ id: 'cancelled-run', started: now, finished: now, ok: false, error: { code: 'Cancelled', message }, transfers: [] });
    writeFileSync(file, JSON.stringify(runs));
    const app = await startApp();
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
    await waitFor('the destinations checked', () => app.output().includes('rewind: destinations checked') || undefined, 60000);
    await new Promise((r) => setTimeout(r, 1500));
    const headline = lastHeadline(app.output()) ?? '';
    expect(headline).toMatch(/^backed-up: Your files are backed up \| .*The last backup was cancelled/);
    expect(headline).not.toMatch(/failed/i);
    const shot = path.join(shots, 'main-after-cancel-light.png');
    screenshot(display, shot);
    expectWindow(shot, 'light');
    await stopProcess(app.child);
  });

  test('a full backup disk: the page tells what was removed to make room; a toast says so in a line and goes away', async () => {
    const big = (name: string) => path.join(fx.home, `alice/${name}.bin`);
    // Three backups, the middle one alone holding 40 MiB that is gone from home since.
    writeRandomFile(big('x1'), 40);
    expect(runBackupCli(fx).ok).toBe(true);
    rmSync(big('x1'));
    expect(runBackupCli(fx).ok).toBe(true);
    // The disk is filled to 30 MiB free, outside Rewind's folder; the next change needs 40.
    const top = path.join(fx.dir, 'disk-top');
    mountLoop(fx.cleanup, fx.destination, top);
    const fs = statfsSync(top);
    sh('fallocate', ['-l', String(fs.bavail * fs.bsize - 30 * 1024 * 1024), path.join(top, 'filler')]);
    sh('btrfs', ['filesystem', 'sync', top]);
    writeRandomFile(big('x2'), 40);

    const app = await startApp();
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
    activate('back-up-now');
    await waitFor('the backup to finish', () => /rewind: backup (completed ok|failed \S+)/.exec(app.output())?.[0], 60000);
    expect(app.output()).toContain('rewind: backup completed ok');
    const history = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
    expect(history.at(-1)?.spaceFreed?.map((f) => f.message)).toEqual(['To make room on Test backup disk, the 2 oldest backups were removed.']);
    expect(app.output()).toContain('rewind: toast Backup finished; older copies removed for space');
    await stillScreen(display);
    const shot = path.join(shots, 'main-room-made-light.png');
    screenshot(display, shot);
    expectWindow(shot, 'light');
    // A toast goes away on its own.
    await waitFor('the toast to go', () => app.output().includes('rewind: toast gone Backup finished') || undefined, 20000);

    // Too big even after that: one sentence says why and what to do, in a dialog or a toast that goes away.
    writeRandomFile(big('x3'), 60);
    activate('back-up-now');
    await waitFor('the backup to fail', () => /rewind: backup failed DestinationFull/.exec(app.output())?.[0], 60000);
    const failed = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
    expect(failed.at(-1)?.error?.message).toMatch(/^This backup does not fit in the [\d.]+ (kB|MB) free on Test backup disk, even after the oldest backup was removed to make room/);
    await waitFor('the failure said', () => /rewind: (alert|toast) Backup failed/.exec(app.output())?.[0], 10000);
    await stillScreen(display);
    const failure = path.join(shots, 'main-disk-full-light.png');
    screenshot(display, failure);
    if (app.output().includes('rewind: toast Backup failed')) {
      await waitFor('the toast to go', () => app.output().includes('rewind: toast gone Backup failed') || undefined, 20000);
    }
    await stopProcess(app.child);

    // The disk as it was, and a backup that fits, for what follows.
    rmSync(path.join(top, 'filler'));
    rmSync(big('x3'));
    expect(runBackupCli(fx).ok).toBe(true);
  });

  for (const style of ['light', 'dark'] as const) {
    test(`with the disk away the page waits for it and gives the last backup's date, not an error (${style})`, async () => {
      detachLoop(fx.destination.device);
      const app = await startApp(style === 'dark' ? ['ADW_DEBUG_COLOR_SCHEME=prefer-dark'] : []);
      await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30000);
      await waitFor('the waiting headline', () => lastHeadline(app.output())?.startsWith('waiting') || undefined, 30000);
      await new Promise((r) => setTimeout(r, 1500));
      const headline = lastHeadline(app.output()) ?? '';
      expect(headline).toMatch(/^waiting: Waiting for Test backup disk \| Connect Test backup disk .* Last backup: (Just now|\d+ minutes? ago|Today at \d\d:\d\d)\.$/);
      expect(headline).not.toMatch(/not connected|failed/i);
      const shot = path.join(shots, `main-disk-away-${style}.png`);
      screenshot(display, shot);
      expectWindow(shot, style);
      await stopProcess(app.child);
    });
  }
});
