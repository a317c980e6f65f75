import { describe, expect, test } from '@jest/globals';
import type { BrowseEntry } from '../../src/core/browse-request';
import { exactName, HitList, hitsNewestFirst, leftBehind, nameHas, newestFirst, parseSearchMomentsRequest } from '../../src/core/moments-search';
import type { Change } from '../../src/core/send-stream/changes';

const entry = (path: string): BrowseEntry => ({ name: path.slice(path.lastIndexOf('/') + 1), path, kind: 'file', size: 1, mtime: 0, mode: 0o644, uid: 1000 });

describe('find across time', () => {
  test('names contain the text regardless of ASCII case, as find -iname in the C locale', () => {
    expect(nameHas('Old-PLAN.txt', 'plan')).toBe(true);
    expect(nameHas('notes.md', 'plan')).toBe(false);
    expect(nameHas('ÉTÉ.txt', 'été')).toBe(false);
    expect(exactName('a*b?[c]\\d')).toBe('a\\*b\\?\\[c\\]\\\\d');
  });

  test('a step leaves behind what it deleted or renamed away, below the folder searched', () => {
    const changes: Change[] = [
      { kind: 'deleted', path: 'alice/Documents/plan.txt', type: 'file' },
      { kind: 'deleted', path: 'alice/other.txt', type: 'file' },
      { kind: 'renamed', path: 'alice/new-plan.md', from: 'alice/PLAN.md', type: 'file' },
      { kind: 'created', path: 'alice/plan-now.txt', type: 'file' },
      { kind: 'modified', path: 'alice/plans.txt', type: 'file' },
      { kind: 'deleted', path: 'bob/plan.txt', type: 'file' },
      { kind: 'renamed', path: 'alice/Archive', from: 'alice/Old', type: 'dir' },
      { kind: 'deleted', path: 'alice/Old/inner/plan.txt', type: 'file' },
      { kind: 'renamed', path: 'alice/Old2/x', from: 'alice/Old/x', type: 'dir' },
    ];
    expect(leftBehind(changes, 'plan', 'alice')).toEqual({ paths: ['alice/Documents/plan.txt', 'alice/PLAN.md'], folders: ['alice/Old'] });
    // The folder searched was itself renamed away: searched whole in the older moment.
    expect(leftBehind([{ kind: 'renamed', path: 'b', from: 'a', type: 'dir' }], 'x', 'a/sub')).toEqual({ paths: [], folders: ['a/sub'] });
    // The root's own change is nothing.
    expect(leftBehind([{ kind: 'deleted', path: '.', type: 'dir' }], '.', '')).toEqual({ paths: [], folders: [] });
  });

  test('moments newest first, a second of the same second after the first', () => {
    expect(newestFirst(['20261201T100000Z', '20261203T100000Z', '20261203T100000Z_2', '20261202T100000Z'])).toEqual([
      '20261203T100000Z_2',
      '20261203T100000Z',
      '20261202T100000Z',
      '20261201T100000Z',
    ]);
  });

  test('hits: one per path, the newest moment first, at most the limit', () => {
    const hits = new HitList(2);
    hits.add('new', [entry('a/plan.txt')]);
    hits.add('old', [entry('a/plan.txt'), entry('a/plan2.txt')]);
    expect(hits.full).toBe(false);
    hits.add('older', [entry('b/plan.txt')]);
    expect(hits.hits.map((h) => `${h.snapshot}:${h.entry.path}`)).toEqual(['new:a/plan.txt', 'old:a/plan2.txt']);
    expect(hits.full).toBe(true);
  });

  test('the request: part of a name, a folder, a bounded limit', () => {
    expect(parseSearchMomentsRequest('{"pattern":"plan"}')).toEqual({ pattern: 'plan', path: '', limit: 200 });
    expect(() => parseSearchMomentsRequest('{"pattern":"a/b"}')).toThrow();
    expect(() => parseSearchMomentsRequest('{"pattern":"plan","limit":5000}')).toThrow();
    expect(() => parseSearchMomentsRequest('{"pattern":"plan","path":"../etc"}')).toThrow();
    expect(() => parseSearchMomentsRequest('{"pattern":"plan","from":"local"}')).toThrow();
  });
});

describe('hitsNewestFirst', () => {
  test('a hit in a moment kept only on a disk goes before the older local moments, in order, stable', () => {
    const entry = (p: string) => ({ path: p, name: p, kind: 'file', size: 1, mtime: 0 }) as never;
    const hits = [
      { snapshot: '20260101T120000Z', entry: entry('a') },
      { snapshot: '20250101T120000Z', entry: entry('b') },
      { snapshot: '20250601T120000Z', from: 'usb', entry: entry('c') },
      { snapshot: '20240101T120000Z', from: 'usb', entry: entry('d') },
      { snapshot: '20260101T120000Z', entry: entry('e') },
    ];
    expect(hitsNewestFirst(hits).map((h) => h.entry)).toEqual(['a', 'e', 'c', 'b', 'd'].map(entry));
  });
});

describe('HitList with a destination', () => {
  test('a hit on a disk names the disk; a local one names none; the first of a path wins', () => {
    const list = new HitList(10);
    const entry = (p: string) => ({ path: p, name: p, kind: 'file', size: 1, mtime: 0 }) as never;
    list.add('20260101T120000Z', [entry('a')]);
    list.add('20250101T120000Z', [entry('a'), entry('b')], 'usb');
    expect(list.hits).toEqual([
      { snapshot: '20260101T120000Z', entry: entry('a') },
      { snapshot: '20250101T120000Z', from: 'usb', entry: entry('b') },
    ]);
  });
});
