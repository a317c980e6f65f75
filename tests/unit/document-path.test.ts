import { describe, expect, test } from '@jest/globals';
import { documentPath, hostPathOf } from '../../src/core/document-path';

const MOUNT = '/run/user/1000/doc';

describe('a folder chosen in the sandbox is found on the host', () => {
  test.each([
    ['/home/alice/Photos', 'kept'],
    ['/run/user/1000/docs/x/Photos', 'kept'],
    ['/run/user/1000/doc', 'unusable'],
    ['/run/user/1000/doc/', 'unusable'],
    ['/run/user/1000/doc/3d49b60d', 'unusable'],
    ['/run/user/1000/doc/3d49b60d/..', 'unusable'],
    ['/run/user/1000/doc/3d49b60d/Photos/../../x', 'unusable'],
    ['/run/user/1000/doc/3d49b60d//Photos', 'unusable'],
    ['/run/user/1000/doc/by-app/io.example.App', 'unusable'],
  ])('%s is %s', (path, answer) => {
    expect(documentPath(path, MOUNT)).toBe(answer);
  });

  test('the document id and what follows its name', () => {
    expect(documentPath('/run/user/1000/doc/3d49b60d/Photos', MOUNT)).toEqual({ id: '3d49b60d', rest: [] });
    expect(documentPath('/run/user/1000/doc/3d49b60d/Photos/', `${MOUNT}/`)).toEqual({ id: '3d49b60d', rest: [] });
    expect(documentPath('/run/user/1000/doc/3d49b60d/Photos/2026/June', MOUNT)).toEqual({ id: '3d49b60d', rest: ['2026', 'June'] });
    expect(documentPath('/run/user/1000/doc/by-app/io.github.rewindbackup.Rewind/e477710/Photos', MOUNT)).toEqual({ id: 'e477710', rest: [] });
  });

  test('the host path is the document’s, then what followed its name', () => {
    expect(hostPathOf({ id: 'a', rest: [] }, '/home/alice/Photos')).toBe('/home/alice/Photos');
    expect(hostPathOf({ id: 'a', rest: ['2026', 'June'] }, '/home/alice/Photos/')).toBe('/home/alice/Photos/2026/June');
    expect(hostPathOf({ id: 'a', rest: ['x'] }, '/')).toBe('/x');
  });

  test('a host path that is not absolute and plain is no answer', () => {
    expect(hostPathOf({ id: 'a', rest: [] }, '')).toBeNull();
    expect(hostPathOf({ id: 'a', rest: [] }, 'home/alice')).toBeNull();
    expect(hostPathOf({ id: 'a', rest: [] }, '/home/../etc')).toBeNull();
  });
});
