import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { APP_ID } from '../../src/core/ids';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { writeRandomFile } from '../support/random-file';
import { asSessionUser, pressAction } from '../support/shell-notifications';
import { REPO } from '../support/system-bus';
import { startUserSessionBus } from '../support/user-session';

/**
 * Notifications that can start the app: Rewind installed by meson into a
 * prefix of the test's own (the launcher, the bundle, the desktop entry and
 * the session bus's service file), a real session bus that finds the service
 * file through XDG_DATA_DIRS as a desktop session's does, the app NOT running,
 * and a notification's button pressed as GNOME Shell presses it
 * (org.freedesktop.Application.ActivateAction). The bus starts the installed
 * launcher with --gapplication-service; the app opens its window on the main
 * page, and Back Up Now backs up with the window following it. The helper is
 * the fixture's, activated on the test system bus.
 */
jest.setTimeout(240_000);

const OBJECT_PATH = `/${APP_ID.replaceAll('.', '/')}`;

let fx: BackupFixture;
let display: string;
let env: string[];
let busOutput: () => string;
let prefix: string;
const shots = artifactsDir(REPO, 'screenshots');

function gdbus(args: string[]): string {
  return sh('runuser', asSessionUser(fx, env, ['gdbus', 'call', '--session', ...args]));
}

function busMethod(method: string, ...args: string[]): string {
  return gdbus(['--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', `org.freedesktop.DBus.${method}`, ...args]);
}

const running = (): boolean => busMethod('NameHasOwner', APP_ID).includes('true');

/** The command line of the process that owns the app's name. */
function ownerCommandLine(): string[] {
  const pid = /\(uint32 (\d+),\)/.exec(busMethod('GetConnectionUnixProcessID', APP_ID))![1];
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
}

/** Lines the activated app printed (on the bus's output) since `from`. */
const printedSince = (from: number): string[] => busOutput().slice(from).split('\n');

async function waitForLine(what: string, from: number, line: string | RegExp, timeout = 60_000): Promise<string> {
  const found = () => printedSince(from).find((l) => (typeof line === 'string' ? l === line : line.test(l)));
  return waitFor(what, found, timeout).catch((e: Error) => {
    throw new Error(`${e.message}\n${busOutput().slice(from)}`);
  });
}

/** Every text on screen, by window (the app's test hook app.trace-texts, asked over org.gtk.Actions). */
async function texts(): Promise<Array<{ window: string; texts: string[] }>> {
  const from = busOutput().length;
  gdbus(['--dest', APP_ID, '--object-path', OBJECT_PATH, '--method', 'org.gtk.Actions.Activate', 'trace-texts', '[]', '{}']);
  const line = await waitForLine('the texts on screen', from, /^rewind: texts .*\]$/, 10_000);
  return JSON.parse(line.slice('rewind: texts '.length)) as Array<{ window: string; texts: string[] }>;
}

function shoot(name: string): void {
  const file = path.join(shots, `${name}-light.png`);
  screenshot(display, file);
  const { mean, spread } = windowBrightness(file);
  expect(spread).toBeGreaterThan(0.02);
  expect(mean).toBeGreaterThan(0.6);
}

/** Quits the app (no monitor runs in it, so Quit ends the process) and waits for its name to go. */
async function quit(): Promise<void> {
  if (!env || !running()) return;
  pressAction(fx, env, 'quit');
  await waitFor('the app to exit', () => !running() || undefined, 20_000);
}

function history(): RunRecord[] {
  const file = path.join(fx.stateDir, 'history.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]) : [];
}

beforeAll(async () => {
  fx = await createBackupFixture();
  expect(runBackupCli(fx).ok).toBe(true);
  // The app as a package installs it (no helper: the fixture's runs on the test system bus).
  prefix = path.join(fx.dir, 'prefix');
  sh('meson', ['setup', path.join(fx.dir, 'build'), REPO, `--prefix=${prefix}`, '-Dhelper=false']);
  sh('meson', ['install', '-C', path.join(fx.dir, 'build')]);
  display = await startXvfb(fx.cleanup);
  const session = await startUserSessionBus(fx, display, [
    `XDG_DATA_DIRS=${prefix}/share:/usr/local/share:/usr/share`,
    `GSETTINGS_SCHEMA_DIR=${prefix}/share/glib-2.0/schemas`,
  ]);
  env = session.env;
  busOutput = session.output;
  // Stopping the session bus ends an app it started; this ends one left running by a failed test first.
  fx.cleanup.add('quit the activated app', () => quit().catch(() => undefined));
});

// Each test starts with Rewind not running.
afterEach(quit);

afterAll(async () => {
  if (process.env.REWIND_SHOW_APP_OUTPUT) console.log(busOutput?.());
  await fx?.cleanup.run();
});

describe('D-Bus activation on the session bus', () => {
  test('the bus finds the installed service file, and the desktop entry asks for D-Bus activation', () => {
    expect(busMethod('ListActivatableNames')).toContain(`'${APP_ID}'`);
    const service = readFileSync(path.join(prefix, 'share/dbus-1/services', `${APP_ID}.service`), 'utf8');
    expect(service).toMatch(new RegExp(`^Exec=${prefix}/bin/rewind --gapplication-service$`, 'm'));
    expect(readFileSync(path.join(prefix, 'share/applications', `${APP_ID}.desktop`), 'utf8')).toMatch(/^DBusActivatable=true$/m);
    expect(running()).toBe(false);
  });

  test("a notification's Open, with Rewind not running, starts the installed app, which shows the main page", async () => {
    const from = busOutput().length;
    pressAction(fx, env, 'open');
    await waitForLine('the main page', from, 'rewind: page ready');
    expect(ownerCommandLine().slice(-2)).toEqual([`${prefix}/bin/rewind`, '--gapplication-service']);
    await waitForLine('the window on screen', from, 'rewind: window mapped');
    await new Promise((r) => setTimeout(r, 1500));
    const windows = await texts();
    expect(windows.map((w) => w.window)).toEqual(['Rewind']);
    expect(windows[0].texts).toEqual(expect.arrayContaining(['Your files are backed up', 'Back Up Now']));
    shoot('activated-open');
  });

  test("a notification's Back Up Now, with Rewind not running, starts it, backs up, and the window shows the backup", async () => {
    writeRandomFile(path.join(fx.home, 'alice/Documents/new.bin'), 1);
    const before = history().length;
    const from = busOutput().length;
    pressAction(fx, env, 'back-up-now');
    await waitForLine('the window opened for the backup', from, 'rewind: back-up-now opens the window', 30_000);
    const ended = await waitForLine('the backup to end', from, /^rewind: backup (completed ok|failed \S+)$/, 120_000);
    expect(ended).toBe('rewind: backup completed ok');
    expect(history()).toHaveLength(before + 1);
    expect(history().at(-1)).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'incremental', ok: true }] });
    // It was followed on screen: the running page, then the toast.
    expect(printedSince(from)).toEqual(expect.arrayContaining(['rewind: window mapped', 'rewind: state running']));
    await new Promise((r) => setTimeout(r, 1500));
    const windows = await texts();
    expect(windows.map((w) => w.window)).toEqual(['Rewind']);
    expect(windows[0].texts).toEqual(expect.arrayContaining(['Your files are backed up', 'Backup finished']));
    shoot('activated-back-up-now');
  });

  test('the launcher (org.freedesktop.Application.Activate, as GNOME Shell starts a D-Bus activatable app) opens the window', async () => {
    const from = busOutput().length;
    gdbus(['--dest', APP_ID, '--object-path', OBJECT_PATH, '--method', 'org.freedesktop.Application.Activate', '{}']);
    await waitForLine('the main page', from, 'rewind: page ready');
    expect(running()).toBe(true);
    await quit();
    // The process is gone, not only its name.
    await waitFor('the process to end', () => shResult('pgrep', ['-u', fx.allowed.name, '-f', 'bin/rewind --gapplication-service']).status === 1 || undefined, 10_000);
  });
});
