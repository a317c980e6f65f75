import { describe, expect, test } from '@jest/globals';
import { listChanges, type Change } from '../../src/core/send-stream/changes';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { attribute, encodeCommand, encodeStreamHeader, type AttributeValue } from '../../src/core/send-stream/writer';
import { concat, golden } from './send-stream-golden';

/** What make-golden.sh did between "base" and "next", as the list should say it. */
const BASE_TO_NEXT: Change[] = [
  { kind: 'renamed', path: 'docs/README.bin', from: 'docs/readme.bin', changed: ['xattrs'] },
  { kind: 'modified', path: 'docs/hello.txt', type: 'file', changed: ['data', 'xattrs'] },
  { kind: 'deleted', path: 'empty' },
  { kind: 'modified', path: 'fifo', changed: ['times'] },
  { kind: 'deleted', path: 'hardlink-1' },
  { kind: 'created', path: 'hardlink-2', hardlink: true },
  { kind: 'deleted', path: 'link' },
  { kind: 'created', path: 'link', type: 'symlink' },
  { kind: 'created', path: 'new-dir', type: 'dir' },
  { kind: 'renamed', path: 'new-dir/drafts', from: 'docs/drafts', type: 'dir' },
  { kind: 'modified', path: 'new-dir/drafts/notes.txt', changed: ['metadata'] },
  { kind: 'created', path: 'new-dir/fresh.txt', type: 'file' },
  { kind: 'deleted', path: 'old', type: 'dir' },
  { kind: 'deleted', path: 'old/deep', type: 'dir' },
  { kind: 'deleted', path: 'old/deep/er', type: 'dir' },
  { kind: 'deleted', path: 'old/deep/er/leaf' },
  { kind: 'deleted', path: 'old/top' },
  { kind: 'renamed', path: 'pictures', from: 'photos', type: 'dir' },
  // The two files swapped names inside the renamed directory.
  { kind: 'renamed', path: 'pictures/a.jpg', from: 'photos/b.jpg', changed: ['xattrs'] },
  { kind: 'renamed', path: 'pictures/b.jpg', from: 'photos/a.jpg', changed: ['xattrs'] },
];

describe('what changed, from real streams', () => {
  test('an incremental --no-data stream', () => {
    const [subvolume] = listChanges(golden('v1-nodata'));
    expect(subvolume.subvolume).toBe('next');
    expect(subvolume.parentUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(subvolume.changes).toEqual(BASE_TO_NEXT);
  });

  test('the same list from the stream with data, v1 and v2 (v2 also appended to big.txt)', () => {
    expect(listChanges(golden('v1-incremental'))[0].changes).toEqual(BASE_TO_NEXT);
    expect(listChanges(golden('v2-incremental'))[0].changes).toEqual([
      { kind: 'modified', path: 'big.txt', type: 'file', changed: ['data'] },
      ...BASE_TO_NEXT,
    ]);
  });

  test('a full stream creates everything under its final name, never a temporary one', () => {
    const [base] = listChanges(golden('v1-full'));
    expect(base.parentUuid).toBeUndefined();
    expect(base.changes.every((c) => c.kind === 'created')).toBe(true);
    expect(base.changes.map((c) => c.path)).toEqual([
      'docs', 'docs/drafts', 'docs/drafts/notes.txt', 'docs/hello.txt', 'docs/readme.bin', 'empty', 'fifo', 'hardlink-1', 'link',
      'old', 'old/deep', 'old/deep/er', 'old/deep/er/leaf', 'old/top', 'photos', 'photos/a.jpg', 'photos/b.jpg', 'sparse',
      'with space', 'with space/caf\\xe9', 'with space/naïve café.txt',
    ]);
    expect(base.changes.find((c) => c.path === 'fifo')?.type).toBe('fifo');
    expect(base.changes.filter((c) => c.hardlink)).toHaveLength(1);
  });

  test('one list per subvolume, also across concatenated streams', () => {
    const lists = listChanges(concat([golden('two-subvolumes'), golden('v1-nodata')]));
    expect(lists.map((l) => l.subvolume)).toEqual(['base', 'next', 'next']);
    expect(lists[2].changes).toEqual(BASE_TO_NEXT);
  });
});

type Step = [number, Array<[number, AttributeValue]>];

/** A small incremental stream from commands, to test the rules one by one. */
function incremental(steps: Step[]): Change[] {
  const v = 1;
  const stream = concat([
    encodeStreamHeader(v),
    encodeCommand(Command.Snapshot, [attribute(Attribute.Path, 'snap'), attribute(Attribute.Uuid, 'aa'.repeat(16)), attribute(Attribute.Ctransid, 2), attribute(Attribute.CloneUuid, 'bb'.repeat(16)), attribute(Attribute.CloneCtransid, 1)], { version: v }),
    ...steps.map(([type, attrs]) => encodeCommand(type, attrs.map(([t, value]) => attribute(t, value)), { version: v })),
    encodeCommand(Command.End, [], { version: v }),
  ]);
  return listChanges(stream)[0].changes;
}

const P = Attribute.Path;
const times: Array<[number, AttributeValue]> = [
  [Attribute.Atime, { sec: 1, nsec: 0 }],
  [Attribute.Mtime, { sec: 1, nsec: 0 }],
  [Attribute.Ctime, { sec: 1, nsec: 0 }],
];

describe('the rules, one by one', () => {
  test('a new file waits under a temporary name for its new directory', () => {
    expect(
      incremental([
        [Command.Mkfile, [[P, 'o300-5-0'], [Attribute.Ino, 300]]],
        [Command.Write, [[P, 'o300-5-0'], [Attribute.FileOffset, 0], [Attribute.Data, new Uint8Array(3)]]],
        [Command.Mkdir, [[P, 'o301-5-0'], [Attribute.Ino, 301]]],
        [Command.Rename, [[P, 'o301-5-0'], [Attribute.PathTo, 'dir']]],
        [Command.Rename, [[P, 'o300-5-0'], [Attribute.PathTo, 'dir/file']]],
        [Command.Utimes, [[P, ''], ...times]],
      ]),
    ).toEqual([
      { kind: 'created', path: 'dir', type: 'dir' },
      { kind: 'created', path: 'dir/file', type: 'file' },
    ]);
  });

  test('a file first touched after its directory moved keeps its old path', () => {
    expect(
      incremental([
        [Command.Rename, [[P, 'a'], [Attribute.PathTo, 'b']]],
        [Command.Truncate, [[P, 'b/f'], [Attribute.Size, 0]]],
        [Command.Unlink, [[P, 'b/g']]],
      ]),
    ).toEqual([
      { kind: 'deleted', path: 'a/g' },
      { kind: 'renamed', path: 'b', from: 'a', type: 'dir' },
      { kind: 'modified', path: 'b/f', type: 'file', changed: ['data'] },
    ]);
  });

  test('moved out of the way and put back is no rename', () => {
    expect(
      incremental([
        [Command.Rename, [[P, 'x'], [Attribute.PathTo, 'o257-3-0']]],
        [Command.Mkfile, [[P, 'o400-9-0'], [Attribute.Ino, 400]]],
        [Command.Rename, [[P, 'o400-9-0'], [Attribute.PathTo, 'y']]],
        [Command.Rename, [[P, 'o257-3-0'], [Attribute.PathTo, 'x']]],
        [Command.Chmod, [[P, 'x'], [Attribute.Mode, 0o600]]],
      ]),
    ).toEqual([
      { kind: 'modified', path: 'x', changed: ['metadata'] },
      { kind: 'created', path: 'y', type: 'file' },
    ]);
  });

  test('a rename done as LINK + UNLINK is a rename; other new names are hard links', () => {
    expect(
      incremental([
        [Command.Link, [[P, 'other/copy'], [Attribute.PathLink, 'd/old']]],
        [Command.Link, [[P, 'd/new'], [Attribute.PathLink, 'd/old']]],
        [Command.Unlink, [[P, 'd/old']]],
      ]),
    ).toEqual([
      { kind: 'renamed', path: 'd/new', from: 'd/old' },
      { kind: 'created', path: 'other/copy', hardlink: true },
    ]);
  });

  test('times alone are a change; on a directory with changes inside they are not', () => {
    expect(
      incremental([
        [Command.Utimes, [[P, 'touched'], ...times]],
        [Command.Unlink, [[P, 'dir/gone']]],
        [Command.Utimes, [[P, 'dir'], ...times]],
        [Command.Utimes, [[P, ''], ...times]],
      ]),
    ).toEqual([
      { kind: 'deleted', path: 'dir/gone' },
      { kind: 'modified', path: 'touched', changed: ['times'] },
    ]);
  });

  test('the root is listed when it changed itself', () => {
    expect(incremental([[Command.Chmod, [[P, ''], [Attribute.Mode, 0o700]]]])).toEqual([
      { kind: 'modified', path: '.', type: 'dir', changed: ['metadata'] },
    ]);
  });

  test('created then removed within the stream is not listed', () => {
    expect(
      incremental([
        [Command.Mkfile, [[P, 'o500-1-0'], [Attribute.Ino, 500]]],
        [Command.Unlink, [[P, 'o500-1-0']]],
        [Command.Mknod, [[P, 'dev'], [Attribute.Ino, 501], [Attribute.Mode, 0o020644], [Attribute.Rdev, 0x0103]]],
        [Command.Mksock, [[P, 'sock'], [Attribute.Ino, 502]]],
      ]),
    ).toEqual([
      { kind: 'created', path: 'dev', type: 'device' },
      { kind: 'created', path: 'sock', type: 'socket' },
    ]);
  });

  test('nonsense moves (the root, a directory into itself) are ignored, not looped on', () => {
    expect(
      incremental([
        [Command.Rename, [[P, ''], [Attribute.PathTo, 'a/b']]],
        [Command.Rename, [[P, 'a'], [Attribute.PathTo, 'a/b/c']]],
        [Command.Write, [[P, 'a/b/f'], [Attribute.FileOffset, 0], [Attribute.Data, new Uint8Array(1)]]],
      ]),
    ).toEqual([{ kind: 'modified', path: 'a/b/f', type: 'file', changed: ['data'] }]);
  });
});
