import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startXvfb } from '../support/display';
import { startProcess, stopProcess, waitFor } from '../support/exec';
import { flipByteOnDisk } from '../support/disk-damage';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { asSessionUser, pressAction, startShellNotifications, type ShellNotifications } from '../support/shell-notifications';
import { startUserSession } from '../support/user-session';

/**
 * A drill that finds a backup damaged, as a user's session hears of it: the
 * monitor (the real app under Xvfb, the helper activated on the test system
 * bus) posts "Backup damaged" with Back Up Now; pressed, the backup it starts
 * is a full one, never built on the damaged backup; the next drill comes back
 * identical and the notification is withdrawn.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let userEnv: string[];
let shell: ShellNotifications;
let monitor: ReturnType<typeof startProcess>;
let snapshot: string;

function history(): RunRecord[] {
  const file = path.join(fx.stateDir, 'history.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunRecord[]) : [];
}

beforeAll(async () => {
  fx = await createBackupFixture();
  const first = runBackupCli(fx);
  expect(first.ok).toBe(true);
  snapshot = first.transfers[0].snapshot!;
  const display = await startXvfb(fx.cleanup);
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
      'Some files restored from “Test backup disk” as a check did not come back as they were backed up. ' +
      'Back up now to make a new, complete backup there; the damaged one is kept until it is done. If this happens again, replace it.',
    'default-action': 'app.open',
    buttons: [
      { label: 'Open', action: 'app.open' },
      { label: 'Back Up Now', action: 'app.back-up-now' },
    ],
  });

  pressAction(fx, userEnv, 'back-up-now');
  const run = await waitFor('the backup Back Up Now started', () => history()[1], 120_000);
  expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'usb', kind: 'full', ok: true }] });
  expect(run.transfers[0].snapshot).not.toBe(snapshot);
  expect(run.transfers[0].damagedParent).toContain(`${snapshot} (a check restored files from it`);

  expect(helperCommand(fx, ['drill', '--json']).status).toBe(0);
  await shell.waitForCall('remove', 'check-failed-usb', before, 60_000, () => monitor.output());
});
