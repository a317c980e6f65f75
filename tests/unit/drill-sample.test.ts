import { describe, expect, test } from '@jest/globals';
import { chooseSample, seededRandom, type DrillCandidate } from '../../src/core/drill-sample';
import { drillSummary, incompleteNewer, pointToDrill, type DrillRecord } from '../../src/core/drill';
import type { Subvolume } from '../../src/core/subvolume';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

function file(path: string, fields: Partial<DrillCandidate> = {}): DrillCandidate {
  return { path, size: 1000, mtimeMs: 100 * DAY, links: 1, xattrs: false, sparse: false, ...fields };
}

/** A home with one file of each kind and many ordinary ones. */
const home: DrillCandidate[] = [
  file('alice/tagged.txt', { xattrs: true }),
  file('alice/a-link', { links: 2 }),
  file('alice/disk.img', { size: 50 * MiB, sparse: true }),
  file('alice/empty', { size: 0 }),
  file('alice/movie.mkv', { size: 90 * MiB }),
  file('alice/ancient.txt', { mtimeMs: 1 * DAY }),
  file('alice/today.txt', { mtimeMs: 200 * DAY }),
  ...Array.from({ length: 40 }, (_, i) => file(`alice/docs/note-${i}.md`, { size: 2000 + i })),
];

describe('chooseSample', () => {
  const kinds: Array<[string, string, string]> = [
    ['xattrs', 'alice/tagged.txt', 'the only file with xattrs'],
    ['hard-link', 'alice/a-link', 'the only hard-linked file'],
    ['sparse', 'alice/disk.img', 'the only sparse file'],
  ];
  test.each(kinds)('takes one file of kind %s: %s (%s)', (why, path) => {
    for (const seed of [1, 2, 3, 99, 123456789]) {
      expect(chooseSample(home, seed, { files: 20, bytes: 200 * MiB })).toContainEqual(expect.objectContaining({ why, path }));
    }
  });

  const sizes = home.map((c) => c.size).sort((a, b) => a - b);
  const quarterOf = Math.ceil(home.length / 4);
  test.each([
    ['small', (size: number) => size <= sizes[quarterOf - 1]],
    ['large', (size: number) => size >= sizes[home.length - quarterOf]],
  ] as const)('takes one of the quarter of %s files', (why, check) => {
    for (const seed of [7, 8, 9]) {
      const one = chooseSample(home, seed, { files: 20, bytes: 200 * MiB }).find((s) => s.why === why);
      expect(one && check(one.size)).toBe(true);
    }
  });

  const budgets: Array<[string, { files: number; bytes: number }, (sample: ReturnType<typeof chooseSample>) => void]> = [
    ['a file count', { files: 5, bytes: 1000 * MiB }, (s) => expect(s).toHaveLength(5)],
    ['bytes: the 90 MiB film does not fit 60 MiB', { files: 100, bytes: 60 * MiB }, (s) => {
      expect(s.reduce((n, f) => n + f.size, 0)).toBeLessThanOrEqual(60 * MiB);
      expect(s.map((f) => f.path)).not.toContain('alice/movie.mkv');
    }],
    ['everything when it all fits', { files: 1000, bytes: 1000 * MiB }, (s) => expect(s).toHaveLength(home.length)],
    ['nothing with no files allowed', { files: 0, bytes: 1000 * MiB }, (s) => expect(s).toEqual([])],
    ['only empty files with no bytes allowed', { files: 10, bytes: 0 }, (s) => expect(s.map((f) => f.path)).toEqual(['alice/empty'])],
  ];
  test.each(budgets)('keeps to the budget: %s', (_name, budget, check) => {
    const sample = chooseSample(home, 42, budget);
    check(sample);
    expect(new Set(sample.map((f) => f.path)).size).toBe(sample.length);
  });

  test('the same seed chooses the same files, whatever order they were found in', () => {
    const a = chooseSample(home, 2024, { files: 10, bytes: 200 * MiB });
    const b = chooseSample([...home].reverse(), 2024, { files: 10, bytes: 200 * MiB });
    expect(b).toEqual(a);
  });

  test('other seeds choose other files', () => {
    const samples = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(chooseSample(home, seed, { files: 10, bytes: 200 * MiB }).map((f) => f.path).sort())));
    expect(samples.size).toBeGreaterThan(1);
  });

  test('no two files share a name (they are restored side by side)', () => {
    const twins = [file('a/report.txt'), file('b/report.txt'), file('c/report.txt'), file('d/other.txt')];
    const sample = chooseSample(twins, 5, { files: 10, bytes: MiB });
    expect(sample.map((f) => f.path.split('/')[1]).sort()).toEqual(['other.txt', 'report.txt']);
  });

  test('nothing to choose from: an empty sample', () => {
    expect(chooseSample([], 1, { files: 10, bytes: MiB })).toEqual([]);
  });

  test('the random numbers are the same for the same seed, in [0, 1)', () => {
    const a = seededRandom(17);
    const b = seededRandom(17);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('pointToDrill', () => {
  const snap = (uuid: string, extra: Partial<Subvolume> = {}): Subvolume => ({ id: 1, path: `.rewind/home/${uuid}`, uuid, createdGeneration: 1, readOnly: true, ...extra });
  const point = (name: string, receivedUuid?: string, complete = true) => ({ name, receivedUuid, complete });

  test.each([
    ['the newest backup whose snapshot is here', [point('p1', 's1'), point('p2', 's2')], [snap('s1'), snap('s2')], 'p2', 0],
    ['an older one when the newest lost its snapshot here', [point('p1', 's1'), point('p2', 'gone')], [snap('s1')], 'p1', 1],
    ['paired by UUID, never by name', [point('s2', 's1')], [snap('s1'), snap('s2')], 's2', 0],
    ['a snapshot that was received pairs by its received UUID', [point('p1', 'orig')], [snap('r1', { receivedUuid: 'orig' })], 'p1', 0],
    ['an incomplete backup is never drilled', [point('p1', 's1'), point('p2', 's2', false)], [snap('s1'), snap('s2')], 'p1', 1],
  ] as const)('%s', (_name, points, snapshots, expected, newer) => {
    expect(pointToDrill(points, snapshots)).toMatchObject({ point: { name: expected }, newer });
  });

  test('nothing to pair: undefined', () => {
    expect(pointToDrill([point('p1', 'x')], [snap('s1')])).toBeUndefined();
  });
});

describe('incompleteNewer', () => {
  const p = (name: string, complete = true) => ({ name, complete });
  const points = [p('a'), p('b', false), p('c'), p('d', false)];
  test.each([
    ['after the drilled one', points[2], ['d']],
    ['all of them when none is drilled', undefined, ['b', 'd']],
    ['none after the newest', points[3], []],
  ] as const)('reports incomplete backups %s', (_name, drilled, expected) => {
    expect(incompleteNewer(points, drilled).map((t) => t.split(' ')[2])).toEqual(expected);
  });
});

describe('drillSummary', () => {
  const record = (fields: Partial<DrillRecord>): DrillRecord => ({
    id: 'x', started: '', finished: '', destination: 'usb', destinationName: 'Backup disk', seed: 1, outcome: 'identical',
    sources: [{ source: '/home', backup: '20260101T000000Z', compared: 12, bytes: 100, problems: [] }], ...fields,
  });
  test('says how many files came back identical', () => {
    expect(drillSummary(record({}))).toBe('Backup disk: all 12 sampled files came back identical.');
  });
  test('names each damaged file', () => {
    const text = drillSummary(record({ outcome: 'damaged', sources: [{ source: '/home', compared: 3, bytes: 1, problems: ['alice/a.txt: its content differs at byte 5'] }] }));
    expect(text).toContain('DAMAGED');
    expect(text).toContain('alice/a.txt: its content differs at byte 5');
    expect(text).not.toContain('full one');
  });
  test('says that the next backup is full when the backup checked was marked damaged', () => {
    const text = drillSummary(record({ outcome: 'damaged', sources: [{ source: '/home', backup: 'B1', compared: 3, bytes: 1, problems: ['alice/a.txt: x'], damaged: true }] }));
    expect(text.split('\n').at(-1)).toBe('No backup is built on B1 or an older one: the next backup there is a full one, and the damaged backup is kept until it has landed.');
  });
});
