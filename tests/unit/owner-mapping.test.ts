import { expect, test } from '@jest/globals';
import { ownerMapping, type AccountIds } from '../../src/core/owner-mapping';

const here = (entries: Record<string, [number, number]>): Map<string, AccountIds> => new Map(Object.entries(entries).map(([name, [uid, gid]]) => [name, { uid, gid }]));

test('alice was 1000 on the old computer and is 1001 here: her uid and group are given the new numbers', () => {
  const m = ownerMapping([{ name: 'alice', uid: 1000, gid: 1000 }], here({ alice: [1001, 1001], bob: [1000, 1000] }));
  // bob here has 1000, but no folder of the old home is his: nothing of his is merged.
  expect(m).toEqual({ uids: [[1000, 1001]], gids: [[1000, 1001]], given: [{ name: 'alice', uid: [1000, 1001], gid: [1000, 1001] }], kept: [] });
});

test('an account with the same numbers needs nothing; only the group may differ', () => {
  expect(ownerMapping([{ name: 'alice', uid: 1000, gid: 1000 }], here({ alice: [1000, 1000] }))).toEqual({ uids: [], gids: [], given: [], kept: [] });
  expect(ownerMapping([{ name: 'alice', uid: 1000, gid: 100 }], here({ alice: [1000, 1000] })).given).toEqual([{ name: 'alice', gid: [100, 1000] }]);
});

test('a folder with no account of its name here is left as it is, and so are names no account can have', () => {
  const m = ownerMapping(
    [
      { name: 'carol', uid: 1002, gid: 1002 },
      { name: 'lost+found', uid: 1003, gid: 1003 },
    ],
    here({ alice: [1001, 1001] }),
  );
  expect(m).toEqual({
    uids: [],
    gids: [],
    given: [],
    kept: [
      { name: 'carol', reason: 'no-account' },
      { name: 'lost+found', reason: 'no-account' },
    ],
  });
});

test("root's files are never given away, and nothing is given to root", () => {
  const m = ownerMapping(
    [
      { name: 'shared', uid: 0, gid: 0 },
      { name: 'root', uid: 1000, gid: 1000 },
      { name: 'alice', uid: 1000, gid: 0 },
    ],
    here({ shared: [1005, 1005], root: [0, 0], alice: [1001, 1001] }),
  );
  expect(m.uids).toEqual([[1000, 1001]]);
  // alice's folder was in root's group: the group stays root's.
  expect(m.gids).toEqual([]);
  expect(m.kept).toEqual([
    { name: 'root', reason: 'root' },
    { name: 'shared', reason: 'root' },
  ]);
});

test("a new number that is another folder's owner who keeps theirs is refused: two people's files are never merged", () => {
  // alice becomes 1001 here, but 1001 owns carol's folder, and carol has no account here.
  const m = ownerMapping(
    [
      { name: 'alice', uid: 1000, gid: 1000 },
      { name: 'carol', uid: 1001, gid: 1001 },
    ],
    here({ alice: [1001, 1001] }),
  );
  expect(m).toEqual({
    uids: [],
    gids: [],
    given: [],
    kept: [
      { name: 'alice', reason: 'taken' },
      { name: 'carol', reason: 'no-account' },
    ],
  });
});

test('a refusal that keeps a number makes the mapping onto it refused too, in a chain', () => {
  // dave → 1001 is refused (1001 is carol's, who stays); so dave keeps 1002, and bob → 1002 is refused as well.
  const m = ownerMapping(
    [
      { name: 'bob', uid: 1003, gid: 1003 },
      { name: 'carol', uid: 1001, gid: 1001 },
      { name: 'dave', uid: 1002, gid: 1002 },
    ],
    here({ bob: [1002, 1002], dave: [1001, 1001] }),
  );
  expect(m.uids).toEqual([]);
  expect(m.kept).toEqual([
    { name: 'bob', reason: 'taken' },
    { name: 'carol', reason: 'no-account' },
    { name: 'dave', reason: 'taken' },
  ]);
});

test('two people who swap numbers are both given theirs', () => {
  const m = ownerMapping(
    [
      { name: 'alice', uid: 1000, gid: 1000 },
      { name: 'bob', uid: 1001, gid: 1001 },
    ],
    here({ alice: [1001, 1001], bob: [1000, 1000] }),
  );
  expect(m.uids).toEqual([
    [1000, 1001],
    [1001, 1000],
  ]);
  expect(m.given.map((g) => g.name)).toEqual(['alice', 'bob']);
});

test('two old numbers that would become one, or one number claimed by two accounts, are refused', () => {
  // Two names for one account here (an alias): both folders would end up one owner's.
  const merged = ownerMapping(
    [
      { name: 'alice', uid: 1000, gid: 1000 },
      { name: 'ally', uid: 1005, gid: 1005 },
    ],
    here({ alice: [1001, 1001], ally: [1001, 1001] }),
  );
  expect(merged.uids).toEqual([]);
  expect(merged.kept).toEqual([
    { name: 'alice', reason: 'ambiguous' },
    { name: 'ally', reason: 'ambiguous' },
  ]);
  // Both folders were 1000's, and here their names are two people.
  const split = ownerMapping(
    [
      { name: 'alice', uid: 1000, gid: 1000 },
      { name: 'work', uid: 1000, gid: 1000 },
    ],
    here({ alice: [1001, 1001], work: [1002, 1002] }),
  );
  expect(split.uids).toEqual([]);
  expect(split.kept.map((k) => k.reason)).toEqual(['ambiguous', 'ambiguous']);
});

test("a second folder of the same owner follows them; a shared group claimed by two accounts stays as it was", () => {
  // alice's second folder has no account's name; it is 1000's, so it is hers and follows her.
  const m = ownerMapping(
    [
      { name: 'alice', uid: 1000, gid: 100 },
      { name: 'alice-projects', uid: 1000, gid: 100 },
      { name: 'bob', uid: 1001, gid: 100 },
    ],
    here({ alice: [1002, 1002], bob: [1003, 1003] }),
  );
  expect(m.uids).toEqual([
    [1000, 1002],
    [1001, 1003],
  ]);
  expect(m.gids).toEqual([]);
  expect(m.given).toEqual([
    { name: 'alice', uid: [1000, 1002], groupKept: 'ambiguous' },
    { name: 'bob', uid: [1001, 1003], groupKept: 'ambiguous' },
  ]);
  expect(m.kept).toEqual([]);
});

test("a new number that owns files in the home without a folder is refused too, for the uid and for the group", () => {
  // 1001's folder was deleted on the old computer, but files of 1001 (group 1002) are still in alice's.
  const folders = [{ name: 'alice', uid: 1000, gid: 1000 }];
  expect(ownerMapping(folders, here({ alice: [1001, 1001] }), { uids: [1000, 1001], gids: [1000] })).toEqual({
    uids: [],
    gids: [],
    given: [],
    kept: [{ name: 'alice', reason: 'taken' }],
  });
  expect(ownerMapping(folders, here({ alice: [1003, 1002] }), { uids: [1000, 1001], gids: [1000, 1002] })).toEqual({
    uids: [[1000, 1003]],
    gids: [],
    given: [{ name: 'alice', uid: [1000, 1003], groupKept: 'taken' }],
    kept: [],
  });
});
