import { describe, expect, test } from '@jest/globals';
import type { DrillOutcome, DrillRecord } from '../../src/core/drill';
import { drillsDue, lastChecks } from '../../src/core/drill-schedule';
import type { RunRecord } from '../../src/core/status';

const NOW = new Date('2026-03-31T12:00:00.000Z');

function drill(destination: string, finished: string, outcome: DrillOutcome = 'identical'): DrillRecord {
  return { id: `${destination}-${finished}`, started: finished, finished, destination, destinationName: destination, seed: 1, outcome, sources: [] };
}

function run(reached: Array<[string, boolean]>, kind: 'full' | 'incremental' = 'incremental'): RunRecord {
  return {
    id: 'r',
    started: NOW.toISOString(),
    finished: NOW.toISOString(),
    ok: reached.every(([, ok]) => ok),
    transfers: reached.map(([destination, ok]) => ({ source: '/home', destination, snapshot: 's', kind, bytes: 1, seconds: 1, ok })),
  };
}

describe('drillsDue: once a month per destination, after a scheduled backup', () => {
  test.each<[string, Array<[string, boolean]>, DrillRecord[], string[]]>([
    ['never checked', [['usb', true]], [], ['usb']],
    ['checked 29 days ago', [['usb', true]], [drill('usb', '2026-03-02T12:00:00.000Z')], []],
    ['checked exactly 30 days ago', [['usb', true]], [drill('usb', '2026-03-01T12:00:00.000Z')], ['usb']],
    ['checked 40 days ago', [['usb', true]], [drill('usb', '2026-02-19T12:00:00.000Z')], ['usb']],
    ['a damaged check counts as a check', [['usb', true]], [drill('usb', '2026-03-30T12:00:00.000Z', 'damaged')], []],
    ['a check that found it not connected checked nothing', [['usb', true]], [drill('usb', '2026-02-01T12:00:00.000Z'), drill('usb', '2026-03-30T12:00:00.000Z', 'not-connected')], ['usb']],
    ['the newest check counts', [['usb', true]], [drill('usb', '2026-01-01T12:00:00.000Z'), drill('usb', '2026-03-20T12:00:00.000Z')], []],
    ['a destination the run did not reach waits', [['usb', false]], [], []],
    ['each destination on its own', [['usb', true], ['server', true]], [drill('usb', '2026-03-20T12:00:00.000Z')], ['server']],
    ['an unreadable time is checked again', [['usb', true]], [drill('usb', 'yesterday')], ['usb']],
    ['one destination twice in a run (two sources) is checked once', [['usb', true], ['usb', true]], [], ['usb']],
  ])('%s', (_name, reached, drills, due) => {
    expect(drillsDue(run(reached), drills, NOW)).toEqual(due);
  });

  test('the interval can be shorter', () => {
    expect(drillsDue(run([['usb', true]]), [drill('usb', '2026-03-24T12:00:00.000Z')], NOW, 7)).toEqual(['usb']);
  });

  test('the full backup that follows a check that found damage is checked once it has landed', () => {
    const damaged = [drill('usb', '2026-03-30T12:00:00.000Z', 'damaged')];
    expect(drillsDue(run([['usb', true]], 'full'), damaged, NOW)).toEqual(['usb']);
    expect(drillsDue(run([['usb', false]], 'full'), damaged, NOW)).toEqual([]);
    expect(drillsDue(run([['usb', true]], 'full'), [drill('usb', '2026-03-30T12:00:00.000Z')], NOW)).toEqual([]);
  });

  test('after a whole restore, each destination checked before it is checked again', () => {
    const checks = [drill('usb', '2026-03-30T12:00:00.000Z'), drill('server', '2026-03-31T11:00:00.000Z')];
    expect(drillsDue(run([['usb', true], ['server', true]]), checks, NOW, undefined, '2026-03-31T10:00:00.000Z')).toEqual(['usb']);
    expect(drillsDue(run([['usb', true]]), checks, NOW, undefined, 'not a time')).toEqual([]);
  });

  test('lastChecks leaves out checks that found the destination away', () => {
    const last = lastChecks([drill('usb', '2026-03-01T00:00:00.000Z'), drill('usb', '2026-03-02T00:00:00.000Z', 'not-connected')]);
    expect(last.get('usb')?.finished).toBe('2026-03-01T00:00:00.000Z');
  });
});
