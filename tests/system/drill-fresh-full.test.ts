import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { DamagedBackup } from '../../src/core/damaged-backups';
import type { DrillRecord } from '../../src/core/drill';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { flipByteOnDisk, onBackupDisk } from '../support/disk-damage';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { writeRandomFile } from '../support/random-file';

/**
 * A damaged backup never becomes a parent. A byte flipped on the backup
 * disk under a file only the newest backup holds: the drill names the file
 * and marks that backup in the helper's state; the next run, with nothing
 * changed at home, takes a new snapshot and sends it full (never an
 * incremental on the damaged backup, nor on an older one that may share
 * its blocks), keeping the damaged backup beside it; the drill after it is
 * clean, and the run after that is incremental on the fresh full backup.
 */
jest.setTimeout(240_000);

let fx: BackupFixture;
let usbDisk: object;
const runs: RunRecord[] = [];

function run(): RunRecord {
  const record = runBackupCli(fx);
  expect(record.error).toBeUndefined();
  expect(record.ok).toBe(true);
  runs.push(record);
  return record;
}

function drill(): { status: number; drill: DrillRecord } {
  const json = helperCommand(fx, ['drill', '--destination', 'usb', '--json']);
  const records = (JSON.parse(json.stdout) as { drills: DrillRecord[] }).drills;
  expect(records).toHaveLength(1);
  return { status: json.status, drill: records[0] };
}

const backupsOnDisk = (): string[] => {
  let names: string[] = [];
  onBackupDisk(fx, 'ro', '', (folder) => (names = readdirSync(folder).sort()));
  return names;
};

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  usbDisk = { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' };
  writeFixtureConfig(fx, [usbDisk]);
  expect(run().transfers[0].kind).toBe('full');
  // A file only the second backup holds: its data lies in no other backup's blocks.
  writeRandomFile(path.join(fx.home, 'alice/clip.bin'), 1);
  expect(run().transfers[0]).toMatchObject({ kind: 'incremental', parent: runs[0].transfers[0].snapshot });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('a drill that finds a damaged file names it and marks the backup it read', () => {
  const damaged = runs[1].transfers[0].snapshot!;
  flipByteOnDisk(fx, damaged, 'alice/clip.bin');
  const { status, drill: record } = drill();
  expect(status).toBe(1);
  expect(record.outcome).toBe('damaged');
  expect(record.sources[0]).toMatchObject({ backup: damaged, damaged: true });
  expect(record.sources[0].problems).toEqual([expect.stringMatching(/^alice\/clip\.bin: it could not be restored from the backup: .*Input\/output error/)]);
  const human = helperCommand(fx, ['drill', '--destination', 'usb']).stdout;
  expect(human).toContain(`No backup is built on ${damaged} or an older one: the next backup there is a full one`);
  // Kept by root in the helper's state, not on the disk; once, however often a drill finds it.
  const marks = JSON.parse(readFileSync(path.join(fx.stateDir, 'damaged-backups.json'), 'utf8')) as DamagedBackup[];
  expect(marks).toEqual([expect.objectContaining({ destination: 'usb', folder: 'home', backup: damaged })]);
});

test('the next run, with nothing changed, sends a new snapshot full and keeps the damaged backup', () => {
  const [first, damaged] = runs.map((r) => r.transfers[0].snapshot!);
  const transfer = run().transfers[0];
  expect(transfer.kind).toBe('full');
  expect(transfer.snapshot).not.toBe(damaged);
  expect(transfer.parent).toBeUndefined();
  expect(transfer.damagedParent).toContain(`${damaged} (a check restored files from it and they did not come back as they were backed up); the backup before it`);
  expect(backupsOnDisk()).toEqual([first, damaged, transfer.snapshot].sort());
});

test('the fresh full backup drills clean, and the next run is incremental on it', () => {
  const fresh = runs[2].transfers[0].snapshot!;
  const { status, drill: record } = drill();
  expect(status).toBe(0);
  expect(record.outcome).toBe('identical');
  expect(record.sources[0]).toMatchObject({ backup: fresh, problems: [] });
  expect(record.sources[0].damaged).toBeUndefined();
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '# Notes\n- after the fresh backup\n');
  expect(run().transfers[0]).toMatchObject({ kind: 'incremental', parent: fresh });
});

/** Three times the files a drill samples here (the configuration's budget), of many sizes and times, so that each seed chooses another sample. */
const SAMPLE = 40;
const MANY = 3 * SAMPLE;

test('a healthy disk drills clean 20 times in a row, each time with another seed', () => {
  mkdirSync(path.join(fx.home, 'alice/many'));
  for (let i = 0; i < MANY; i++) {
    const file = path.join(fx.home, 'alice/many', `file-${i}.dat`);
    writeFileSync(file, Buffer.alloc((i * 977) % 20000, i % 251));
    utimesSync(file, 1_600_000_000 + i * 3600, 1_600_000_000 + i * 3600);
  }
  writeFixtureConfig(fx, [usbDisk], { drill: { files: SAMPLE } });
  const newest = run().transfers[0].snapshot!;
  for (let seed = 1; seed <= 20; seed++) {
    const json = helperCommand(fx, ['drill', '--destination', 'usb', '--seed', String(seed), '--json']);
    const [record] = (JSON.parse(json.stdout) as { drills: DrillRecord[] }).drills;
    expect([seed, json.status, record.outcome, record.seed]).toEqual([seed, 0, 'identical', seed]);
    // The budget's files, none left uncompared.
    expect(record.sources).toEqual([expect.objectContaining({ backup: newest, compared: SAMPLE, problems: [] })]);
    expect(record.sources[0].notCompared).toBeUndefined();
  }
});
