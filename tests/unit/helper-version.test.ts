import { describe, expect, test } from '@jest/globals';
import { versionAgreement } from '../../src/core/helper-version';

describe('versionAgreement', () => {
  test.each([
    ['0.1.0', '0.1.0', 'same'],
    ['0.2.0', '0.1.0', 'helper-older'],
    ['0.1.0', '0.2.0', 'app-older'],
    ['0.10.0', '0.9.3', 'helper-older'],
    ['1.0.0', '0.99.99', 'helper-older'],
    ['0.1.1', '0.1.0', 'helper-older'],
    ['0.1', '0.1.1', 'app-older'],
    ['0.1.0', '0.1.0-rc1', 'helper-older'],
    ['0.1.0-rc1', '0.1.0', 'app-older'],
  ] as const)('app %s, helper %s: %s', (app, helper, expected) => {
    expect(versionAgreement(app, helper)).toBe(expected);
  });

  test('a helper with no Version property is older', () => {
    expect(versionAgreement('0.1.0', undefined)).toBe('helper-older');
  });

  test('a helper answering something that is not a version is treated as older, never as the same', () => {
    expect(versionAgreement('0.1.0', 'garbage')).toBe('helper-older');
    expect(versionAgreement('0.1.0', '0.1.0\nrm -rf')).toBe('helper-older');
    expect(versionAgreement('0.1.0', '')).toBe('helper-older');
  });
});
