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
    // Under 2 GB is low on any disk.
    [1.5 * GB, 4 * GB, 'low'],
    // Under 1 % of the disk, or under 100 MiB, is full.
    [4 * GB, 500 * GB, 'full'],
    [50 * 1024 * 1024, 200 * 1024 * 1024, 'full'],
    [150 * 1024 * 1024, 256 * 1024 * 1024, 'low'],
    [0, 0, 'full'],
  ])('%s free of %s is %s', (free, size, state) => {
    expect(spaceState(free, size)).toBe(state);
  });
});
