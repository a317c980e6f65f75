import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { mountLoopExt4 } from '../support/loop-ext4';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { longPath } from '../support/long-path';

jest.setTimeout(300_000);
let fx: BackupFixture;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
});
afterAll(async () => {
  await fx?.cleanup.run();
});

describe('long paths', () => {
  test('a 4,050-byte path is backed up to every kind of destination and restored', () => {
    const folder = path.join(fx.dir, 'files-dest');
    mkdirSync(folder);
    writeFixtureConfig(fx, [
      { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Disk' },
      { id: 'folder', kind: 'files', path: folder },
    ]);
    const rel = longPath(4050);
    expect(rel.length).toBe(4050);
    mkdirSync(path.dirname(path.join(fx.home, rel)), { recursive: true });
    writeFileSync(path.join(fx.home, rel), 'deep\n');
    const run: RunRecord = runBackupCli(fx);
    expect(run.transfers.map((t) => [t.destination, t.ok, t.error?.message])).toEqual([['usb', true, undefined], ['folder', true, undefined]]);
    writeFileSync(path.join(fx.home, 'alice/more.txt'), 'more\n');
    const second: RunRecord = runBackupCli(fx);
    expect(second.transfers.map((t) => [t.destination, t.ok, t.kind, t.error?.message])).toEqual([['usb', true, 'incremental', undefined], ['folder', true, 'incremental', undefined]]);
    for (const id of ['usb', 'folder']) {
      const to = path.join(fx.dir, `r-${id}`);
      const r = helperCommand(fx, ['restore', '--destination', id, '--snapshot', second.transfers[0].snapshot, '--path', rel.split('/').slice(0, 2).join('/'), '--to', to]);
      expect({ id, status: r.status, stderr: r.stderr }).toEqual({ id, status: 0, stderr: '' });
      expect(readFileSync(path.join(to, rel.split('/').slice(1).join('/')), 'utf8')).toBe('deep\n');
    }
  });

  test('a 4,300-byte path is named briefly as a problem on this computer, and nothing else is harmed', () => {
    // Made one folder at a time from inside the last: no call may name a path longer than PATH_MAX.
    const script =
      "const fs = require('node:fs'); process.chdir(process.argv[1]); fs.mkdirSync('deeper'); process.chdir('deeper');" +
      "for (let i = 0; i < 21; i++) { fs.mkdirSync('e'.repeat(200)); process.chdir('e'.repeat(200)); } fs.writeFileSync('far.txt', 'far');";
    sh(process.execPath, ['-e', script, path.join(fx.home, 'alice')]);
    const run: RunRecord = runBackupCli(fx);
    sh('rm', ['-rf', path.join(fx.home, 'alice/deeper')]);
    const messages = [run.error?.message, ...run.transfers.map((t) => t.error?.message), ...(run.sourceProblems ?? []).map((p) => p.error.message)].filter(Boolean);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(message).toMatch(/on this computer/);
      // The first folder on the way that is past the limit, by its first folders and its own name, and its length.
      expect(message).toMatch(/the path alice\/deeper\/…\/e+…e+ in the backed-up folder is 4,\d{3} bytes long/);
      expect(message!.length).toBeLessThan(500);
      expect(message).not.toMatch(/check the backup disk/);
    }
    // Once it is gone, the next backup goes on from the last one on every destination.
    const after: RunRecord = runBackupCli(fx);
    expect({ error: after.error, skipped: after.skipped, transfers: after.transfers.map((t) => [t.destination, t.ok, t.kind]) }).toEqual({ error: undefined, skipped: undefined, transfers: [['usb', true, 'incremental'], ['folder', true, 'incremental']] });
  });
});

describe('mistakes on the restore command line are named as mistakes', () => {
  test('a path, a point or a target that is wrong: a sentence, no bug report, no stack trace', () => {
    writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Disk' }]);
    writeFileSync(path.join(fx.home, 'alice/Pictures/large.raw'), Buffer.alloc(12 * 1024 * 1024, 3));
    const last = runBackupCli(fx).transfers[0].snapshot;
    const target = path.join(fx.dir, 'mistakes');
    mkdirSync(path.join(target, 'alice'), { recursive: true });
    const cases: Array<[string[], RegExp]> = [
      [['--snapshot', last, '--path', 'alice/no-such.txt', '--to', target], /There is no alice\/no-such\.txt in the backup of .* on Disk\. Check the path/],
      [['--snapshot', last, '--path', 'alice', '--to', target], /mistakes\/alice already exists; choose another folder/],
      [['--snapshot', last, '--path', '.', '--to', target], /relative to the backed-up folder/],
      [['--snapshot', '20200101T000000Z', '--path', 'alice', '--to', path.join(fx.dir, 'mistakes-2')], /There is no backup of .* from 1 January 2020, 00:00 UTC .* on Disk\. rewind-helper list shows the backups/],
    ];
    // A restore target with too little room: how much is needed and how much is free there.
    const small = path.join(fx.dir, 'small-target');
    mkdirSync(small);
    mountLoopExt4(fx.cleanup, fx.dir, 'small-target', 8, small);
    cases.push([['--snapshot', last, '--path', 'alice', '--to', small], /There is not enough space in .*small-target to restore alice\. It needs [\d.]+ MB; [1-9][\d.]* (kB|MB) are free there\. Make room there, or restore into a folder on another disk\./]);
    for (const [args, message] of cases) {
      const r = helperCommand(fx, ['restore', '--destination', 'usb', ...args]);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: expect.any(Number), stderr: expect.stringMatching(message) });
      expect([1, 2]).toContain(r.status);
      expect(r.stderr).not.toMatch(/bug|Error:|\n\s+at /);
    }
  });
});

describe('restoring from stream files onto a full disk', () => {
  test('a folder is extracted without unpacking the chain, so it needs no room there', () => {
    const folder = path.join(fx.dir, 'files-full');
    mkdirSync(folder);
    writeFixtureConfig(fx, [{ id: 'folder', kind: 'files', path: folder, label: 'Folder' }]);
    writeFileSync(path.join(fx.home, 'alice/Pictures/more.raw'), Buffer.alloc(24 * 1024 * 1024, 5));
    const last = runBackupCli(fx).transfers[0];
    expect(last.ok).toBe(true);
    // Fill the disk that holds home (where a replay would unpack the chain) to the last few MB.
    const filler = path.join(fx.home, 'filler');
    spawnSync('fallocate', ['-l', `${Math.max(0, statfsSync(fx.home).bavail * statfsSync(fx.home).bsize - 4 * 1024 * 1024)}`, filler]);
    try {
      const r = helperCommand(fx, ['restore', '--destination', 'folder', '--snapshot', last.snapshot, '--path', 'alice/Documents', '--to', path.join(fx.dir, 'to-full')]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(readFileSync(path.join(fx.dir, 'to-full/Documents/notes.md'), 'utf8')).toBe(readFileSync(path.join(fx.home, 'alice/Documents/notes.md'), 'utf8'));
    } finally {
      rmSync(filler, { force: true });
    }
  });
});
