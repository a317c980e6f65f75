import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { WEEKDAYS } from '../../src/core/schedule';
import { APP_ID } from '../../src/core/ids';
import type { MonitorState } from '../../src/core/monitor-rules';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, shResult, startProcess, stopProcess, waitFor } from '../support/exec';
import { detachLoop, unmount } from '../support/loop-btrfs';
import { freePort, makeKey, startSshd } from '../support/sshd';
import { REPO } from '../support/system-bus';
import { asSessionUser, pressAction, startShellNotifications, type Received, type ShellNotifications } from '../support/shell-notifications';
import { startUserSession } from '../support/user-session';

/**
 * `rewind --monitor` as a user's session runs it: the real app (GJS, under
 * Xvfb) on a session bus of its own, the real helper D-Bus activated on the
 * test system bus, a real btrfs backup disk on a loop device that is detached
 * and attached again with losetup. The one stand-in is GNOME Shell's
 * notification server (tests/support/notification-server.js), which owns
 * org.gtk.Notifications and records what arrives. Its buttons are pressed
 * the way the Shell does: org.freedesktop.Application.ActivateAction on the
 * app's object.
 *
 * The history starts with a backup to the disk ten days ago (the format the
 * helper writes), so "not seen for N days" comes from real data, not a
 * clock override. The schedule is weekly, three days from today: the
 * ten-day-old backup missed a run, a fresh one did not.
 *
 * Scheduled runs wait on battery. Whether the computer is plugged in is the
 * one fact faked: the helper reads its power supplies from a folder laid out
 * as /sys/class/power_supply (REWIND_POWER_SUPPLY_DIR), whose files the test
 * writes as the kernel would when the charger is unplugged.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let userEnv: string[];
let display: string;
let device: string;
let monitor: ReturnType<typeof startProcess>;
const powerDir = mkdtempSync(path.join(os.tmpdir(), 'rewind-power-supply-'));
/** The environment of the timer's `run --scheduled`, as of the activated helper. */
const timerEnv = { ...process.env, REWIND_POWER_SUPPLY_DIR: powerDir };
const DAY = 24 * 60 * 60 * 1000;
const tenDaysAgo = new Date(Date.now() - 10 * DAY).toISOString();

let shell: ShellNotifications;
const received = (): Received[] => shell.received();

/** Waits for a call about `id` after the first `after` calls, and returns it. */
async function waitForCall(call: Received['call'], id: string, after: number, timeout = 60_000): Promise<Received> {
  return shell.waitForCall(call, id, after, timeout, () => `monitor said:\n${monitor.output()}`);
}

function asUser(args: string[]) {
  return asSessionUser(fx, userEnv, args);
}

/** Presses a notification's button as GNOME Shell does. */
function activateAction(action: string): void {
  pressAction(fx, userEnv, action);
}

function history(): RunRecord[] {
  return JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
}

function monitorState(): MonitorState | undefined {
  const file = path.join(fx.dir, 'user-home/.local/state/rewind/monitor.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MonitorState) : undefined;
}

/** A laptop's mains adapter and battery, as sysfs shows them plugged in or not. */
function setPower(plugged: boolean): void {
  for (const [name, files] of Object.entries({
    AC: { type: 'Mains', online: plugged ? '1' : '0' },
    BAT0: { type: 'Battery', scope: 'System', status: plugged ? 'Charging' : 'Discharging' },
  })) {
    mkdirSync(path.join(powerDir, name), { recursive: true });
    for (const [file, value] of Object.entries(files)) writeFileSync(path.join(powerDir, name, file), `${value}\n`);
  }
}

/** The timer's run, as its service starts it. */
function scheduledRun(args: string[] = []): { status: number; stdout: string; stderr: string } {
  const [cmd, ...rest] = fx.helperCli(['run', '--scheduled', ...args]);
  return shResult(cmd, rest, { env: timerEnv });
}

function detachDisk(): void {
  detachLoop(device);
}

function attachDisk(): void {
  device = sh('losetup', ['--find', '--show', fx.destination.image]).trim();
  const attached = device;
  fx.cleanup.add(`detach ${attached}`, () => detachLoop(attached));
}

/** The monitor's state file as it is now: the monitor replaces it (a new file renamed into place) each time it decides from a status. */
function stateVersion(): string {
  const file = path.join(fx.dir, 'user-home/.local/state/rewind/monitor.json');
  if (!existsSync(file)) return '';
  const { ino, mtimeNs } = statSync(file, { bigint: true });
  return `${ino}:${mtimeNs}`;
}

/** Waits until the monitor has checked the status `count` more times (every second, and on its events). */
async function monitorChecks(count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = stateVersion();
  for (let seen = 0; seen < count; ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} checks of the monitor (saw ${seen})`);
    await new Promise((r) => setTimeout(r, 50));
    const now = stateVersion();
    if (now !== last) seen++;
    last = now;
  }
}

async function waitUntilMonitorSees(connected: boolean): Promise<void> {
  await waitFor(`the monitor to see the disk ${connected ? 'attached' : 'detached'}`, () => (monitorState()?.detached.includes('usb') === !connected) || undefined, 30_000);
}

async function waitForBackups(count: number): Promise<RunRecord> {
  await waitFor(`${count} runs in the history`, () => (existsSync(path.join(fx.stateDir, 'history.json')) && history().length >= count) || undefined, 120_000);
  return history()[count - 1];
}

beforeAll(async () => {
  setPower(true);
  fx = await createBackupFixture({ helperEnv: [`REWIND_POWER_SUPPLY_DIR=${powerDir}`] });
  device = fx.destination.device;
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Record<string, unknown>;
  const inThreeDays = WEEKDAYS[(new Date().getDay() + 6 + 3) % 7];
  config.schedule = { kind: 'weekly', day: inThreeDays, at: '12:00' };
  config.notifications = { remindAfterDays: 7 };
  config.conditions = { postponeOnBattery: true, postponeOnMetered: true };
  writeFileSync(fx.configPath, JSON.stringify(config));
  mkdirSync(fx.stateDir, { recursive: true });
  const old: RunRecord = {
    id: 'run-ten-days-ago',
    started: tenDaysAgo,
    finished: tenDaysAgo,
    ok: true,
    transfers: [{ source: fx.home, destination: 'usb', snapshot: '20260101T000000Z', kind: 'full', bytes: 4096, seconds: 1, ok: true }],
  };
  writeFileSync(path.join(fx.stateDir, 'history.json'), JSON.stringify([old]));

  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC', 'REWIND_MONITOR_INTERVAL_SECONDS=1']);
  shell = await startShellNotifications(fx, userEnv);

  // The disk is away when the session starts.
  detachDisk();
  monitor = startProcess('runuser', asUser(['gjs', '-m', path.join(fx.dist, 'app/rewind.js'), '--monitor']));
  fx.cleanup.add('stop the monitor', () => stopProcess(monitor.child));
  await waitFor('the monitor', () => monitor.output().includes('rewind: monitor started') || undefined, 30_000);
});

afterAll(async () => {
  if (process.env.REWIND_SHOW_APP_OUTPUT) console.log(`${monitor?.output()}\n${JSON.stringify(shell?.received(), null, 1)}`);
  try {
    await fx?.cleanup.run();
  } finally {
    // Made before the fixture, so removed also when the fixture could not be made.
    rmSync(powerDir, { recursive: true, force: true });
  }
});

describe('the monitor', () => {
  test('reminds that the backup disk has not been connected for ten days', async () => {
    const reminder = await waitForCall('add', 'not-seen-usb', 0);
    expect(reminder.appId).toBe(APP_ID);
    expect(reminder.notification).toMatchObject({
      title: 'Backup disk not connected',
      body: '“Test backup disk” has not been connected for 10 days. Connect it to back up your latest files.',
      'default-action': 'app.open',
    });
    // Checks every second; at most one reminder a day.
    await monitorChecks(3);
    expect(received().filter((r) => r.id === 'not-seen-usb')).toHaveLength(1);
  });

  test('the disk comes back on battery: the reminder goes, the missed backup is postponed, and starts once the computer is plugged in', async () => {
    const before = received().length;
    setPower(false);
    attachDisk();
    await waitForCall('remove', 'not-seen-usb', before);
    const connected = await waitForCall('add', 'disk-connected-usb', before);
    expect(connected.notification).toMatchObject({
      title: 'Backup disk connected',
      body: 'A scheduled backup to “Test backup disk” was missed. It starts when the computer is plugged in.',
      buttons: [{ label: 'Back Up Now', action: 'app.back-up-now' }],
    });
    // The scheduled run obeys the battery rule as the timer's does: recorded as postponed, nothing copied.
    const postponed = await waitForBackups(2);
    expect(postponed).toMatchObject({ ok: false, outcome: 'postponed', postponed: 'on-battery', transfers: [] });
    expect(postponed.error).toBeUndefined();
    // Several checks of the monitor go by on battery.
    await monitorChecks(3);
    expect(history()).toHaveLength(2);

    setPower(true);
    const run = await waitForBackups(3);
    expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'full', ok: true }] });
    // Backed up since it was connected: nothing left to say.
    await waitForCall('remove', 'disk-connected-usb', before);
    // Run once: the postponed run is no longer pending.
    await monitorChecks(2);
    expect(history()).toHaveLength(3);
    expect(received().slice(before).filter((r) => r.id === 'backup-failed')).toEqual([]);
  });

  test('a disk connected when no run was missed offers Back Up Now, which backs up', async () => {
    detachDisk();
    await waitUntilMonitorSees(false);
    const before = received().length;
    attachDisk();
    const connected = await waitForCall('add', 'disk-connected-usb', before);
    expect(connected.notification).toMatchObject({
      body: '“Test backup disk” is ready for backups.',
      buttons: [{ label: 'Back Up Now', action: 'app.back-up-now' }],
    });
    await monitorChecks(2);
    expect(history()).toHaveLength(3);

    // Something to back up: a run with nothing changed sends nothing ('up-to-date').
    writeFileSync(path.join(fx.home, 'alice', 'while-the-disk-was-away.txt'), 'new\n');
    activateAction('back-up-now');
    const run = await waitForBackups(4);
    expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'incremental', ok: true }] });
    await waitForCall('remove', 'disk-connected-usb', before);
  });

  test('a scheduled run with the disk away is skipped, exits 0, and posts no failure', async () => {
    detachDisk();
    await waitUntilMonitorSees(false);
    const before = received().length;
    const result = scheduledRun(['--json']);
    expect(result.status).toBe(0);
    const run = await waitForBackups(5);
    expect(run).toMatchObject({ ok: false, outcome: 'skipped', skipped: [{ destination: 'usb', reason: { code: 'DestinationMissing' } }] });
    expect(run.error).toBeUndefined();
    // Several checks of the monitor go by.
    await monitorChecks(3);
    expect(received().slice(before).filter((r) => r.id === 'backup-failed')).toEqual([]);
  });

  test('a failure caused by the disk going away says why, with Open, and is withdrawn once the disk is back', async () => {
    const before = received().length;
    // The run that lost its disk mid-transfer (destination-gone.test.ts makes one for real).
    const runs = history();
    const at = new Date().toISOString();
    const error = { code: 'DestinationMissing', message: 'The backup disk stopped responding during the backup. Connect the backup disk, then try again.' } as const;
    runs.push({ id: 'lost-disk', started: at, finished: at, ok: false, error, transfers: [{ source: '/home', destination: 'usb', snapshot: 's', kind: 'incremental', bytes: 0, seconds: 1, ok: false, error }] });
    writeFileSync(path.join(fx.stateDir, 'history.json'), JSON.stringify(runs));
    const failed = await waitForCall('add', 'backup-failed', before);
    expect(failed.notification).toMatchObject({
      title: 'Backup failed',
      'default-action': 'app.open',
      buttons: [{ label: 'Open', action: 'app.open' }],
    });
    expect(failed.notification?.body).toBe(error.message);

    // No backup runs: the disk being back is enough.
    attachDisk();
    await waitForCall('remove', 'backup-failed', before);
    expect(history().at(-1)?.id).toBe('lost-disk');
    // Catch up, as the tests after this one expect.
    activateAction('back-up-now');
    expect(await waitForBackups(7)).toMatchObject({ ok: true });
  });

  test('a disk that runs low on space is reported, and the warning goes when space is freed', async () => {
    // Mounted as the desktop would automount it, then filled.
    const mountPoint = path.join(fx.dir, 'automount');
    mkdirSync(mountPoint, { recursive: true });
    sh('mount', [device, mountPoint]);
    fx.cleanup.add(`unmount ${mountPoint}`, () => unmount(mountPoint));
    const avail = Number(sh('df', ['-B1', '--output=avail', mountPoint]).split('\n')[1]);
    const filler = path.join(mountPoint, 'filler');
    const before = received().length;
    sh('fallocate', ['-l', String(avail - 12 * 1024 * 1024), filler]);
    sh('sync', ['-f', mountPoint]);
    const low = await waitForCall('add', 'space-low-usb', before);
    expect(low.notification?.title).toBe('Backup disk almost full');
    expect(low.notification?.body).toMatch(/^Only [\d.]+\sMB is free on “Test backup disk”\./);

    sh('rm', [filler]);
    sh('sync', ['-f', mountPoint]);
    await waitForCall('remove', 'space-low-usb', before);
    unmount(mountPoint);
  });

  test('opening Rewind shows the window in the monitor, and closing it leaves the monitor running', async () => {
    const mapped = () => monitor.output().split('rewind: window mapped').length - 1;
    activateAction('open');
    await waitFor('the window', () => mapped() >= 1 || undefined, 30_000);
    await waitFor('the main page', () => monitor.output().includes('rewind: page ready') || undefined, 30_000);
    const shot = path.join(artifactsDir(REPO, 'screenshots'), 'monitor-opened-window-light.png');
    const drawn = await waitFor('the window drawn', () => {
      screenshot(display, shot);
      return windowBrightness(shot).spread > 0.02 || undefined;
    }, 20_000, 1000).catch((e: Error) => `${e.message}\n${shResult('xwininfo', ['-display', display, '-root', '-tree']).stdout}`);
    expect(drawn).toBe(true);
    activateAction('quit');
    await new Promise((r) => setTimeout(r, 2000));
    expect(monitor.child.exitCode).toBeNull();

    // Rewind from the launcher: a second instance that hands over to the monitor and exits.
    const launched = shResult('runuser', asUser(['timeout', '30', 'gjs', '-m', path.join(fx.dist, 'app/rewind.js')]));
    expect(launched.status).toBe(0);
    await waitFor('the window again', () => mapped() >= 2 || undefined, 30_000);
    expect(monitor.child.exitCode).toBeNull();
  });

  test('a scheduled run on battery is postponed and recorded once, says so in words, and runs as soon as the computer is plugged in', async () => {
    const count = history().length;
    const before = received().length;
    writeFileSync(path.join(fx.home, 'alice', 'written-on-battery.txt'), 'new\n');
    setPower(false);
    const first = scheduledRun(['--json']);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: false, outcome: 'postponed', postponed: 'on-battery', transfers: [] });
    // The timer elapses again, still on battery: exit 0 (no retry), and no second record.
    const again = scheduledRun();
    expect({ status: again.status, stdout: again.stdout.trim() }).toEqual({
      status: 0,
      stdout: expect.stringMatching(/^Backup postponed: running on battery \(since \S+\)\. It runs when the computer is plugged in, or at the next scheduled time\.$/),
    });
    expect(history()).toHaveLength(count + 1);
    const [cmd, ...args] = fx.helperCli(['status']);
    expect(shResult(cmd, args, { env: timerEnv }).stdout).toContain('Last scheduled run postponed: running on battery; it runs when the computer is plugged in.');

    // The history window (the monitor's window is open since the test before) says it in words.
    activateAction('history');
    await waitFor('the history window', () => monitor.output().includes('rewind: history newest Postponed: running on battery') || undefined, 30_000);

    await monitorChecks(3);
    expect(history()).toHaveLength(count + 1);
    setPower(true);
    const run = await waitForBackups(count + 2);
    expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'incremental', ok: true }] });
    await monitorChecks(2);
    expect(history()).toHaveLength(count + 2);
    expect(received().slice(before).filter((r) => r.id === 'backup-failed')).toEqual([]);
  });

  test('a backup server that cannot be reached is skipped without a word; one that answers and refuses is a failure', async () => {
    const sshd = await startSshd(fx.cleanup, fx.dir);
    // The helper's own key, which the server does not accept, and the server's host key, pinned for its port and for a port where nothing listens.
    const sshDir = path.join(fx.stateDir, 'ssh');
    mkdirSync(sshDir, { mode: 0o700, recursive: true });
    chmodSync(sshDir, 0o700);
    makeKey(sshDir, 'id_ed25519', 'rewind-test-client');
    const closed = await freePort();
    const hostKey = readFileSync(sshd.knownHosts, 'utf8').trim().split(' ').slice(1).join(' ');
    writeFileSync(path.join(sshDir, 'known_hosts'), `[127.0.0.1]:${closed} ${hostKey}\n[127.0.0.1]:${sshd.port} ${hostKey}\n`, { mode: 0o600 });
    const withServer = (port: number) => {
      const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: object[] };
      const server = { id: 'srv', kind: 'ssh', host: '127.0.0.1', port, user: 'root', path: '/srv/rewind', label: 'Home server' };
      writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations: [...config.destinations.filter((d) => (d as { id: string }).id !== 'srv'), server] }));
    };
    detachDisk();
    await waitUntilMonitorSees(false);

    withServer(closed);
    const before = received().length;
    const away = scheduledRun(['--json']);
    expect(away.status).toBe(0);
    const skipped = JSON.parse(away.stdout) as RunRecord;
    expect(skipped).toMatchObject({ ok: false, outcome: 'skipped', transfers: [] });
    expect(skipped.skipped?.map((s) => [s.destination, s.reason.code]).sort()).toEqual([['srv', 'HostUnreachable'], ['usb', 'DestinationMissing']]);
    expect(skipped.error).toBeUndefined();
    await monitorChecks(3);
    expect(received().slice(before).filter((r) => r.id === 'backup-failed')).toEqual([]);

    // The server is there and refuses this computer's key: that is for the user to fix.
    withServer(sshd.port);
    const refused = scheduledRun(['--json']);
    expect(refused.status).toBe(1);
    const failed = JSON.parse(refused.stdout) as RunRecord;
    expect(failed).toMatchObject({ ok: false, error: { code: 'KeyNotAccepted' } });
    expect(failed.outcome).toBeUndefined();
    const notification = await waitForCall('add', 'backup-failed', before);
    expect(notification.notification?.body).toMatch(/did not accept this computer’s key/);
  });

  test('success notifications stay off by default', () => {
    expect(received().filter((r) => r.id === 'backup-succeeded')).toEqual([]);
  });
});
