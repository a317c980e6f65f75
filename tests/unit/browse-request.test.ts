import { describe, expect, test } from '@jest/globals';
import {
  nameContains,
  parseListFolderRequest,
  parseListing,
  parseSearchRequest,
  parseWhatChangedRequest,
  previousPoint,
  sortEntries,
  visibleChanges,
  type BrowseEntry,
} from '../../src/core/browse-request';

const point = { from: 'local', snapshot: '20261126T110739Z' };

describe('browser requests', () => {
  test('take a point and a folder relative to it; "" is the root', () => {
    expect(parseListFolderRequest(JSON.stringify({ ...point, path: '' }))).toEqual({ ...point, path: '' });
    expect(parseListFolderRequest(JSON.stringify({ ...point, from: 'usb', path: 'alice/Odd name (1) é' })).path).toBe('alice/Odd name (1) é');
    expect(parseWhatChangedRequest(JSON.stringify({ ...point, source: '/home' }))).toEqual({ ...point, source: '/home' });
  });

  test.each([
    [{ ...point, path: '../etc' }, /^path: must not contain "\.\."/],
    [{ ...point, path: 'alice/../../etc' }, /^path: must not contain/],
    [{ ...point, path: '/etc' }, /^path: must be relative/],
    [{ ...point, path: 'alice/' }, /^path: must not contain/],
    [{ ...point, path: 'a\0b' }, /^path: must not contain control characters \(it has U\+0000\)/],
    [{ ...point, snapshot: '../x', path: '' }, /^snapshot: /],
    [{ ...point, from: 'a/b', path: '' }, /^from: /],
    [{ ...point, path: '', extra: 1 }, /^request: /],
    [{ ...point }, /^path: /],
  ])('refuse %j', (request, message) => {
    expect(() => parseListFolderRequest(JSON.stringify(request))).toThrow(message);
  });

  test('search: part of a name, a bounded limit, everywhere by default', () => {
    expect(parseSearchRequest(JSON.stringify({ ...point, pattern: 'Report' }))).toEqual({ ...point, pattern: 'Report', path: '', limit: 200 });
    expect(() => parseSearchRequest(JSON.stringify({ ...point, pattern: '' }))).toThrow(/^pattern: must not be empty/);
    expect(() => parseSearchRequest(JSON.stringify({ ...point, pattern: 'a/b' }))).toThrow(/^pattern: must be part of a name/);
    expect(() => parseSearchRequest(JSON.stringify({ ...point, pattern: 'a', limit: 100000 }))).toThrow(/^limit: /);
    expect(() => parseSearchRequest('not json')).toThrow('the request is not JSON');
  });

  test('a search pattern has no wildcards of its own', () => {
    expect(nameContains('report')).toBe('*report*');
    expect(nameContains('a*b?[c]\\')).toBe('*a\\*b\\?\\[c\\]\\\\*');
  });
});

function record(...fields: string[]): Buffer {
  return Buffer.concat(fields.map((f) => Buffer.concat([Buffer.from(f, 'latin1'), Buffer.from([0])])));
}

describe('parseListing', () => {
  test('reads find records: the folder itself apart, then its entries with paths from the root', () => {
    const output = Buffer.concat([
      record('0', 'd', '20', '1764150000.5000000000', '755', '1000', '', ''),
      record('1', 'f', '3400', '1764150001.2500000000', '644', '1000', '', 'report.txt'),
      record('1', 'l', '19', '1764150002.0000000000', '777', '1000', 'Documents/report.txt', 'latest'),
      record('1', 'p', '0', '1764150003.0000000000', '600', '0', '', 'fifo'),
    ]);
    const { start, entries } = parseListing(output, 'alice/Documents');
    expect(start).toMatchObject({ kind: 'folder', path: 'alice/Documents', name: 'Documents', mtime: 1764150000.5, mode: 0o755 });
    expect(entries).toEqual([
      { name: 'report.txt', path: 'alice/Documents/report.txt', kind: 'file', size: 3400, mtime: 1764150001.25, mode: 0o644, uid: 1000 },
      { name: 'latest', path: 'alice/Documents/latest', kind: 'link', size: 19, mtime: 1764150002, mode: 0o777, uid: 1000, target: 'Documents/report.txt' },
      { name: 'fifo', path: 'alice/Documents/fifo', kind: 'other', size: 0, mtime: 1764150003, mode: 0o600, uid: 0 },
    ]);
  });

  test('at the root, and with names that are not UTF-8 shown as \\xNN', () => {
    const output = Buffer.concat([record('0', 'd', '0', '1', '755', '0', '', ''), Buffer.from([0x31, 0, 0x66, 0, 0x31, 0, 0x31, 0, 0x36, 0x34, 0x34, 0, 0x30, 0, 0, 0x61, 0xff, 0x62, 0])]);
    const { start, entries } = parseListing(output, '');
    expect(start?.path).toBe('');
    expect(entries.map((e) => [e.name, e.path])).toEqual([['a\\xffb', 'a\\xffb']]);
  });

  test('names with newlines stay whole', () => {
    const { entries } = parseListing(record('1', 'f', '1', '1', '644', '0', '', 'two\nlines'), '');
    expect(entries[0].name).toBe('two\nlines');
  });
});

test('sortEntries: folders first, then names as people sort them', () => {
  const e = (name: string, kind: BrowseEntry['kind'] = 'file'): BrowseEntry => ({ name, path: name, kind, size: 0, mtime: 0, mode: 0, uid: 0 });
  expect(sortEntries([e('b'), e('file10'), e('Zeta', 'folder'), e('file9'), e('A'), e('alpha', 'folder')]).map((x) => x.name)).toEqual([
    'alpha',
    'Zeta',
    'A',
    'b',
    'file9',
    'file10',
  ]);
});

describe('previousPoint', () => {
  const names = ['20261126T100000Z', '20261126T110000Z', '20261126T110000Z_2', '20261126T110000Z_10', '20261125T090000Z'];
  test('is the latest point before, in time order (suffixes by number)', () => {
    expect(previousPoint(names, '20261126T120000Z')).toBe('20261126T110000Z_10');
    expect(previousPoint(names, '20261126T110000Z_10')).toBe('20261126T110000Z_2');
    expect(previousPoint(names, '20261126T110000Z_2')).toBe('20261126T110000Z');
    expect(previousPoint(names, '20261126T110000Z')).toBe('20261126T100000Z');
  });
  test('is none for the first point', () => {
    expect(previousPoint(names, '20261125T090000Z')).toBeUndefined();
    expect(previousPoint([], '20261125T090000Z')).toBeUndefined();
  });
});

test('visibleChanges: only changes in folders the caller may read, in the point they exist in', () => {
  const readable = new Set(['this:', 'this:alice', 'previous:', 'previous:alice', 'previous:alice/Old']);
  const result = visibleChanges(
    [
      { kind: 'modified', path: '.', changed: ['times'] },
      { kind: 'created', path: 'alice/new.txt', type: 'file' },
      { kind: 'deleted', path: 'alice/Old/gone.txt', type: 'file' },
      { kind: 'deleted', path: 'bob/secret.txt', type: 'file' },
      { kind: 'modified', path: 'bob/diary.txt', changed: ['data'] },
      { kind: 'renamed', from: 'bob/x', path: 'alice/x' },
    ],
    (p, folder) => readable.has(`${p}:${folder}`),
  );
  expect(result.changes.map((c) => c.path)).toEqual(['alice/new.txt', 'alice/Old/gone.txt']);
  expect(result.hidden).toBe(3);
});
