import { describe, expect, test } from '@jest/globals';
import { spaceState } from '../../src/core/free-space';

const GB = 1024 ** 3;

describe('spaceState', () => {
  test.each([
    [undefined, undefined, 'unknown'],
    [100 * GB, undefined, 'ok'],
    [100 * GB, 500 * GB, 'ok'],
    // Under 10 % of a large disk is low even with many gigabytes left.
    [40 * GB, 500 * GB, 'low'],
    // A small disk is judged by its share too; with no size known, under 2 GB is low.
    [1.5 * GB, 4 * GB, 'ok'],
    [0.3 * GB, 4 * GB, 'low'],
    [1.5 * GB, undefined, 'low'],
    // Under 1 % of the disk, or under 100 MiB, is full.
    [4 * GB, 500 * GB, 'full'],
    [50 * 1024 * 1024, 200 * 1024 * 1024, 'full'],
    [150 * 1024 * 1024, 256 * 1024 * 1024, 'ok'],
    [200 * 1024 * 1024, 4 * GB, 'low'],
    [0, 0, 'full'],
  ])('%s free of %s is %s', (free, size, state) => {
    expect(spaceState(free, size)).toBe(state);
  });

  test('the share that counts as low is the Notifications preference', () => {
    expect(spaceState(80 * GB, 500 * GB, 10)).toBe('ok');
    expect(spaceState(80 * GB, 500 * GB, 20)).toBe('low');
    // Off (0 %): never low, still full when it is.
    expect(spaceState(6 * GB, 500 * GB, 0)).toBe('ok');
    expect(spaceState(4 * GB, 500 * GB, 0)).toBe('full');
  });
});
