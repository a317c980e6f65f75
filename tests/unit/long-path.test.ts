import { describe, expect, test } from '@jest/globals';
import { briefPath, pathTooLongMessage } from '../../src/core/long-path';

describe('a path too long to back up is named briefly', () => {
  test.each([
    ['alice/far.txt', 'alice/far.txt'],
    ['alice/deeper/a/b/c/far.txt', 'alice/deeper/…/far.txt'],
    [`alice/${'e'.repeat(200)}/x/far.txt`, `alice/${'e'.repeat(20)}…${'e'.repeat(12)}/…/far.txt`],
  ])('%s', (path, brief) => {
    expect(briefPath(path)).toBe(brief);
  });

  test('the message says where the problem is and how long the path is, never the whole path', () => {
    const long = `alice/${Array(22).fill('e'.repeat(200)).join('/')}/far.txt`;
    const message = pathTooLongMessage(long);
    expect(message).toContain(`is ${long.length.toLocaleString('en-US')} bytes long`);
    expect(message).toContain('on this computer, not on the backup disk');
    expect(message.length).toBeLessThan(300);
    expect(pathTooLongMessage()).toContain('a path in the backed-up folder is longer than 4,096 bytes');
  });
});
