import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Progress, RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { backupState, withTopLevel } from '../support/inspection';
import { writeRandomFile } from '../support/random-file';

/**
 * What a person watching a backup to a disk sees, with nothing between
 * `btrfs send` and `btrfs receive`: progress at least once a second, with a
 * percentage on a full and on an incremental send, the file being received,
 * and the stream's exact size in the record.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 6144, destinationMiB: 4096 });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

interface Seen {
  at: number;
  progress: Progress;
}

/** `run --json --progress`, its source read from the disk: the record, and each send report with the time it arrived. */
async function runWithProgress(): Promise<{ run: RunRecord; sends: Seen[] }> {
  sh('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3');
  const [file, ...args] = fx.helperCli(['run', '--json', '--progress']);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const sends: Seen[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    const progress = JSON.parse(line) as Progress;
    if (progress.phase === 'send') sends.push({ at: Date.now(), progress });
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('close', resolve));
  return { run: JSON.parse(out) as RunRecord, sends };
}

/** The length of the stream `btrfs send` makes of the run's snapshot (from its parent), as the helper sent it. */
async function rawStreamBytes(run: RunRecord): Promise<number> {
  const t = run.transfers[0];
  const proto = t.protocol === 2 ? ['--proto', '2', '--compressed-data'] : [];
  return withTopLevel(fx, fx.source, (top) => {
    const snap = (name: string) => path.join(top, '.rewind/home', name);
    const parent = t.parent ? ['-p', snap(t.parent)] : [];
    return Number(sh('bash', ['-c', 'btrfs send -q "$@" | wc -c', 'send', ...proto, ...parent, snap(t.snapshot)]).trim());
  });
}

function expectSteadyProgress(all: Seen[], run: RunRecord, stream: 'received' | 'files' = 'received'): void {
  // The first says that the transfer begins (0 bytes, nothing known yet).
  expect(all[0].progress.bytes).toBe(0);
  const sends = all.slice(1);
  expect(sends.length).toBeGreaterThanOrEqual(3);
  const gaps = sends.slice(1).map((s, i) => s.at - sends[i].at);
  expect(Math.max(...gaps)).toBeLessThan(1500);
  // The estimate of an incremental comes from a --no-data pass beside the transfer: within a second.
  const known = sends.findIndex((s) => s.progress.fraction !== undefined);
  expect(known).toBeGreaterThanOrEqual(0);
  expect(sends[known].at - sends[0].at).toBeLessThan(1000);
  const fractions = sends.slice(known).map((s) => s.progress.fraction);
  expect(fractions.every((f) => typeof f === 'number' && f >= 0 && f <= 1)).toBe(true);
  expect(fractions.slice(1).every((f, i) => f! >= fractions[i]!)).toBe(true);
  expect(fractions.at(-1)).toBe(1);
  // Somewhere in the middle: a real percentage, not only 0 then 100.
  expect(fractions.some((f) => f! > 0.05 && f! < 0.95)).toBe(true);
  const bytes = sends.map((s) => s.progress.bytes);
  expect(bytes.slice(1).every((b, i) => b >= bytes[i])).toBe(true);
  expect(bytes.at(-1)).toBe(run.transfers[0].bytes);
  // A disk's receive shows the file it writes; a stream file has no such thing.
  if (stream === 'received') expect(sends.some((s) => s.progress.currentPath === 'alice/big.bin')).toBe(true);
  expect(sends.some((s) => (s.progress.bytesPerSecond ?? 0) > 0 && typeof s.progress.etaSeconds === 'number')).toBe(true);
}

test('a full and an incremental backup report progress with a percentage, and the exact stream size', async () => {
  writeRandomFile(path.join(fx.home, 'alice/big.bin'), 1024);
  const full = await runWithProgress();
  expect(full.run.transfers[0]).toMatchObject({ ok: true, kind: 'full' });
  expectSteadyProgress(full.sends, full.run);
  expect(full.run.transfers[0].bytes).toBe(await rawStreamBytes(full.run));

  writeRandomFile(path.join(fx.home, 'alice/big.bin'), 768);
  const incremental = await runWithProgress();
  expect(incremental.run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: full.run.transfers[0].snapshot });
  expectSteadyProgress(incremental.sends, incremental.run);
  expect(incremental.run.transfers[0].bytes).toBe(await rawStreamBytes(incremental.run));
  const state = await backupState(fx);
  expect(state.newestDiffers).toEqual([]);
});

test('backups to stream files report the same percentage and time left', async () => {
  const folder = path.join(fx.dir, 'stream-files');
  mkdirSync(folder);
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations: [{ id: 'folder', kind: 'files', path: folder }] }));
  writeRandomFile(path.join(fx.home, 'alice/big.bin'), 384);
  const full = await runWithProgress();
  expect(full.run.transfers[0]).toMatchObject({ ok: true, kind: 'full' });
  expectSteadyProgress(full.sends, full.run, 'files');
  writeRandomFile(path.join(fx.home, 'alice/big.bin'), 384);
  const incremental = await runWithProgress();
  expect(incremental.run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental' });
  expectSteadyProgress(incremental.sends, incremental.run, 'files');
});
