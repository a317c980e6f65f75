import { describe, expect, test } from '@jest/globals';
import { LIST_VERSIONS_MAX, parseListVersionsRequest } from '../../src/core/versions-request';

const point = { from: 'local', snapshot: '20261204T113812Z' };

describe('ListVersions requests', () => {
  test('a path in several points, or the backed-up folder itself', () => {
    const request = { source: '/home', path: 'alice/Documents/plan.txt', points: [point, { from: 'usb', snapshot: '20261203T090000Z_2' }] };
    expect(parseListVersionsRequest(JSON.stringify(request))).toEqual(request);
    expect(parseListVersionsRequest(JSON.stringify({ path: '', points: [point] })).path).toBe('');
  });

  test.each([
    [{ path: '../etc/shadow', points: [point] }, /path/],
    [{ path: '/etc/shadow', points: [point] }, /path/],
    [{ path: 'a', points: [] }, /points/],
    [{ path: 'a', points: Array.from({ length: LIST_VERSIONS_MAX + 1 }, () => point) }, /points/],
    [{ path: 'a', points: [{ from: '../x', snapshot: point.snapshot }] }, /from/],
    [{ path: 'a', points: [{ ...point, snapshot: 'latest' }] }, /snapshot/],
    [{ path: 'a', points: [point], source: 'home' }, /source/],
    [{ path: 'a', points: [point], extra: 1 }, /extra|Unrecognized/],
  ])('refuses %j', (request, message) => {
    expect(() => parseListVersionsRequest(JSON.stringify(request))).toThrow(message);
  });
});
