import { describe, expect, test } from '@jest/globals';
import type { DestinationView } from '../../src/core/prune-plan';
import { sourceIsLow, thinningOrder, type ThinningSubvolume } from '../../src/core/source-thinning';
import type { Subvolume } from '../../src/core/subvolume';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Snapshots of one subvolume, one a day from 1 November, oldest first. */
function snapshotsOf(dir: string, days: number, generationStep = 10): Subvolume[] {
  return Array.from({ length: days }, (_, i) => ({
    id: 300 + i,
    path: `.rewind/${dir}/202611${String(i + 1).padStart(2, '0')}T060000Z`,
    uuid: `${dir}-${i + 1}`,
    parentUuid: dir,
    createdGeneration: generationStep * (i + 1),
    readOnly: true,
  }));
}
const backupOf = (s: Subvolume): Subvolume => ({ ...s, id: s.id + 100, uuid: `b-${s.uuid}`, parentUuid: undefined, receivedUuid: s.uuid });
const home = snapshotsOf('home', 5);
const root = snapshotsOf('root', 3, 11);
const names = (plan: ReturnType<typeof thinningOrder>) => plan.order.map((o) => o.snapshot.uuid);

describe('when a source disk is low', () => {
  test.each([
    // free, size, low percent, low?
    [50 * GiB, 100 * GiB, 10, false],
    [9 * GiB, 100 * GiB, 10, true],
    [9 * GiB, 100 * GiB, 5, false],
    [50 * MiB, 100 * GiB, 0, true], // under 100 MiB is full whatever the percentage
    [900 * MiB, 100 * GiB, 0, true], // under 1 % is full
    [undefined, 100 * GiB, 10, false], // not known: never low
    [1 * GiB, undefined, 10, true], // size not known: under 2 GiB is low
  ])('%p free of %p with %p %% → low: %p', (free, size, percent, low) => {
    expect(sourceIsLow(free, size, percent)).toBe(low);
  });
});

describe('which local snapshots go first', () => {
  const cases: Array<[string, ThinningSubvolume[], string[], string[]]> = [
    [
      'oldest first; never the newest, never the next parent of a connected destination',
      [{ label: '/home', snapshots: home, destinations: [{ id: 'usb', connected: true, backups: [backupOf(home[1])] }] }],
      ['home-1', 'home-3', 'home-4'],
      [],
    ],
    [
      'a destination away keeps what the history says it last received',
      [{ label: '/home', snapshots: home, destinations: [{ id: 'usb', connected: false, lastSentUuid: 'home-3' }] }],
      ['home-1', 'home-2', 'home-4'],
      [],
    ],
    [
      'a destination away with no history: that subvolume gives up none',
      [
        { label: '/home', snapshots: home, destinations: [{ id: 'usb', connected: false }] },
        { label: '/', snapshots: root, destinations: [] },
      ],
      ['root-1', 'root-2'],
      ['/home: destination usb is not connected'],
    ],
    [
      'every destination\'s parent stays',
      [
        {
          label: '/home',
          snapshots: home,
          destinations: [
            { id: 'usb', connected: true, backups: [backupOf(home[0]), backupOf(home[2])] },
            { id: 'server', connected: true, backups: [backupOf(home[1])] },
          ],
        },
      ],
      ['home-1', 'home-4'],
      [],
    ],
    [
      'several subvolumes on one disk: oldest first across them, each keeps its newest',
      [
        { label: '/home', snapshots: home.slice(2), destinations: [] },
        { label: '/', snapshots: root, destinations: [] },
      ],
      ['root-1', 'root-2', 'home-3', 'home-4'],
      [],
    ],
    [
      'a snapshot renamed by hand is never a candidate',
      [{ label: '/home', snapshots: [home[0], { ...home[1], path: '.rewind/home/before-upgrade' }, home[2]], destinations: [] }],
      ['home-1'],
      [],
    ],
    ['a single snapshot stays', [{ label: '/home', snapshots: home.slice(0, 1), destinations: [] }], [], []],
    ['no snapshots at all', [{ label: '/home', snapshots: [], destinations: [{ id: 'usb', connected: false }] }], [], []],
  ];

  test.each(cases)('%s', (_name, subvolumes, order, skipped) => {
    const plan = thinningOrder(subvolumes);
    expect(names(plan)).toEqual(order);
    expect(plan.skipped.map((s) => `${s.label}: ${s.reason}`)).toEqual(skipped);
  });

  test('the order follows the time in the names, then creation order, not the listing', () => {
    const shuffled = [home[3], home[0], home[2], home[1], home[4]];
    const views: DestinationView[] = [];
    expect(names(thinningOrder([{ label: '/home', snapshots: [...shuffled.slice(0, 4), home[4]], destinations: views }]))).toEqual(['home-1', 'home-2', 'home-3', 'home-4']);
  });
});
