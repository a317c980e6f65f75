import { describe, expect, test } from '@jest/globals';
import { configFileProblem, folderProblem, type StatLike } from '../../src/helper/config/config-trust';

function stat(kind: 'file' | 'dir' | 'link' | 'fifo', uid: number, mode: number): StatLike {
  return { uid, mode, isFile: () => kind === 'file', isDirectory: () => kind === 'dir', isSymbolicLink: () => kind === 'link' };
}

describe('which configuration file is trusted', () => {
  test('a regular file of root, writable by root alone', () => {
    expect(configFileProblem(stat('file', 0, 0o644))).toBeUndefined();
    expect(configFileProblem(stat('file', 0, 0o600))).toBeUndefined();
  });

  test.each([
    ['a FIFO', stat('fifo', 0, 0o644), 'is not a regular file'],
    ["a user's file", stat('file', 1000, 0o644), 'is owned by user 1000, not by root'],
    ['a file the group may write', stat('file', 0, 0o664), 'can be changed by users other than root (mode 664)'],
    ['a world-writable file', stat('file', 0, 0o666), 'can be changed by users other than root (mode 666)'],
  ])('not %s', (_what, info, problem) => {
    expect(configFileProblem(info)).toBe(problem);
  });
});

describe('which folder on the way is trusted', () => {
  test('root alone may write the folder that holds it; above it, a sticky folder like /tmp will do', () => {
    expect(folderProblem(stat('dir', 0, 0o755), true)).toBeUndefined();
    expect(folderProblem(stat('dir', 0, 0o700), true)).toBeUndefined();
    expect(folderProblem(stat('dir', 0, 0o1777), false)).toBeUndefined();
    expect(folderProblem(stat('dir', 0, 0o1777), true)).toBe('can be changed by users other than root (mode 1777)');
    expect(folderProblem(stat('dir', 0, 0o777), false)).toBe('can be changed by users other than root (mode 777)');
    expect(folderProblem(stat('dir', 0, 0o775), false)).toBe('can be changed by users other than root (mode 775)');
  });

  test('a folder of a user, or a link, is not', () => {
    expect(folderProblem(stat('dir', 1000, 0o755), false)).toBe('is owned by user 1000, not by root');
    expect(folderProblem(stat('link', 0, 0o777), true)).toBe('is a symbolic link, not a folder');
    expect(folderProblem(stat('file', 0, 0o644), false)).toBe('is not a folder');
  });
});
