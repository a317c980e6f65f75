import { constants, lstatSync, mkdtempSync, openSync, closeSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ExactTimes, timespecPair } from '../../src/helper/restore/exact-times';

/**
 * Times to the nanosecond through one Perl process (src/helper/restore/exact-times.ts),
 * on real files in a temporary folder, named as the restore names them:
 * /proc/<pid>/fd/<n>/<name> of a folder held open.
 */
let dir: string;
let fd: number;
const named = (name: string) => `/proc/${process.pid}/fd/${fd}/${name}`;
const ns = (p: string) => {
  const st = lstatSync(path.join(dir, p), { bigint: true });
  return { atime: st.atimeNs, mtime: st.mtimeNs };
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-times-'));
  fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
});

afterAll(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

describe('timespecPair', () => {
  test('atime then mtime, each seconds and nanoseconds as 64-bit integers in the given byte order', () => {
    expect(timespecPair({ sec: 1, nsec: 2 }, { sec: -1, nsec: 999_999_999 }, true)).toBe(
      '0100000000000000' + '0200000000000000' + 'ffffffffffffffff' + 'ffc99a3b00000000',
    );
    expect(timespecPair({ sec: 2 ** 40, nsec: 0 }, undefined, false)).toBe(
      '0000010000000000' + '0000000000000000' + '0000000000000000' + '000000003ffffffe',
    );
  });
});

describe('ExactTimes', () => {
  test('sets times to the nanosecond, before 1970 and after 2038 too, one request for many entries', async () => {
    const times: Array<[string, { sec: number; nsec: number }, { sec: number; nsec: number }]> = [
      ['a', { sec: 1_700_000_000, nsec: 123_456_789 }, { sec: 1_700_000_001, nsec: 987_654_321 }],
      ['b', { sec: -86_400 * 365 * 20, nsec: 1 }, { sec: -1, nsec: 999_999_999 }],
      ['c', { sec: 2 ** 33, nsec: 0 }, { sec: 4_102_444_800, nsec: 500_000_001 }],
    ];
    for (const [name] of times) writeFileSync(path.join(dir, name), name);
    const exact = ExactTimes.start();
    try {
      await exact.set(times.map(([name, atime, mtime]) => ({ path: named(name), atime, mtime })));
    } finally {
      await exact.close();
    }
    const want = (t: { sec: number; nsec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    for (const [name, atime, mtime] of times) expect([name, ns(name)]).toEqual([name, { atime: want(atime), mtime: want(mtime) }]);
  });

  test('a symbolic link gets the times, not what it points to; a time not given stays', async () => {
    writeFileSync(path.join(dir, 'target'), 'x');
    utimesSync(path.join(dir, 'target'), 1000, 2000);
    symlinkSync('target', path.join(dir, 'link'));
    writeFileSync(path.join(dir, 'only-mtime'), 'x');
    utimesSync(path.join(dir, 'only-mtime'), 3000, 4000);
    const exact = ExactTimes.start();
    try {
      await exact.set([{ path: named('link'), atime: { sec: 5, nsec: 6 }, mtime: { sec: 7, nsec: 8 } }]);
      await exact.set([{ path: named('only-mtime'), mtime: { sec: 9, nsec: 10 } }]);
    } finally {
      await exact.close();
    }
    expect(ns('link')).toEqual({ atime: 5_000_000_006n, mtime: 7_000_000_008n });
    expect(ns('target')).toEqual({ atime: 1_000_000_000_000n, mtime: 2_000_000_000_000n });
    expect(ns('only-mtime')).toEqual({ atime: 3_000_000_000_000n, mtime: 9_000_000_010n });
  });

  test('an entry that is not there fails the request with what went wrong, and every later one', async () => {
    const exact = ExactTimes.start();
    try {
      const t = { sec: 1, nsec: 1 };
      await expect(exact.set([{ path: named('missing'), atime: t, mtime: t }])).rejects.toThrow(/^Setting the times of the restored files failed: No such file or directory\. Check the folder restored into/);
      await expect(exact.set([{ path: named('a'), atime: t, mtime: t }])).rejects.toThrow(/No such file or directory/);
    } finally {
      await exact.close();
    }
  });
});
