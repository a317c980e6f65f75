import { describe, expect, test } from '@jest/globals';
import { headline, standingFailure, type Headline, type HeadlineInput } from '../../src/core/headline';
import type { DrillRecord } from '../../src/core/drill';
import type { DestinationSummary, ErrorReport, RunRecord } from '../../src/core/status';

const OLD = '2026-03-01T10:00:00.000Z';
const NEW = '2026-03-10T11:00:00.000Z';

const err = (code: ErrorReport['code'], message = `${code}.`): ErrorReport => ({ code, message });
const success = (id = 's1', finished = OLD): RunRecord => ({
  id,
  started: finished,
  finished,
  ok: true,
  transfers: [{ source: '/home', destination: 'usb', snapshot: 'x', kind: 'full', bytes: 1, seconds: 1, ok: true }],
});
const failedRun = (error: ErrorReport, where: 'run' | 'transfer' = 'run', destination = 'usb'): RunRecord => ({
  id: 'f1',
  started: NEW,
  finished: NEW,
  ok: false,
  ...(where === 'run' ? { error, transfers: [] } : { transfers: [{ source: '/home', destination, snapshot: 'x', kind: 'full', bytes: 0, seconds: 1, ok: false, error }] }),
});
const skippedRun: RunRecord = {
  id: 'k1',
  started: NEW,
  finished: NEW,
  ok: false,
  outcome: 'skipped',
  transfers: [],
  skipped: [{ destination: 'usb', reason: err('DestinationMissing', 'The backup disk Blue USB disk is not connected.') }],
};
const disk = (connected: boolean | undefined, extra: Partial<DestinationSummary> = {}): DestinationSummary => ({
  id: 'usb',
  kind: 'btrfs',
  label: 'Blue USB disk',
  enabled: true,
  ...(connected === undefined ? {} : { connected }),
  ...extra,
});
const server = (): DestinationSummary => ({ id: 'srv', kind: 'ssh', label: 'Home server', enabled: true });

function input(extra: Partial<HeadlineInput>): HeadlineInput {
  return { configured: true, destinations: [disk(true)], running: false, ...extra };
}

// name, status now, what the page says
const TABLE: Array<[string, HeadlineInput, Headline]> = [
  ['a backup runs, whatever came before', input({ running: true, lastRun: failedRun(err('TransferFailed')) }), { kind: 'running' }],
  ['not configured', input({ configured: false, destinations: [] }), { kind: 'not-configured' }],
  ['never backed up, the disk there', input({}), { kind: 'never', cancelled: false }],
  ['never backed up, the disk away: waiting, no date', input({ destinations: [disk(false)] }), { kind: 'waiting', destinations: ['Blue USB disk'] }],
  ['backed up, the disk there', input({ lastRun: success(), lastSuccess: success() }), { kind: 'backed-up', finished: OLD, away: [], cancelled: false }],
  [
    'backed up, the disk away now: waiting, with the last backup',
    input({ destinations: [disk(false)], lastRun: success(), lastSuccess: success() }),
    { kind: 'waiting', destinations: ['Blue USB disk'], lastBackup: OLD },
  ],
  [
    'last run failed because the disk was away, and it is back now: no failure',
    input({ destinations: [disk(true)], lastRun: failedRun(err('DestinationMissing')), lastSuccess: success() }),
    { kind: 'backed-up', finished: OLD, away: [], cancelled: false },
  ],
  [
    'last run failed because the disk was away, still away: waiting',
    input({ destinations: [disk(false)], lastRun: failedRun(err('DestinationMissing'), 'transfer'), lastSuccess: success() }),
    { kind: 'waiting', destinations: ['Blue USB disk'], lastBackup: OLD },
  ],
  [
    'last run could not reach the server, whose presence the status cannot see: the failure stands',
    input({ destinations: [server()], lastRun: failedRun(err('HostUnreachable'), 'transfer', 'srv'), lastSuccess: success() }),
    { kind: 'failed', error: err('HostUnreachable') },
  ],
  [
    'last run skipped (disk away), still away: waiting',
    input({ destinations: [disk(false)], lastRun: skippedRun, lastSuccess: success() }),
    { kind: 'waiting', destinations: ['Blue USB disk'], lastBackup: OLD },
  ],
  [
    'last run skipped, the disk back now: backed up',
    input({ destinations: [disk(true)], lastRun: skippedRun, lastSuccess: success() }),
    { kind: 'backed-up', finished: OLD, away: [], cancelled: false },
  ],
  [
    'cancelled after an earlier success: backed up, and says it was cancelled',
    input({ lastRun: failedRun(err('Cancelled')), lastSuccess: success() }),
    { kind: 'backed-up', finished: OLD, away: [], cancelled: true },
  ],
  [
    'cancelled in a transfer, never backed up: never, cancelled',
    input({ lastRun: failedRun(err('Cancelled'), 'transfer') }),
    { kind: 'never', cancelled: true },
  ],
  [
    'cancelled, the disk away now: waiting',
    input({ destinations: [disk(false)], lastRun: failedRun(err('Cancelled')), lastSuccess: success() }),
    { kind: 'waiting', destinations: ['Blue USB disk'], lastBackup: OLD },
  ],
  [
    'a real failure stays a failure while its cause may still be true',
    input({ lastRun: failedRun(err('DestinationFull'), 'transfer'), lastSuccess: success() }),
    { kind: 'failed', error: err('DestinationFull') },
  ],
  [
    'a real failure is told even when the disk is away now',
    input({ destinations: [disk(false)], lastRun: failedRun(err('SourceMissing')), lastSuccess: success() }),
    { kind: 'failed', error: err('SourceMissing') },
  ],
  ['a failed run without any error is still a failure', input({ lastRun: { ...failedRun(err('Internal')), error: undefined } }), { kind: 'failed', error: { code: 'Internal', message: '' } }],
  [
    'two destinations, one away: backed up, naming the one away',
    input({ destinations: [disk(false), server()], lastRun: success('s2', NEW), lastSuccess: success('s2', NEW) }),
    { kind: 'backed-up', finished: NEW, away: ['Blue USB disk'], cancelled: false },
  ],
  [
    'a server cannot be seen without connecting: not waiting',
    input({ destinations: [server()], lastRun: success(), lastSuccess: success() }),
    { kind: 'backed-up', finished: OLD, away: [], cancelled: false },
  ],
  [
    'a turned-off destination does not count',
    input({ destinations: [disk(false), { ...disk(false), id: 'old', label: 'Old disk', enabled: false }], lastSuccess: success() }),
    { kind: 'waiting', destinations: ['Blue USB disk'], lastBackup: OLD },
  ],
  [
    'no destination enabled: never, not waiting',
    input({ destinations: [disk(false, { enabled: false })] }),
    { kind: 'never', cancelled: false },
  ],
];

describe('the main page headline', () => {
  test.each(TABLE)('%s', (_name, status, expected) => {
    expect(headline(status)).toEqual(expected);
  });
});

const drill = (outcome: DrillRecord['outcome'], finished: string): DrillRecord => ({
  id: 'd1',
  started: finished,
  finished,
  destination: 'usb',
  destinationName: 'Blue USB disk',
  seed: 1,
  outcome,
  sources: [{ source: '/home', backup: 'b', compared: 3, bytes: 10, problems: outcome === 'damaged' ? ['a.txt: its content differs'] : [], ...(outcome === 'damaged' ? { damaged: true } : {}) }],
});
const DAY_AFTER = '2026-03-11T09:00:00.000Z';

describe('a drill that found damage', () => {
  const backedUp = { lastRun: success('s1', OLD), lastSuccess: success('s1', OLD) };
  test.each<[string, DestinationSummary[], Headline]>([
    ['damage found after the last backup there: damaged, whatever the last run says', [disk(true, { lastBackup: OLD, lastDrill: drill('damaged', NEW) })], { kind: 'damaged', destinations: ['Blue USB disk'] }],
    ['the same with the disk away: damage before waiting', [disk(false, { lastBackup: OLD, lastDrill: drill('damaged', NEW) })], { kind: 'damaged', destinations: ['Blue USB disk'] }],
    ['a backup landed there after the damage: backed up again', [disk(true, { lastBackup: DAY_AFTER, lastDrill: drill('damaged', NEW) })], { kind: 'backed-up', finished: OLD, away: [], cancelled: false }],
    ['a clean drill: backed up', [disk(true, { lastBackup: OLD, lastDrill: drill('identical', NEW) })], { kind: 'backed-up', finished: OLD, away: [], cancelled: false }],
    ['a drill that could not be done is no damage', [disk(true, { lastBackup: OLD, lastDrill: drill('failed', NEW) })], { kind: 'backed-up', finished: OLD, away: [], cancelled: false }],
    ['a disabled destination is not told', [disk(true, { enabled: false, lastBackup: OLD, lastDrill: drill('damaged', NEW) }), server()], { kind: 'backed-up', finished: OLD, away: [], cancelled: false }],
    ['only the damaged one of two is named', [disk(true, { lastBackup: OLD, lastDrill: drill('damaged', NEW) }), server()], { kind: 'damaged', destinations: ['Blue USB disk'] }],
  ])('%s', (_name, destinations, expected) => {
    expect(headline(input({ destinations, ...backedUp }))).toEqual(expected);
  });

  test('a failed run that still stands comes first', () => {
    const destinations = [disk(true, { lastBackup: OLD, lastDrill: drill('damaged', NEW) })];
    expect(headline(input({ destinations, lastRun: failedRun(err('DestinationFull')), lastSuccess: success() })).kind).toBe('failed');
  });
});

describe('standingFailure', () => {
  test('a success, a skip, a postponed run and a cancel are no failure; an absence alone is none either', () => {
    expect(standingFailure(success())).toBeUndefined();
    expect(standingFailure(skippedRun)).toBeUndefined();
    expect(standingFailure({ id: 'p1', started: NEW, finished: NEW, ok: false, transfers: [], outcome: 'postponed', postponed: 'on-battery' })).toBeUndefined();
    expect(standingFailure(failedRun(err('Cancelled')))).toBeUndefined();
    expect(standingFailure(failedRun(err('DestinationMissing')))).toBeUndefined();
    expect(standingFailure(failedRun(err('HostUnreachable'), 'transfer'))).toBeUndefined();
  });

  test('any other cause stands, before the absences beside it', () => {
    const run = { ...failedRun(err('DestinationMissing')), sourceProblems: [{ source: '/home', error: err('SourceMissing') }] };
    expect(standingFailure(run)).toEqual(err('SourceMissing'));
  });
});
