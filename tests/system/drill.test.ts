import { mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { DrillRecord } from '../../src/core/drill';
import { createBackupFixture, localSnapshot, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { flipByteOnDisk, onBackupDisk, removeXattrOnDisk } from '../support/disk-damage';
import { change, flipByte, manifestIn, run } from '../support/stream-damage';

/**
 * Restore drills on a real btrfs backup disk and on stream files in a
 * folder: a healthy backup drills clean and says how many files it
 * compared; damage done the way a disk does it (a file inside the received
 * backup changed, its time kept; a flipped byte in a stored stream) is
 * named in words, with the file, and the command exits 1; so are a stream
 * file cut short, a deleted link of a chain and an xattr removed from the
 * copy on the disk. Each says which restore points it leaves not known to
 * be good: a damaged stream's and the later ones replaying it, a received
 * backup and the older ones.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let folder: string;
let snapshot: string;
/** Regular files in the sample home (the link is no file): each is sampled, the budget being far larger. */
const FILES = 6;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  // A hard link and a sparse file beside the fixture's files with xattrs, small and large.
  sh('ln', [path.join(fx.home, 'alice/Documents/report.txt'), path.join(fx.home, 'alice/report-link.txt')]);
  sh('truncate', ['-s', '20M', path.join(fx.home, 'alice/disk.img')]);
  sh('dd', ['if=/dev/urandom', `of=${path.join(fx.home, 'alice/disk.img')}`, 'bs=4096', 'count=3', 'seek=1000', 'conv=notrunc', 'status=none']);
  folder = path.join(fx.dir, 'streams');
  mkdirSync(folder);
  writeFixtureConfig(fx, [
    { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' },
    { id: 'folder', kind: 'files', path: folder, label: 'Shared folder' },
  ]);
  const record = runBackupCli(fx);
  expect(record.ok).toBe(true);
  snapshot = record.transfers[0].snapshot!;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

function drill(args: string[] = []): { status: number; drills: DrillRecord[]; human: string } {
  const json = helperCommand(fx, ['drill', '--json', ...args]);
  const human = helperCommand(fx, ['drill', ...args]);
  expect(human.status).toBe(json.status);
  return { status: json.status, drills: (JSON.parse(json.stdout) as { drills: DrillRecord[] }).drills, human: human.stdout };
}

test('a healthy btrfs disk and stream files drill clean, and say how many files came back', () => {
  const result = drill();
  expect(result.status).toBe(0);
  expect(result.drills.map((d) => [d.destination, d.outcome])).toEqual([
    ['usb', 'identical'],
    ['folder', 'identical'],
  ]);
  for (const d of result.drills) expect(d.sources).toEqual([expect.objectContaining({ source: fx.home, backup: snapshot, compared: FILES, problems: [] })]);
  expect(result.human).toContain(`Test backup disk: all ${FILES} sampled files came back identical.`);
  expect(result.human).toContain(`Shared folder: all ${FILES} sampled files came back identical.`);
  // Recorded apart from the runs, each with its seed; nothing left in the state folder.
  expect(readdirSync(fx.stateDir).filter((n) => n.startsWith('drill'))).toEqual(['drills.json']);
});

test('a byte flipped on the btrfs disk itself is named, and the drill exits 1', () => {
  flipByteOnDisk(fx, snapshot, 'alice/Pictures/holiday.raw');
  const result = drill(['--destination', 'usb']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'usb', outcome: 'damaged' })]);
  const problems = result.drills[0].sources[0].problems;
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(/^alice\/Pictures\/holiday\.raw: it could not be restored from the backup: .*Input\/output error/);
  expect(result.drills[0].sources[0].compared).toBe(FILES - 1);
  // The only backup there is the one damaged: no older one shares its data.
  expect(result.drills[0].sources[0].affected).toEqual([snapshot]);
  expect(result.human).toContain('Test backup disk: DAMAGED.');
});

test('a backup made writable and changed is reported, never passed over as good', () => {
  onBackupDisk(fx, 'rw', snapshot, (backup) => {
    sh('btrfs', ['property', 'set', '-f', '-ts', backup, 'ro', 'false']);
    const file = path.join(backup, 'alice/Documents/notes.md');
    writeFileSync(file, '# Notes\n- buy mild\n');
    sh('touch', ['-r', path.join(localSnapshot(fx, snapshot), 'alice/Documents/notes.md'), file]);
  });
  const result = drill(['--destination', 'usb']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'usb', outcome: 'damaged' })]);
  expect(result.drills[0].sources[0].problems).toEqual([expect.stringContaining(`The backup ${snapshot} was changed or left incomplete after it was received`)]);
  // That backup itself: a change made to it does not reach any other.
  expect(result.drills[0].sources[0].affected).toEqual([snapshot]);
  expect(result.human).toContain('Test backup disk: DAMAGED.');
});

test('a flipped byte in a stored stream file is named, and the drill exits 1', () => {
  const streams = path.join(folder, fx.hostName, 'home');
  const part = manifestIn(streams).streams.at(-1)!.parts[0].file;
  flipByte(path.join(streams, part));
  const result = drill(['--destination', 'folder']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'folder', outcome: 'damaged' })]);
  expect(result.drills[0].sources[0]).toMatchObject({ damagedStream: snapshot, affected: [snapshot] });
  expect(result.drills[0].sources[0].problems[0]).toContain(part);
  expect(result.human).toContain('Shared folder: DAMAGED.');
  expect(result.human).toContain(part);
});

test('damage in an older stream of a chain, which a run does not read, is found by a drill, and the next backup starts a new chain', () => {
  writeFixtureConfig(fx, [{ id: 'folder', kind: 'files', path: folder, label: 'Shared folder' }]);
  const streams = path.join(folder, fx.hostName, 'home');
  // The damaged newest stream above is never built on: a new chain, then an incremental on it.
  change(fx);
  const full = run(fx);
  expect(full.kind).toBe('full');
  change(fx);
  const incremental = run(fx);
  expect(incremental).toMatchObject({ kind: 'incremental', parent: full.snapshot });
  // A byte of the new chain's full stream: a run checks only the newest stream's data, so it would build on this chain.
  const part = manifestIn(streams).streams.find((s) => s.name === full.snapshot)!.parts[0].file;
  flipByte(path.join(streams, part));
  const result = drill(['--destination', 'folder']);
  expect(result.status).toBe(1);
  // The damaged full stream's point, and the incremental that replays it; not the older chain, which is files of its own.
  expect(result.drills[0].sources[0]).toMatchObject({
    damaged: true,
    damagedStream: full.snapshot,
    affected: [full.snapshot, incremental.snapshot],
    problems: [expect.stringContaining(part)],
  });
  expect(result.human).toContain(`Restore points not known to be good of ${fx.home} (2): ${full.snapshot}, ${incremental.snapshot}.`);

  change(fx);
  const next = run(fx);
  expect(next).toMatchObject({ kind: 'full', damagedParent: expect.stringContaining('a check restored files from it and they did not come back as they were backed up') });
  const clean = drill(['--destination', 'folder']);
  expect(clean.status).toBe(0);
  expect(clean.drills[0].sources[0]).toMatchObject({ backup: next.snapshot, problems: [] });
});

test('a stream file cut short is named, and the drill exits 1', () => {
  const streams = path.join(folder, fx.hostName, 'home');
  const newest = manifestIn(streams).streams.at(-1)!;
  const part = newest.parts[0].file;
  const file = path.join(streams, part);
  const size = statSync(file).size;
  truncateSync(file, Math.floor(size / 2));
  const result = drill(['--destination', 'folder']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'folder', outcome: 'damaged' })]);
  expect(result.drills[0].sources[0]).toMatchObject({
    damaged: true,
    compared: 0,
    damagedStream: newest.name,
    affected: [newest.name],
    problems: [expect.stringContaining(`${part} is ${Math.floor(size / 2)} bytes, the manifest says ${size}`)],
  });
  expect(result.human).toContain('Shared folder: DAMAGED.');
  expect(result.human).toContain(part);
});

test('a deleted link of a chain is named, though the newest stream is intact, and the drill exits 1', () => {
  const streams = path.join(folder, fx.hostName, 'home');
  change(fx);
  const full = run(fx);
  expect(full.kind).toBe('full');
  change(fx);
  const newest = run(fx);
  expect(newest).toMatchObject({ kind: 'incremental', parent: full.snapshot });
  const part = manifestIn(streams).streams.find((s) => s.name === full.snapshot)!.parts[0].file;
  rmSync(path.join(streams, part));
  const result = drill(['--destination', 'folder']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'folder', outcome: 'damaged' })]);
  expect(result.drills[0].sources[0]).toMatchObject({
    backup: newest.snapshot,
    damaged: true,
    compared: 0,
    damagedStream: full.snapshot,
    affected: [full.snapshot, newest.snapshot],
    problems: [expect.stringContaining(`${part} is missing`)],
  });
  expect(result.human).toContain('Shared folder: DAMAGED.');
  expect(result.human).toContain(`${part} is missing`);
});

test('an extended attribute removed from the copy on the btrfs disk, the backup left looking untouched, is named', () => {
  writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' }]);
  // The backup changed above is no parent: a new full backup, healthy until its xattr goes.
  change(fx);
  const backup = run(fx);
  expect(backup.kind).toBe('full');
  expect(drill(['--destination', 'usb']).status).toBe(0);
  removeXattrOnDisk(fx, backup.snapshot!, 'alice/Documents/report.txt', 'user.rewind.tag');
  const result = drill(['--destination', 'usb']);
  expect(result.status).toBe(1);
  expect(result.drills).toEqual([expect.objectContaining({ destination: 'usb', outcome: 'damaged' })]);
  const problems = result.drills[0].sources[0].problems;
  expect(problems).toContain('alice/Documents/report.txt: its extended attribute user.rewind.tag did not come back');
  // Its hard link is the same file; nothing else is named.
  for (const p of problems) expect(p).toMatch(/^alice\/(Documents\/report|report-link)\.txt: its extended attribute user\.rewind\.tag did not come back$/);
  // Every backup on the disk older than the damaged one may share its data.
  const older = result.drills[0].sources[0].affected!;
  expect(older.at(-1)).toBe(backup.snapshot);
  expect(older).toContain(snapshot);
  expect(result.drills[0].sources[0]).toMatchObject({ backup: backup.snapshot, damaged: true });
  expect(result.human).toContain('Test backup disk: DAMAGED.');
  expect(result.human).toContain('user.rewind.tag');
});
