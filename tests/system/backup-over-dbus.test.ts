import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { dbusErrorName } from '../../src/core/errors';
import type { DestinationSummary, RunRecord } from '../../src/core/status';
import { listSubvolumes } from '../../src/helper/system/btrfs';
import { createBackupFixture, inspect, type BackupFixture } from '../support/backup-fixture';
import { asUser } from '../support/system-bus';
import { compareTrees } from '../support/tree-compare';

/**
 * The walking skeleton end to end: a non-root user asks the D-Bus activated
 * helper, through polkit, to back up twice; the first send is full, the
 * second incremental, and the backup disk holds exactly the snapshots.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;

interface CallOutput {
  status: number;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

function callAs(user: string, command: 'status' | 'backup'): CallOutput {
  const r = asUser(user, fx.bus, 'gjs', ['-m', fx.callHelper, command]);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

function completed(out: CallOutput): { ok: boolean; run: RunRecord } {
  const done = out.lines.find((l) => 'completed' in l);
  if (!done) throw new Error(`no Completed signal; output: ${JSON.stringify(out)}\nbus log:\n${fx.bus.log()}`);
  return { ok: done.completed as boolean, run: done.result as RunRecord };
}

beforeAll(async () => {
  fx = await createBackupFixture();
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('back up now over the system bus', () => {
  const runs: RunRecord[] = [];

  test('the first backup is full', () => {
    const out = callAs(fx.allowed.name, 'backup');
    const { ok, run } = completed(out);
    expect(run.error).toBeUndefined();
    expect(ok).toBe(true);
    expect(run.transfers).toHaveLength(1);
    expect(run.transfers[0]).toMatchObject({ kind: 'full', destination: 'usb', ok: true });
    expect(run.transfers[0].bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(out.lines.some((l) => (l.progress as { phase?: string } | undefined)?.phase === 'send')).toBe(true);
    runs.push(run);
  });

  test('after a change, the second backup is incremental against the first', async () => {
    appendFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '- call the bank\n');
    writeFileSync(path.join(fx.home, 'alice/Documents/new.txt'), 'written after the first backup\n');
    rmSync(path.join(fx.home, 'alice/Pictures/holiday.raw'));

    const { ok, run } = completed(callAs(fx.allowed.name, 'backup'));
    expect(run.error).toBeUndefined();
    expect(ok).toBe(true);
    const [transfer] = run.transfers;
    expect(transfer).toMatchObject({ kind: 'incremental', parent: runs[0].transfers[0].snapshot, ok: true });
    // Only what changed travels: far less than the 3 MiB picture of the first run.
    expect(transfer.bytes).toBeLessThan(64 * 1024);
    runs.push(run);

    const sourceTop = inspect(fx, fx.source, 'source');
    const destTop = inspect(fx, fx.destination, 'destination');
    const snapshots = (await listSubvolumes(sourceTop)).filter((s) => s.path.startsWith('.rewind/home/'));
    const backups = (await listSubvolumes(destTop)).filter((s) => s.path.startsWith(`${fx.hostName}/home/`));
    expect(snapshots.map((s) => path.basename(s.path))).toEqual(runs.map((r) => r.transfers[0].snapshot));
    expect(backups.map((s) => path.basename(s.path))).toEqual(runs.map((r) => r.transfers[0].snapshot));
    expect(backups.every((b) => b.readOnly)).toBe(true);
    // Received UUIDs tie each backup to its source snapshot…
    expect(backups[0].receivedUuid).toBe(snapshots[0].uuid);
    expect(backups[1].receivedUuid).toBe(snapshots[1].uuid);
    // …and the second was received as a snapshot of the first backup, i.e. incrementally.
    expect(backups[1].parentUuid).toBe(backups[0].uuid);

    for (let i = 0; i < 2; i++) {
      expect(compareTrees(path.join(sourceTop, snapshots[i].path), path.join(destTop, backups[i].path))).toEqual([]);
    }
    // The snapshot is the live tree at the time: the second equals the home now.
    expect(compareTrees(fx.home, path.join(sourceTop, snapshots[1].path))).toEqual([]);
  });

  test('status shows the last successful backup', () => {
    const out = callAs(fx.allowed.name, 'status');
    const status = out.lines[0]?.status as { configured: boolean; lastSuccess?: RunRecord; destinations: DestinationSummary[] };
    expect(status.configured).toBe(true);
    expect(status.lastSuccess?.id).toBe(runs[1].id);
    // The disk is attached, was backed up to by the second run, and has room left.
    expect(status.destinations).toEqual([
      { id: 'usb', kind: 'btrfs', label: 'Test backup disk', enabled: true, connected: true, lastBackup: runs[1].finished, freeBytes: expect.any(Number), sizeBytes: expect.any(Number) },
    ]);
    const [{ freeBytes, sizeBytes }] = status.destinations;
    expect(freeBytes).toBeGreaterThan(0);
    expect(freeBytes).toBeLessThan(sizeBytes!);
  });

  test('a user whom polkit denies gets "not authorised" and nothing changes', async () => {
    const historyBefore = readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8');
    const destTop = path.join(fx.dir, 'inspect-destination');
    const before = await listSubvolumes(destTop);

    const out = callAs(fx.denied.name, 'backup');
    expect(out).toMatchObject({ status: 3 });
    const error = out.lines[0]?.error as { name: string; message: string };
    expect(error.name).toBe(dbusErrorName('NotAuthorized'));
    expect(error.message).toMatch(/not allowed/i);
    expect(out.lines.some((l) => 'job' in l)).toBe(false);

    expect(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')).toBe(historyBefore);
    expect(await listSubvolumes(destTop)).toEqual(before);
  });
});
