import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { DrillRecord, DrillResult } from '../../src/core/drill';
import { dbusErrorName } from '../../src/core/errors';
import type { HelperStatus } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { callAs } from '../support/browse-calls';
import { flipByteOnDisk } from '../support/disk-damage';
import { runBackupCli } from '../support/helper-run';
import { asUser } from '../support/system-bus';

/**
 * Check Backups Now as the app makes it: CheckBackups over the system bus,
 * through polkit, as a user who may back up; then GetStatus, as the main
 * page and the monitor read it, carries the drill's result for the disk.
 * A user polkit refuses is refused and nothing is checked.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let snapshot: string;

beforeAll(async () => {
  fx = await createBackupFixture();
  const record = runBackupCli(fx);
  expect(record.ok).toBe(true);
  snapshot = record.transfers[0].snapshot!;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** The disk's last drill as GetStatus tells it. */
function lastDrill(): DrillRecord | undefined {
  const r = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'status']);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"status"'));
  if (!line) throw new Error(`no status (exit ${r.status}): ${r.stdout}${r.stderr}`);
  return (JSON.parse(line) as { status: HelperStatus }).status.destinations.find((d) => d.id === 'usb')?.lastDrill;
}

test('a user polkit refuses may not check the backups', () => {
  const answer = callAs<DrillResult>(fx, fx.denied.name, 'CheckBackups', {});
  expect(answer.error?.name).toBe(dbusErrorName('NotAuthorized'));
  expect(lastDrill()).toBeUndefined();
});

test('Check Backups Now drills the disk, and the status then says how many files came back identical', () => {
  const answer = callAs<DrillResult>(fx, fx.allowed.name, 'CheckBackups', {});
  expect(answer.error).toBeUndefined();
  const drills = (answer.result as { drills: DrillRecord[] }).drills;
  expect(drills).toEqual([expect.objectContaining({ destination: 'usb', outcome: 'identical' })]);
  expect(drills[0].sources).toEqual([expect.objectContaining({ source: fx.home, backup: snapshot, problems: [] })]);
  // The fixture's home: report, its link, notes, the picture and .bashrc; the symbolic link is no file.
  expect(drills[0].sources[0].compared).toBe(4);
  expect(lastDrill()).toEqual(drills[0]);
});

test('damage found by Check Backups Now is in the status, naming the file', () => {
  flipByteOnDisk(fx, snapshot, 'alice/Pictures/holiday.raw');
  const answer = callAs<DrillResult>(fx, fx.allowed.name, 'CheckBackups', { destination: 'usb' });
  expect(answer.error).toBeUndefined();
  const status = lastDrill();
  expect(status).toEqual((answer.result as { drills: DrillRecord[] }).drills[0]);
  expect(status).toMatchObject({ destination: 'usb', outcome: 'damaged' });
  expect(status!.sources[0]).toMatchObject({ backup: snapshot, damaged: true, compared: 3 });
  expect(status!.sources[0].problems).toEqual([expect.stringContaining(`${path.join('alice', 'Pictures', 'holiday.raw')}: it could not be restored from the backup`)]);
});

test('a destination that is not in the configuration is refused in words', () => {
  const answer = callAs<DrillResult>(fx, fx.allowed.name, 'CheckBackups', { destination: 'elsewhere' });
  expect(answer.error?.name).toBe(dbusErrorName('InvalidArgs'));
  expect(answer.error?.message).toContain('There is no destination "elsewhere" in the configuration.');
});
