import { describe, expect, test } from '@jest/globals';
import type { Inventory } from '../../src/core/contract/responses';
import { startFolder } from '../../src/core/start-folder';
import { buildTimeline, findMoment, momentLabel, stepMoment } from '../../src/core/timeline';
import { words } from './timeline-words';

// Thursday 4 December 2026, 13:30 local.
const NOW = new Date('2026-12-04T12:30:00Z');
const kinds = new Map([
  ['usb', 'btrfs'],
  ['server', 'ssh'],
  ['share', 'files'],
]);

function inventory(sources: Inventory['sources']): Inventory {
  return { sources, problems: [] };
}

const local = (name: string, uuid: string) => ({ name, uuid });
const backup = (name: string, receivedUuid: string | undefined, complete = true) => ({ name, uuid: `b-${name}`, ...(receivedUuid ? { receivedUuid } : {}), complete });

/** A timeline as words: each day's label and its moments' times with where their copies are, the one to open first. */
function shown(inv: Inventory) {
  return buildTimeline(inv, kinds, NOW, words).map((s) => ({
    source: s.source,
    days: s.days.map((d) => [d.label, ...d.moments.map((m) => `${m.timeLabel} ${m.open ? `open ${m.open.from}` : 'cannot open'} [${m.copies.map((c) => c.from).join(' ')}]`)]),
  }));
}

describe('buildTimeline', () => {
  test.each([
    [
      'a snapshot and its backup on a disk are one moment, opened from this computer',
      inventory([
        {
          source: '/home',
          snapshots: [local('20261204T120000Z', 's1')],
          destinations: [{ destination: 'usb', connected: true, backups: [backup('20261204T120000Z', 's1')] }],
        },
      ]),
      [{ source: '/home', days: [['Today', '13:00 open local [local usb]']] }],
    ],
    [
      'paired by UUID, not by name: a renamed backup is the same moment, one with another UUID is not',
      inventory([
        {
          source: '/home',
          snapshots: [local('20261204T120000Z', 's1')],
          destinations: [{ destination: 'usb', connected: true, backups: [backup('20991231T000000Z', 's1'), backup('20261204T120000Z', 'other')] }],
        },
      ]),
      [{ source: '/home', days: [['Today', '13:00:00 open local [local usb]', '13:00:00 open usb [usb]']] }],
    ],
    [
      'local snapshot gone: the copies on two destinations are one moment, the disk before the server',
      inventory([
        {
          source: '/home',
          snapshots: [],
          destinations: [
            { destination: 'server', connected: true, backups: [backup('20261203T081200Z', 's0')] },
            { destination: 'usb', connected: true, backups: [backup('20261203T081200Z', 's0')] },
          ],
        },
      ]),
      [{ source: '/home', days: [['Yesterday', '09:12 open usb [usb server]']] }],
    ],
    [
      'a disk not connected is listed but not opened; stream files before a server',
      inventory([
        {
          source: '/home',
          snapshots: [],
          destinations: [
            { destination: 'usb', connected: false, backups: [backup('20261101T100000Z', 's0')] },
            { destination: 'server', connected: true, backups: [backup('20261101T100000Z', 's0')] },
            { destination: 'share', connected: true, backups: [backup('20261101T100000Z', 's0')] },
          ],
        },
      ]),
      [{ source: '/home', days: [['Sunday 1 November', '11:00 open share [share server usb]']] }],
    ],
    [
      'only on a disk that is away, or interrupted: cannot be opened',
      inventory([
        {
          source: '/home',
          snapshots: [],
          destinations: [
            { destination: 'usb', connected: false, backups: [backup('20261204T100000Z', 's5')] },
            { destination: 'server', connected: true, backups: [backup('20261204T090000Z', undefined, false)] },
          ],
        },
      ]),
      [{ source: '/home', days: [['Today', '11:00 cannot open [usb]', '10:00 cannot open [server]']] }],
    ],
    [
      'grouped by local day, newest first; 23:30 UTC is the next day here; another year says its year',
      inventory([
        {
          source: '/home',
          snapshots: [local('20251130T090000Z', 'a'), local('20261202T233000Z', 'b'), local('20261202T220000Z', 'c'), local('20261204T080000Z', 'd'), local('20261201T120000Z', 'e')],
          destinations: [],
        },
      ]),
      [
        {
          source: '/home',
          days: [
            ['Today', '09:00 open local [local]'],
            ['Yesterday', '00:30 open local [local]'],
            ['Wednesday 2 December', '23:00 open local [local]'],
            ['Tuesday 1 December', '13:00 open local [local]'],
            ['Sunday 30 November 2025', '10:00 open local [local]'],
          ],
        },
      ],
    ],
    [
      'a name that is not a time goes last, under "Unknown time"; each source has its own timeline',
      inventory([
        { source: '/home', snapshots: [local('my-copy', 'x'), local('20261204T080000Z', 'd')], destinations: [] },
        { source: '/home/alice/Projects', snapshots: [], destinations: [] },
      ]),
      [
        { source: '/home', days: [['Today', '09:00 open local [local]'], ['Unknown time', 'Unknown time open local [local]']] },
        { source: '/home/alice/Projects', days: [] },
      ],
    ],
  ])('%s', (_name, inv, expected) => {
    expect(shown(inv)).toEqual(expected);
  });

  test('a moment is labelled with its day and time, never its name', () => {
    const [home] = buildTimeline(
      inventory([{ source: '/home', snapshots: [local('20261204T120000Z', 's1'), local('20261203T081200Z', 's0'), local('20261102T100000Z', 'z')], destinations: [] }]),
      kinds,
      NOW,
      words,
    );
    expect(home.moments.map((m) => m.label)).toEqual(['Today 13:00', 'Yesterday 09:12', 'Monday 2 November 11:00']);
  });

  test('two moments in one minute are told apart by their seconds, the others not', () => {
    const [home] = buildTimeline(
      inventory([{ source: '/home', snapshots: [local('20261204T120007Z', 'b'), local('20261204T120000Z', 'a'), local('20261204T080000Z', 'c')], destinations: [] }]),
      kinds,
      NOW,
      words,
    );
    expect(home.moments.map((m) => m.label)).toEqual(['Today 13:00:07', 'Today 13:00:00', 'Today 09:00']);
  });
});

describe('stepping through moments', () => {
  const [home] = buildTimeline(
    inventory([
      {
        source: '/home',
        snapshots: [local('20261204T120000Z', 's3'), local('20261202T120000Z', 's1')],
        destinations: [{ destination: 'usb', connected: false, backups: [backup('20261203T120000Z', 's2'), backup('20261202T120000Z', 's1')] }],
      },
    ]),
    kinds,
    NOW,
    words,
  );

  test('finds the moment of any of its copies', () => {
    expect(findMoment(home.moments, 'usb', '20261202T120000Z')).toBe(2);
    expect(findMoment(home.moments, 'local', '20261202T120000Z')).toBe(2);
    expect(findMoment(home.moments, 'local', 'nope')).toBe(-1);
  });

  test.each([
    [0, 1, 2, 'older skips the moment only on a disk that is away'],
    [2, -1, 0, 'newer skips it too'],
    [2, 1, undefined, 'nothing older than the oldest'],
    [0, -1, undefined, 'nothing newer than the newest'],
    [-1, 1, undefined, 'a moment not in the list has no neighbours'],
  ] as Array<[number, 1 | -1, number | undefined, string]>)('from %s by %s: %s (%s)', (index, step, expected) => {
    expect(stepMoment(home.moments, index, step)).toBe(expected);
  });
});

describe('startFolder', () => {
  test.each([
    ['/home', '/home/alice', false, 'alice'],
    ['/home/', '/home/alice/', false, 'alice'],
    ['/home', '/home/alice', true, ''],
    ['/home/alice', '/home/alice', false, ''],
    ['/home/alice/Projects', '/home/alice', false, ''],
    ['/', '/home/alice', false, 'home/alice'],
    ['/home', '/var/home/alice', false, ''],
    ['/home', '/homes/alice', false, ''],
    ['/home', '/home/../etc', false, ''],
    [undefined, '/home/alice', false, ''],
  ] as const)('source %j, home %j, root %s: %j', (source, home, root, expected) => {
    expect(startFolder(source, home, root)).toBe(expected);
  });
});

describe('momentLabel', () => {
  test.each([
    ['20261204T120000Z', 'Today 13:00'],
    ['20261203T081200Z', 'Yesterday 09:12'],
    ['20261102T100000Z_2', 'Monday 2 November 11:00'],
    ['my-copy', 'Unknown time'],
  ])('%s: %s', (name, expected) => {
    expect(momentLabel(name, NOW, words)).toBe(expected);
  });
});
