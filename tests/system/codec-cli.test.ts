import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import { describeRun } from '../../src/helper/cli/format/backup';
import type { Change } from '../../src/core/send-stream/changes';
import type { RunRecord } from '../../src/core/status';
import { listSubvolumes } from '../../src/helper/system/btrfs';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh, shResult } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { corruptCapabilityOnDisk, setValidCapability } from '../support/invalid-capability';
import { unmount } from '../support/loop-btrfs';
import { compareTrees } from '../support/tree-compare';

/**
 * The stream codec in the real helper, end to end: a file whose
 * security.capability the destination kernel refuses makes a plain
 * send | receive fail; Rewind's run deletes the refused backup and retries
 * at once with the receiver rules, the backup is complete and equal to its
 * snapshot but for that xattr, the record says what was left out, and the
 * chain stays incremental.
 * Then `rewind-helper diff` between the snapshots and between the backups.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
const TOOL = 'alice/bin/tool';
const runs: RunRecord[] = [];

const getfattr = (file: string, name: string) => shResult('getfattr', ['--absolute-names', '-e', 'hex', '-n', name, file]);

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  const tool = path.join(fx.home, TOOL);
  mkdirSync(path.dirname(tool), { recursive: true });
  writeFileSync(tool, '#!/bin/sh\necho tool\n', { mode: 0o755 });
  sh('setfattr', ['-n', 'user.note', '-v', 'kept', tool]);
  setValidCapability(tool);
  // No kernel lets anyone set an invalid capability (setfattr: EINVAL), so it is written on the unmounted disk.
  unmount(fx.home);
  expect(corruptCapabilityOnDisk(fx.source.device)).toBeGreaterThan(0);
  sh('mount', ['-o', 'subvol=home', fx.source.device, fx.home]);
  expect(getfattr(tool, 'security.capability').stderr).toMatch(/Invalid argument/);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('an xattr the destination refuses', () => {
  test('a plain btrfs send | btrfs receive of the snapshot fails, and its backup never gets a Received UUID', async () => {
    await withTopLevel(fx, fx.source, (sourceTop) =>
      withTopLevel(fx, fx.destination, async (destTop) => {
        const snapshot = path.join(sourceTop, 'plain-snapshot');
        sh('btrfs', ['subvolume', 'snapshot', '-r', fx.home, snapshot]);
        const into = path.join(destTop, 'plain');
        mkdirSync(into);
        const sent = spawnSync('bash', ['-o', 'pipefail', '-c', 'btrfs send -q "$1" | btrfs receive "$2"', 'plain', snapshot, into], { encoding: 'utf8' });
        expect(sent.status).not.toBe(0);
        expect(sent.stderr).toMatch(/security\.capability.*Invalid argument/);
        expect(sh('btrfs', ['subvolume', 'show', path.join(into, 'plain-snapshot')])).toMatch(/Received UUID:\s+-/);
        sh('btrfs', ['subvolume', 'delete', path.join(into, 'plain-snapshot'), snapshot]);
        rmSync(into, { recursive: true });
      }),
    );
  });

  test('Rewind’s run deletes the partial backup, retries at once leaving that xattr out, and says so', async () => {
    const run = runBackupCli(fx);
    runs.push(run);
    expect(run).toMatchObject({ ok: true, transfers: [{ kind: 'full', ok: true, codec: { checksum: 'native', droppedXattrs: 1, rewrittenXattrs: 0 } }] });
    const t = run.transfers[0];
    expect(t.leftOut).toEqual({ count: 1, names: { 'security.capability': 1 }, files: [TOOL] });
    expect(t.bytes).toBeGreaterThan(3 * 1024 * 1024);
    await withTopLevel(fx, fx.source, (sourceTop) =>
      withTopLevel(fx, fx.destination, async (destTop) => {
        // Only the complete backup: the refused one was deleted before the retry.
        const backups = await listSubvolumes(destTop);
        expect(backups.map((b) => b.path)).toEqual([`${fx.hostName}/home/${t.snapshot}`]);
        expect(isCompleteBackup(backups[0])).toBe(true);
        expect(backups[0].receivedUuid).toBe(t.snapshotUuid);
        const snapshot = path.join(sourceTop, '.rewind/home', t.snapshot);
        const backup = path.join(destTop, backups[0].path);
        expect(compareTrees(snapshot, backup, { skipUnreadableXattrs: true })).toEqual([]);
        expect(getfattr(path.join(snapshot, TOOL), 'security.capability').stderr).toMatch(/Invalid argument/);
        expect(getfattr(path.join(backup, TOOL), 'security.capability').stderr).toMatch(/No such attribute/);
        expect(getfattr(path.join(backup, TOOL), 'user.note').stdout).toContain('user.note=0x6b657074');
      }),
    );
    expect(describeRun(run)).toContain('1 invalid file capability was left out of the backup.');
  });

  test('the next run is incremental and succeeds', () => {
    writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'Revised report\n');
    writeFileSync(path.join(fx.home, 'alice/new.txt'), 'new\n');
    rmSync(path.join(fx.home, 'alice/Documents/notes.md'));
    renameSync(path.join(fx.home, 'alice/Pictures'), path.join(fx.home, 'alice/Photos'));
    const run = runBackupCli(fx);
    runs.push(run);
    expect(run).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: runs[0].transfers[0].snapshot }] });
    // Nothing refused this time: send and receive shared one pipe, without the codec.
    expect(run.transfers[0].codec).toBeUndefined();
  });
});

describe('rewind-helper diff', () => {
  const expected: Change[] = [
    { kind: 'modified', path: 'alice/Documents/report.txt', changed: ['data'], type: 'file' },
    // A --no-data stream does not say what a deleted or renamed entry was.
    { kind: 'deleted', path: 'alice/Documents/notes.md' },
    { kind: 'renamed', path: 'alice/Photos', from: 'alice/Pictures' },
    { kind: 'created', path: 'alice/new.txt', type: 'file' },
  ];
  const names = () => [runs[0].transfers[0].snapshot, runs[1].transfers[0].snapshot];

  test.each([[[]], [['--destination', 'usb']]])('between two snapshots %j, as JSON and for people', (extra) => {
    const [a, b] = names();
    const json = helperCommand(fx, ['diff', a, b, '--json', ...extra]);
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const result = JSON.parse(json.stdout) as { from: string; to: string; changes: Change[] };
    expect(result).toMatchObject({ from: a, to: b });
    expect((result as { destination?: string }).destination).toBe(extra.length > 0 ? 'usb' : undefined);
    expect(result.changes).toEqual(expect.arrayContaining(expected.map((c) => expect.objectContaining(c))));
    expect(result.changes.filter((c) => !['alice/Documents', 'alice', '.'].includes(c.path))).toHaveLength(expected.length);
    const human = helperCommand(fx, ['diff', a, b, ...extra]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`: ${a} -> ${b}, `);
    expect(human.stdout).toContain('\n~ alice/Documents/report.txt  (data)\n');
    expect(human.stdout).toContain('\n- alice/Documents/notes.md\n');
    expect(human.stdout).toContain('\n> alice/Pictures -> alice/Photos\n');
    expect(human.stdout).toContain('\n+ alice/new.txt\n');
  });

  test('unknown names and destinations are refused clearly', () => {
    const [a] = names();
    expect(helperCommand(fx, ['diff', a, '20000101T000000Z'])).toMatchObject({
      status: 1,
      stderr: 'There is no snapshot named "20000101T000000Z" among the local snapshots; "rewind-helper list" shows the names.\n',
    });
    expect(helperCommand(fx, ['diff', a, 'nope', '--destination', 'usb'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('There is no complete backup named "nope" on Test backup disk'),
    });
    expect(helperCommand(fx, ['diff', a, a, '--destination', 'elsewhere'])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('There is no destination "elsewhere" in the configuration.'),
    });
    expect(helperCommand(fx, ['diff', a]).status).toBe(2);
  });
});
