import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, screenshot, startXvfb } from '../support/display';
import { startProcess, stopProcess, waitFor } from '../support/exec';
import { flipByteOnDisk } from '../support/disk-damage';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { asSessionUser, pressAction, startShellNotifications, type ShellNotifications } from '../support/shell-notifications';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * A drill that finds a backup damaged, as a user's session hears of it: the
 * monitor (the real app under Xvfb, the helper activated on the test system
 * bus) posts "Backup damaged", naming the file and the restore points not
 * known to be good (the damaged backup and the older one it was built on),
 * with Back Up Now; opened, the main page says the same under the disk;
 * Back Up Now pressed, the backup it starts is a full one, never built on
 * the damaged backup; the next drill comes back identical and the
 * notification is withdrawn.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let userEnv: string[];
let display: string;
let shell: ShellNotifications;
let monitor: ReturnType<typeof startProcess>;
let snapshot: string;
let older: string;

/** A restore point as the app names it, on the session's clock (UTC): "Today 13:00", with seconds beside another of the same minute. */
function when(name: string, other: string): string {
  const [, date, hh, mm, ss] = /^(\d{8})T(\d\d)(\d\d)(\d\d)Z$/.exec(name)!;
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  expect(date).toBe(today);
  return `Today ${hh}:${mm}${name.slice(0, 13) === other.slice(0, 13) ? `:${ss}` : ''}`;
}

function history(): RunRecord[] {
  const file = path.join(fx.stateDir, 'history.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]) : [];
}

beforeAll(async () => {
  fx = await createBackupFixture();
  const first = runBackupCli(fx);
  expect(first.ok).toBe(true);
  older = first.transfers[0].snapshot!;
  // A second backup, on the first: the damage found in it may lie in data the first one shares.
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '# Notes\n- changed\n');
  // Snapshot names have a one-second resolution.
  await new Promise((r) => setTimeout(r, 1100));
  const second = runBackupCli(fx);
  expect(second).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: older }] });
  snapshot = second.transfers[0].snapshot!;
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC', 'REWIND_MONITOR_INTERVAL_SECONDS=2']);
  shell = await startShellNotifications(fx, userEnv);
  monitor = startProcess('runuser', asSessionUser(fx, userEnv, ['gjs', '-m', path.join(fx.dist, 'app/rewind.js'), '--monitor']));
  fx.cleanup.add('stop the monitor', () => stopProcess(monitor.child));
  await waitFor('the monitor', () => monitor.output().includes('rewind: monitor started') || undefined, 30_000);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('damage a drill found offers Back Up Now, which makes a full backup; a clean drill withdraws the notice', async () => {
  flipByteOnDisk(fx, snapshot, 'alice/Pictures/holiday.raw');
  const before = shell.received().length;
  expect(helperCommand(fx, ['drill', '--json']).status).toBe(1);
  const said = await shell.waitForCall('add', 'check-failed-usb', before, 60_000, () => monitor.output());
  expect(said.notification).toMatchObject({
    title: 'Backup damaged',
    body:
      'A check of “Test backup disk” found a damaged file: alice/Pictures/holiday.raw. ' +
      `Not known to be good: the backup of ${when(snapshot, older)} and the one before it. ` +
      'Back up now to make a new, complete backup there; the damaged one is kept until it is done.',
    'default-action': 'app.open',
    buttons: [
      { label: 'Open', action: 'app.open' },
      { label: 'Back Up Now', action: 'app.back-up-now' },
    ],
  });

  // Opened from the notification, the main page says the same under the disk.
  pressAction(fx, userEnv, 'open');
  const row = await waitFor('the check on the main page', () => /rewind: checked usb: (.*)/.exec(monitor.output())?.[1], 30_000);
  expect(row).toBe(
    'Last checked today: some files did not come back as they were backed up (alice/Pictures/holiday.raw). ' +
      `Not known to be good: the backup of ${when(snapshot, older)} and the one before it. ` +
      'Back up to another disk or server as well, and replace this one if it happens again.',
  );
  // The top of the page too: no "Your files are backed up" over a backup found damaged.
  const headlines = () => [...monitor.output().matchAll(/rewind: headline (\S+): (.*)/g)].map((m) => `${m[1]}: ${m[2]}`);
  expect(headlines().at(-1)).toBe(
    'damaged: A backup check found damage | Files restored from “Test backup disk” as a check did not come back as they were backed up, so the backups there cannot be trusted. ' +
      'Back up now to make a new, complete backup there; the damaged one is kept until it is done.',
  );
  await new Promise((r) => setTimeout(r, 1500));
  screenshot(display, path.join(artifactsDir(REPO, 'screenshots'), 'main-check-damaged-light.png'));

  pressAction(fx, userEnv, 'back-up-now');
  const run = await waitFor('the backup Back Up Now started', () => history()[2], 120_000);
  expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'full', ok: true }] });
  expect(run.transfers[0].snapshot).not.toBe(snapshot);
  expect(run.transfers[0].damagedParent).toContain(`${snapshot} (a check restored files from it`);
  // The new full backup replaces the damaged one as what the page stands on.
  await waitFor('the page backed up again', () => headlines().at(-1)?.startsWith('backed-up: Your files are backed up') || undefined, 30_000);

  expect(helperCommand(fx, ['drill', '--json']).status).toBe(0);
  await shell.waitForCall('remove', 'check-failed-usb', before, 60_000, () => monitor.output());
});
