import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
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
 * security.capability the destination kernel refuses makes the run fail with
 * a message that says what to configure, and leaves nothing behind; with the
 * destination's xattrs.drop the run completes, the backup is complete and
 * equal to its snapshot but for that xattr, and the chain stays incremental.
 * Then `rewind-helper diff` between the snapshots and between the backups.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
const TOOL = 'alice/bin/tool';
const runs: RunRecord[] = [];

function setConfigXattrs(xattrs: unknown): void {
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<Record<string, unknown>> };
  config.destinations[0].xattrs = xattrs;
  writeFileSync(fx.configPath, JSON.stringify(config));
}

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
  test('unfiltered: the run fails, names the xattr and the file, and leaves no backup', async () => {
    const run = runBackupCli(fx);
    expect(run.ok).toBe(false);
    expect(run.transfers[0].error?.code).toBe('TransferFailed');
    expect(run.transfers[0].error?.message).toMatch(
      /^The backup disk refused the extended attribute security\.capability of "alice\/bin\/tool" \(Invalid argument\)\. Add "security\.capability" to "xattrs": \{"drop": \[\.\.\.\]\} for this destination in the configuration/,
    );
    const left = await withTopLevel(fx, fx.destination, (top) => listSubvolumes(top));
    expect(left).toEqual([]);
  });

  test('with xattrs.drop: complete, Received UUID set, the tree equal but for that xattr', async () => {
    setConfigXattrs({ drop: ['security.capability'] });
    const run = runBackupCli(fx);
    runs.push(run);
    expect(run).toMatchObject({ ok: true, transfers: [{ kind: 'full', ok: true, codec: { checksum: 'native', droppedXattrs: 1, rewrittenXattrs: 0 } }] });
    const t = run.transfers[0];
    expect(t.bytes).toBeGreaterThan(3 * 1024 * 1024);
    await withTopLevel(fx, fx.source, (sourceTop) =>
      withTopLevel(fx, fx.destination, async (destTop) => {
        const backups = (await listSubvolumes(destTop)).filter((s) => s.path === `${fx.hostName}/home/${t.snapshot}`);
        expect(backups).toHaveLength(1);
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
  });

  test('the next run is incremental and succeeds', () => {
    writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'Revised report\n');
    writeFileSync(path.join(fx.home, 'alice/new.txt'), 'new\n');
    rmSync(path.join(fx.home, 'alice/Documents/notes.md'));
    renameSync(path.join(fx.home, 'alice/Pictures'), path.join(fx.home, 'alice/Photos'));
    const run = runBackupCli(fx);
    runs.push(run);
    expect(run).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: runs[0].transfers[0].snapshot, codec: { droppedXattrs: 0 } }] });
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
