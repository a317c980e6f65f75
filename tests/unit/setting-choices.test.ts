import { describe, expect, test } from '@jest/globals';
import { LOW_SPACE_CHOICES, settingChoices } from '../../src/core/setting-choices';

describe('settingChoices', () => {
  test('the usual values in order, then never', () => {
    expect(settingChoices(LOW_SPACE_CHOICES, 10)).toEqual([5, 10, 20, 30, 0]);
  });
  test('never chosen: the usual values, never once', () => {
    expect(settingChoices(LOW_SPACE_CHOICES, 0)).toEqual([5, 10, 20, 30, 0]);
  });
  test('a value written by hand is offered in its place', () => {
    expect(settingChoices(LOW_SPACE_CHOICES, 15)).toEqual([5, 10, 15, 20, 30, 0]);
    expect(settingChoices(LOW_SPACE_CHOICES, 90)).toEqual([5, 10, 20, 30, 90, 0]);
  });
});
