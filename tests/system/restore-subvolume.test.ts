import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { DrillRecord } from '../../src/core/drill';
import type { RunRecord } from '../../src/core/status';
import type { SubvolumeRestoreResult } from '../../src/helper/restore/restore-subvolume';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createLoopBtrfs, mountLoop, unmount, type LoopBtrfs } from '../support/loop-btrfs';
import { compareTrees } from '../support/tree-compare';

/**
 * "When a disk dies, the whole home comes back": a whole-subvolume
 * restore from a btrfs backup disk onto a new disk, the switch to it, and the
 * next backup incremental against the backups made before; and the same
 * restore from a live-USB-like system without any configuration.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;

function run(): RunRecord {
  const record = runBackupCli(fx);
  if (!record.ok) throw new Error(`backup failed: ${JSON.stringify(record.error ?? record.transfers.map((t) => t.error))}`);
  return record;
}

/** Every drill so far, oldest first, as the helper records them. */
function drills(): DrillRecord[] {
  return JSON.parse(readFileSync(path.join(fx.stateDir, 'drills.json'), 'utf8')) as DrillRecord[];
}

function receivedUuid(subvolume: string): string | undefined {
  return /Received UUID:\s+(\S+)/.exec(sh('btrfs', ['subvolume', 'show', subvolume]))?.[1];
}

function uuidOf(subvolume: string): string {
  return /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', ['subvolume', 'show', subvolume]))?.[1] as string;
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  writeFileSync(
    fx.configPath,
    JSON.stringify({
      version: 1,
      hostName: fx.hostName,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid }],
      retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } },
    }),
  );
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('a new disk gets the home back, and the next backup is incremental from the old backups', async () => {
  run();
  writeFileSync(path.join(fx.home, 'alice/Documents/second.txt'), 'written before the disk died\n');
  const second = run().transfers[0];
  expect(second.kind).toBe('incremental');
  const originalUuid = await withTopLevel(fx, fx.source, (top) => uuidOf(path.join(top, '.rewind/home', second.snapshot)));
  // A check before the disk died: by the month, none is due again for 30 days.
  expect(helperCommand(fx, ['drill', '--json']).status).toBe(0);

  // The source disk "dies": the home is unmounted and a new, empty disk takes its place.
  unmount(fx.home);
  const newDisk: LoopBtrfs = createLoopBtrfs(fx.cleanup, fx.dir, 'new-disk', 256);
  const newTop = path.join(fx.dir, 'new-top');
  mountLoop(fx.cleanup, newDisk, newTop);
  sh('btrfs', ['subvolume', 'create', path.join(newTop, 'home')]);

  const r = helperCommand(fx, ['restore-subvolume', '--json', '--into', newTop, '--destination', 'usb', '--snapshot', second.snapshot, '--subvolume', 'home']);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const result = JSON.parse(r.stdout) as SubvolumeRestoreResult;
  expect(result.snapshot).toBe(`.rewind/home/${second.snapshot}`);
  expect(result.newPath).toMatch(/^home\.restored-\d{8}T\d{6}Z$/);
  expect(result.steps.join('\n')).toContain(`mv /mnt/home /mnt/home.old && mv /mnt/${result.newPath} /mnt/home`);
  // The current subvolume is left alone; the restored snapshot keeps the backup's identity.
  expect(sh('ls', ['-A', path.join(newTop, 'home')]).trim()).toBe('');
  expect(receivedUuid(path.join(newTop, result.snapshot))).toBe(originalUuid);
  await withTopLevel(fx, fx.destination, (destTop) => {
    expect(compareTrees(path.join(destTop, fx.hostName, 'home', second.snapshot), path.join(newTop, result.newPath))).toEqual([]);
  });

  // The switch, as the printed steps say, and the home mounted where it was.
  sh('mv', [path.join(newTop, 'home'), path.join(newTop, 'home.old')]);
  sh('mv', [path.join(newTop, result.newPath), path.join(newTop, 'home')]);
  mountLoop(fx.cleanup, newDisk, fx.home, 'home');
  writeFileSync(path.join(fx.home, 'alice/Documents/third.txt'), 'written after the restore\n');

  // The timer's run: it backs up, then checks what it backed up, as it does after every whole restore.
  const scheduled = helperCommand(fx, ['run', '--scheduled', '--json']);
  expect(scheduled.status).toBe(0);
  const third = (JSON.parse(scheduled.stdout) as RunRecord).transfers[0];
  expect(third).toMatchObject({ ok: true, kind: 'incremental', parent: second.snapshot });
  expect(drills().map((d) => [d.outcome, d.sources[0]?.backup])).toEqual([
    ['identical', second.snapshot],
    ['identical', third.snapshot],
  ]);
  expect(scheduled.stderr).toContain('usb: all 6 sampled files came back identical.');
  // Incremental for real: a small stream, not the whole home again.
  expect(third.bytes).toBeLessThan(second.bytes + 64 * 1024);
  // The next scheduled run checks nothing: the restore was checked once.
  writeFileSync(path.join(fx.home, 'alice/Documents/fourth.txt'), 'written a little later\n');
  expect(helperCommand(fx, ['run', '--scheduled', '--json']).status).toBe(0);
  expect(drills()).toHaveLength(2);
  await withTopLevel(fx, fx.destination, (destTop) => {
    expect(compareTrees(path.join(newTop, '.rewind/home', third.snapshot), path.join(destTop, fx.hostName, 'home', third.snapshot))).toEqual([]);
    expect(receivedUuid(path.join(destTop, fx.hostName, 'home', third.snapshot))).toBe(uuidOf(path.join(newTop, '.rewind/home', third.snapshot)));
  });
});

test('from a live USB system: a backup named by its path, without any configuration', async () => {
  const spare = createLoopBtrfs(fx.cleanup, fx.dir, 'spare-disk', 256);
  const spareTop = path.join(fx.dir, 'spare-top');
  mountLoop(fx.cleanup, spare, spareTop);
  const backupTop = path.join(fx.dir, 'usb-by-hand');
  mountLoop(fx.cleanup, fx.destination, backupTop);
  const name = sh('ls', [path.join(backupTop, fx.hostName, 'home')]).trim().split('\n')[0];
  const backup = path.join(backupTop, fx.hostName, 'home', name);

  const r = helperCommand(fx, ['restore-subvolume', '--json', '--progress', '--into', spareTop, '--backup', backup, '--subvolume', 'home', '--config', path.join(fx.dir, 'no-such-config.json')]);
  expect(r.status).toBe(0);
  // How far it is, as JSON lines on stderr (a person at a terminal gets the same as words).
  const reports = r.stderr.trim().split('\n').map((line) => JSON.parse(line) as { bytes: unknown });
  expect(reports.length).toBeGreaterThan(0);
  expect(reports.every((p) => typeof p.bytes === 'number' && p.bytes >= 0)).toBe(true);
  const result = JSON.parse(r.stdout) as SubvolumeRestoreResult;
  expect(compareTrees(backup, path.join(spareTop, result.newPath))).toEqual([]);

  const again = helperCommand(fx, ['restore-subvolume', '--into', spareTop, '--backup', backup, '--subvolume', 'home']);
  expect(again.status).toBe(1);
  expect(again.stderr).toContain('already exists on the target');
  unmount(backupTop);
});
