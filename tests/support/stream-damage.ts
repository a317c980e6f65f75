import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest } from '@jest/globals';
import type { RunRecord, TransferRecord } from '../../src/core/status';
import type { StreamManifest } from '../../src/core/stream-manifest';
import { createBackupFixture, localSnapshot, type BackupFixture } from './backup-fixture';
import { helperCommand, runBackupCli } from './helper-run';
import { compareTrees } from './tree-compare';

/**
 * Damage done to backups the way a disk or a person does it (bytes written
 * into files, files cut short or deleted), then the runs after it: the
 * first says the chain was damaged and starts anew, the second builds on
 * the new chain, and the newest point restores byte for byte.
 */

let round = 0;

/** The suite's fixture, made before its tests (no bus: only the CLI runs) and removed after them. */
export function damageFixture(): () => BackupFixture {
  jest.setTimeout(600_000);
  let fx: BackupFixture | undefined;
  beforeAll(async () => {
    fx = await createBackupFixture({ withBus: false, sourceMiB: 512 });
  });
  afterAll(async () => {
    await fx?.cleanup.run();
  });
  return () => fx!;
}

/** A change in the home folder, so that the next run takes a new snapshot. */
export function change(fx: BackupFixture): void {
  round++;
  writeFileSync(path.join(fx.home, 'alice/Documents', `change-${round}.txt`), `change ${round}\n`.repeat(500 * round));
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), `# Notes, change ${round}\n`);
}

/** One successful run's only transfer. */
export function run(fx: BackupFixture): TransferRecord {
  const record: RunRecord = runBackupCli(fx);
  if (!record.ok) throw new Error(`backup failed: ${JSON.stringify(record.error ?? record.transfers.map((t) => t.error))}`);
  expect(record.transfers).toHaveLength(1);
  return record.transfers[0];
}

/** A full backup and `incrementals` incrementals on it, each after a change; returns the transfers. */
export function buildChain(fx: BackupFixture, incrementals: number): TransferRecord[] {
  const made: TransferRecord[] = [];
  for (let i = 0; i <= incrementals; i++) {
    change(fx);
    made.push(run(fx));
    expect(made[i].kind).toBe(i === 0 ? 'full' : 'incremental');
  }
  return made;
}

/** Flips one bit in the middle of a file, as a failing disk does. */
export function flipByte(file: string): void {
  const bytes = readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0x10;
  writeFileSync(file, bytes);
}

export function manifestIn(folder: string): StreamManifest {
  return JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as StreamManifest;
}

/**
 * The two runs after damage: the first succeeds with a full backup and says
 * in words that the earlier backups were damaged; the second is incremental
 * on it; the newest point then restores byte for byte.
 */
export function expectRecovery(fx: BackupFixture, destination: string): void {
  change(fx);
  const first = run(fx);
  expect(first.kind).toBe('full');
  expect(first.damagedParent).toMatch(/damaged/);
  change(fx);
  const second = run(fx);
  expect(second).toMatchObject({ kind: 'incremental', parent: first.snapshot });
  expect(second.damagedParent).toBeUndefined();
  expectPointRestores(fx, destination, second.snapshot);
}

/** The point `snapshot` on `destination` restores byte for byte, metadata included, as its local snapshot holds it. */
export function expectPointRestores(fx: BackupFixture, destination: string, snapshot: string): void {
  const to = path.join(fx.dir, `restored-${destination}-${snapshot}`);
  const restored = helperCommand(fx, ['restore', '--destination', destination, '--snapshot', snapshot, '--path', 'alice', '--to', to]);
  expect({ status: restored.status, stderr: restored.stderr }).toEqual({ status: 0, stderr: '' });
  expect(compareTrees(path.join(localSnapshot(fx, snapshot), 'alice'), path.join(to, 'alice'))).toEqual([]);
}
