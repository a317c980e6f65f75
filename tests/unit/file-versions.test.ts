import { describe, expect, test } from '@jest/globals';
import { backedUpSource, folderVersion, foldVersions, resolvePathArgument, sameAsNow, sameVersion, type Observation, type Sighting, type VersionEntry } from '../../src/core/file-versions';

describe('resolvePathArgument', () => {
  test.each([
    ['/home/alice/report.txt', '/home/alice/report.txt'],
    ['report.txt', '/home/alice/Documents/report.txt'],
    ['./a/../report.txt', '/home/alice/Documents/report.txt'],
    ['../Pictures/x.raw', '/home/alice/Pictures/x.raw'],
    ['~', '/home/alice'],
    ['~/Documents/report.txt', '/home/alice/Documents/report.txt'],
    ['~/', '/home/alice'],
    ['//home//alice/./Documents/', '/home/alice/Documents'],
    ['/../../etc', '/etc'],
    // Not the home: a file whose name starts with "~".
    ['~notes', '/home/alice/Documents/~notes'],
    ['a b/c d', '/home/alice/Documents/a b/c d'],
  ])('%j from /home/alice/Documents is %j', (arg, expected) => {
    expect(resolvePathArgument(arg, '/home/alice/Documents', '/home/alice')).toBe(expected);
  });

  test('an empty argument is no path', () => {
    expect(resolvePathArgument('', '/tmp', '/home/alice')).toBeUndefined();
  });
});

describe('backedUpSource', () => {
  const sources = ['/home', '/home/alice/Projects', '/srv/data/'];
  test.each([
    ['/home/alice/report.txt', { source: '/home', relative: 'alice/report.txt' }],
    ['/home', { source: '/home', relative: '' }],
    ['/home/alice/Projects/x/y', { source: '/home/alice/Projects', relative: 'x/y' }],
    ['/srv/data/a', { source: '/srv/data', relative: 'a' }],
    ['/homework/a', undefined],
    ['/srv', undefined],
    ['/etc/passwd', undefined],
  ])('%j', (path, expected) => {
    expect(backedUpSource(path, sources)).toEqual(expected);
  });

  test('root holds everything', () => {
    expect(backedUpSource('/etc/fstab', ['/'])).toEqual({ source: '/', relative: 'etc/fstab' });
    expect(backedUpSource('/', ['/'])).toEqual({ source: '/', relative: '' });
  });
});

const file = (size: number, mtime: number): VersionEntry => ({ kind: 'file', size, mtime });
const seen = (entry: VersionEntry): Sighting => ({ kind: 'present', entry });
const absent: Sighting = { kind: 'absent' };
const away: Sighting = { kind: 'unavailable' };

function fold(sightings: Sighting[]) {
  const observations: Observation<string>[] = sightings.map((s, i) => ({ moment: `m${sightings.length - i}`, seen: s }));
  return foldVersions(observations);
}

describe('foldVersions', () => {
  test('a file changed in three moments and deleted now: three versions, unchanged ones folded', () => {
    const r = fold([seen(file(30, 300)), seen(file(30, 300)), seen(file(20, 200)), seen(file(10, 100)), seen(file(10, 100)), seen(file(10, 100))]);
    expect(r.rows.map((row) => [row.kind, row.newest, row.oldest, row.count])).toEqual([
      ['version', 'm6', 'm5', 2],
      ['version', 'm4', 'm4', 1],
      ['version', 'm3', 'm1', 3],
    ]);
    expect(r.versions).toBe(3);
    expect(r.unavailable).toBe(0);
  });

  test('moments where it did not exist are folded, and a version coming back after them is a row of its own', () => {
    const r = fold([seen(file(10, 100)), absent, absent, seen(file(10, 100)), absent]);
    expect(r.rows.map((row) => [row.kind, row.newest, row.oldest])).toEqual([
      ['version', 'm5', 'm5'],
      ['absent', 'm4', 'm3'],
      ['version', 'm2', 'm2'],
      ['absent', 'm1', 'm1'],
    ]);
    expect(r.versions).toBe(2);
  });

  test('a moment on a disk that is away is counted and does not split a version', () => {
    const r = fold([seen(file(10, 100)), away, seen(file(10, 100))]);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ newest: 'm3', oldest: 'm1', count: 2 });
    expect(r.unavailable).toBe(1);
  });

  test('an unreadable moment is a row of its own and splits the versions around it', () => {
    const r = fold([seen(file(10, 100)), { kind: 'unreadable', message: 'no' }, seen(file(10, 100))]);
    expect(r.rows.map((row) => row.kind)).toEqual(['version', 'unreadable', 'version']);
  });

  test('never there: one row saying so; nothing at all: no rows', () => {
    expect(fold([absent, absent]).rows).toEqual([{ kind: 'absent', newest: 'm2', oldest: 'm1', count: 2 }]);
    expect(fold([]).rows).toEqual([]);
    expect(fold([away]).rows).toEqual([]);
  });
});

describe('sameVersion', () => {
  test('files by kind, size and time, to the nanosecond; links by target', () => {
    expect(sameVersion(file(10, 1.5), file(10, 1.5))).toBe(true);
    expect(sameVersion(file(10, 1.5), file(11, 1.5))).toBe(false);
    expect(sameVersion(file(10, 1.5), file(10, 1.500000001))).toBe(false);
    expect(sameVersion(file(10, 1.5), { kind: 'link', size: 10, mtime: 1.5, target: 'x' })).toBe(false);
    expect(sameVersion({ kind: 'link', size: 1, mtime: 1, target: 'a' }, { kind: 'link', size: 1, mtime: 1, target: 'b' })).toBe(false);
  });

  test('folders by what they hold directly, not by their own time', () => {
    const items = [
      { name: 'b.txt', kind: 'file', size: 3, mtime: 5 },
      { name: 'a', kind: 'folder', size: 40, mtime: 4 },
    ];
    const one = folderVersion(9, items);
    expect(one).toMatchObject({ kind: 'folder', size: 2, mtime: 9 });
    expect(sameVersion(one, folderVersion(12, [...items].reverse()))).toBe(true);
    // A subfolder's own size is not what it holds.
    expect(sameVersion(one, folderVersion(9, [items[0], { ...items[1], size: 60 }]))).toBe(true);
    expect(sameVersion(one, folderVersion(9, [items[0], { ...items[1], mtime: 6 }]))).toBe(false);
    expect(sameVersion(one, folderVersion(9, [items[0]]))).toBe(false);
    expect(folderVersion(1, items).mtime).toBe(5);
  });
});

describe('sameAsNow', () => {
  test('size and time within the microsecond the live clock gives', () => {
    expect(sameAsNow(file(10, 100.1234567), { kind: 'file', size: 10, mtime: 100.123456 })).toBe(true);
    expect(sameAsNow(file(10, 100.1234567), { kind: 'file', size: 10, mtime: 100.12346 })).toBe(false);
    expect(sameAsNow(file(10, 100), undefined)).toBe(false);
    expect(sameAsNow(folderVersion(1, []), { kind: 'folder', size: 0, mtime: 1 })).toBe(false);
  });
});
