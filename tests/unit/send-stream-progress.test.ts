import { describe, expect, test } from '@jest/globals';
import { SendStreamParser } from '../../src/core/send-stream/parser';
import { SendStreamProgress, type ProgressSnapshot } from '../../src/core/send-stream/progress';
import { golden, type GoldenName } from './send-stream-golden';
import { streamWork } from '../../src/core/send-stream/stream-work';
import { fractionAndEta, RateWindow } from '../../src/core/send-stream/rate-window';

/** Feeds a stream in pieces, one simulated second per piece, snapshotting after each. */
function run(name: GoldenName, options: { estimate?: number; pieces?: number } = {}): ProgressSnapshot[] {
  let clock = 1_000_000;
  const progress = new SendStreamProgress({ now: () => clock, estimate: options.estimate });
  const parser = new SendStreamParser({ onHeader: (h) => progress.header(h.bytes.length), onCommand: (c) => progress.command(c) });
  const bytes = golden(name);
  const size = Math.ceil(bytes.length / (options.pieces ?? 1));
  const snapshots: ProgressSnapshot[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    parser.push(bytes.subarray(at, at + size));
    clock += 1000;
    snapshots.push(progress.snapshot());
  }
  parser.end();
  return snapshots;
}

const last = <T>(list: T[]): T => list[list.length - 1];

describe('send stream progress', () => {
  test('counts of a full stream: everything created, nothing else', () => {
    expect(last(run('v1-full'))).toMatchObject({
      bytes: golden('v1-full').length,
      commands: 122,
      streams: 1,
      created: 21,
      modified: 0,
      renamed: 0,
      deleted: 0,
      subvolume: 'base',
      ended: true,
    });
  });

  test('counts of an incremental stream (see make-golden.sh for what changed)', () => {
    expect(last(run('v1-incremental'))).toMatchObject({ created: 6, modified: 5, renamed: 7, deleted: 10, subvolume: 'next' });
    expect(last(run('v2-incremental'))).toMatchObject({ created: 6, modified: 6, renamed: 7, deleted: 10 });
  });

  test('compressed data counts at its real size', () => {
    const end = last(run('v2-compressed-full'));
    expect(end.dataBytes).toBeGreaterThan(5 * end.bytes);
  });

  test.each([
    ['v1-incremental', 'v1-nodata'],
    ['v2-incremental', 'v2-nodata'],
  ] as const)('a --no-data pass predicts the work of %s exactly', (real, noData) => {
    const total = last(run(noData)).work;
    expect(last(run(real)).work).toBe(total);
    expect(last(run(real)).dataBytes).toBe(last(run(noData)).dataBytes);
  });

  test('fraction and ETA from the estimate', () => {
    const estimate = last(run('v2-nodata')).work;
    const snapshots = run('v2-incremental', { estimate, pieces: 20 });
    const fractions = snapshots.map((s) => s.fraction as number);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(fractions.slice(0, -1).every((f) => f < 1)).toBe(true);
    expect(last(snapshots)).toMatchObject({ fraction: 1, etaSeconds: 0, ended: true });
    const middle = snapshots[10];
    // One second per piece: the ETA is the work left at the rate seen so far.
    const rate = (middle.work - 0) / middle.elapsedSeconds;
    expect(middle.etaSeconds).toBeCloseTo((estimate - middle.work) / rate, 0);
    expect(middle.bytesPerSecond).toBeGreaterThan(0);
    expect(middle.currentPath).toBeDefined();
  });

  test('no estimate, no fraction; a low estimate holds below 1 until the end', () => {
    expect(run('v1-incremental', { pieces: 3 })[1].fraction).toBeUndefined();
    const snapshots = run('v1-incremental', { estimate: 100, pieces: 3 });
    expect(snapshots[1].fraction).toBe(0.999);
    expect(last(snapshots).fraction).toBe(1);
  });

  test('the rate is that of the last 20 seconds', () => {
    let clock = 0;
    const progress = new SendStreamProgress({ now: () => clock, estimate: 1e9 });
    const parser = new SendStreamParser({ onHeader: (h) => progress.header(h.bytes.length), onCommand: (c) => progress.command(c) });
    const bytes = golden('v2-compressed-full');
    // A fast start, then a long stall: the ETA follows the stall.
    parser.push(bytes.subarray(0, 100_000));
    clock = 1000;
    const fast = progress.snapshot();
    for (clock = 2000; clock <= 60_000; clock += 1000) progress.snapshot();
    const stalled = progress.snapshot();
    expect(fast.etaSeconds).toBeDefined();
    expect(stalled.etaSeconds).toBeUndefined();
    expect(stalled.bytesPerSecond).toBe(0);
    parser.push(bytes.subarray(100_000));
    parser.end();
    clock += 1000;
    expect(progress.snapshot().bytesPerSecond).toBeGreaterThan(0);
  });

  test('the estimate can come later', () => {
    let clock = 0;
    const progress = new SendStreamProgress({ now: () => clock });
    const parser = new SendStreamParser({ onHeader: (h) => progress.header(h.bytes.length), onCommand: (c) => progress.command(c) });
    parser.push(golden('v1-incremental').subarray(0, 3000));
    clock = 5000;
    expect(progress.snapshot().fraction).toBeUndefined();
    progress.setEstimate(last(run('v1-nodata')).work);
    expect(progress.snapshot().fraction).toBeGreaterThan(0);
    expect(progress.snapshot().etaSeconds).toBeGreaterThan(0);
  });
});

describe('the estimate of an incremental from its --no-data stream', () => {
  test.each([
    ['v1-incremental', 'v1-nodata'],
    ['v2-incremental', 'v2-nodata'],
  ] as const)('streamWork of the no-data stream of %s, in any chunks, is the work of the real one', (real, noData) => {
    const bytes = golden(noData);
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 100), bytes.subarray(100)];
    expect(streamWork(chunks)).toBe(last(run(real)).work);
  });

  test('a cut stream is refused rather than estimated low', () => {
    const bytes = golden('v1-nodata');
    expect(() => streamWork([bytes.subarray(0, bytes.length - 3)])).toThrow();
  });
});

describe('rate window', () => {
  test('no rate in the first second; then the rate over the last 20 seconds only', () => {
    const window = new RateWindow(0);
    expect(window.rates(500, 50, 50)).toEqual({});
    // 100 per second for 30 s, then 10 per second.
    let done = 0;
    for (let t = 1; t <= 30; t++) window.rates(t * 1000, (done += 100), done);
    for (let t = 31; t <= 60; t++) window.rates(t * 1000, (done += 10), done);
    const { bytesPerSecond } = window.rates(61_000, done + 10, done + 10);
    expect(bytesPerSecond).toBeCloseTo(10, 0);
  });

  test('fraction below 1 until the end, exactly 1 at the end, none without an estimate', () => {
    expect(fractionAndEta(50, undefined, false, 10)).toEqual({});
    expect(fractionAndEta(2000, 1000, false, 10)).toEqual({ fraction: 0.999, etaSeconds: 0 });
    expect(fractionAndEta(250, 1000, false, 50)).toEqual({ fraction: 0.25, etaSeconds: 15 });
    expect(fractionAndEta(250, 1000, true, 50)).toEqual({ fraction: 1, etaSeconds: 0 });
  });
});
