import { describe, expect, test } from '@jest/globals';
import { parseSnapshotName, snapshotName, subvolumeDirName } from '../../src/core/snapshot-name';

describe('snapshot names', () => {
  test('are the UTC time, sortable', () => {
    expect(snapshotName(new Date('2026-11-26T07:05:09.500Z'))).toBe('20261126T070509Z');
    const earlier = snapshotName(new Date('2026-01-02T23:59:59Z'));
    const later = snapshotName(new Date('2026-01-03T00:00:00Z'));
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  test('get a suffix when the same second is taken', () => {
    const taken = new Set(['20261126T070509Z', '20261126T070509Z_2']);
    expect(snapshotName(new Date('2026-11-26T07:05:09Z'), taken)).toBe('20261126T070509Z_3');
  });

  test('parse back to their time, and reject anything else', () => {
    expect(parseSnapshotName('20261126T070509Z')?.toISOString()).toBe('2026-11-26T07:05:09.000Z');
    expect(parseSnapshotName('20261126T070509Z_2')?.toISOString()).toBe('2026-11-26T07:05:09.000Z');
    expect(parseSnapshotName('20260231T000000Z')).toBeUndefined();
    expect(parseSnapshotName('20260101T250000Z')).toBeUndefined();
    expect(parseSnapshotName('holiday')).toBeUndefined();
  });
});

describe('subvolumeDirName', () => {
  test('keeps simple names and encodes nested paths reversibly', () => {
    expect(subvolumeDirName('home')).toBe('home');
    expect(subvolumeDirName('var/lib/x')).toBe('var%2Flib%2Fx');
    expect(subvolumeDirName('a%2Fb')).not.toBe(subvolumeDirName('a/b'));
  });
});
