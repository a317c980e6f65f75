import { describe, expect, test } from '@jest/globals';
import { checkParents, choosePlan, damagedAwaitingFull, isCompleteBackup, refusedParentsNotice, snapshotsOf, unchangedSnapshot } from '../../src/core/parent';
import type { Subvolume } from '../../src/core/subvolume';

let nextId = 300;
function subvolume(fields: Partial<Subvolume> & Pick<Subvolume, 'uuid'>): Subvolume {
  return { id: nextId++, path: `x/${fields.uuid}`, createdGeneration: 1, readOnly: true, ...fields };
}

const home = 'home-uuid';
const s1 = subvolume({ uuid: 's1', parentUuid: home, createdGeneration: 10, path: '.rewind/home/20260101T000000Z' });
const s2 = subvolume({ uuid: 's2', parentUuid: home, createdGeneration: 20, path: '.rewind/home/20260102T000000Z' });
const s3 = subvolume({ uuid: 's3', parentUuid: home, createdGeneration: 30, path: '.rewind/home/20260103T000000Z' });
const b1 = subvolume({ uuid: 'b1', receivedUuid: 's1' });
const b2 = subvolume({ uuid: 'b2', receivedUuid: 's2', parentUuid: 'b1' });

describe('choosePlan', () => {
  test('with nothing at the destination the send is full', () => {
    expect(choosePlan([s1, s2], [], 's2')).toEqual({ kind: 'full' });
  });

  test('the newest snapshot the destination also has is the parent', () => {
    expect(choosePlan([s1, s2, s3], [b1, b2], 's3')).toEqual({ kind: 'incremental', parent: s2, parentBackup: b2 });
  });

  test('renamed snapshots are still paired by UUID, not by name', () => {
    const renamed2 = { ...s2, path: '.rewind/home/zzz-renamed' };
    const renamed1 = { ...s1, path: '.rewind/home/20991231T000000Z' };
    expect(choosePlan([renamed1, renamed2, s3], [b1, b2], 's3')).toMatchObject({ kind: 'incremental', parent: renamed2 });
  });

  test('a wiped destination means a full send', () => {
    expect(choosePlan([s1, s2, s3], [], 's3')).toEqual({ kind: 'full' });
  });

  test('when the newest source snapshot was deleted by hand, an older shared one is the parent', () => {
    // s2 is gone from the source; b2 still exists at the destination but cannot be a parent.
    expect(choosePlan([s1, s3], [b1, b2], 's3')).toMatchObject({ kind: 'incremental', parent: s1, parentBackup: b1 });
  });

  test('a backup left by an interrupted receive is never a parent', () => {
    const writable = subvolume({ uuid: 'b2w', receivedUuid: 's2', readOnly: false });
    const unreceived = subvolume({ uuid: 'b2u', readOnly: true });
    expect(isCompleteBackup(writable)).toBe(false);
    expect(isCompleteBackup(unreceived)).toBe(false);
    expect(choosePlan([s1, s2, s3], [b1, writable, unreceived], 's3')).toMatchObject({ parent: s1 });
  });

  test('two backups with one Received UUID are neither a parent, and the plan names them', () => {
    const second = { ...b2, createdGeneration: 4 };
    const copy = subvolume({ uuid: 'b2c', receivedUuid: 's2', createdGeneration: 5, path: 'x/copy' });
    const plan = choosePlan([s1, s2, s3], [b1, second, copy], 's3');
    expect(plan).toMatchObject({ kind: 'incremental', parent: s1 });
    expect(plan.refused?.map((r) => r.reason)).toEqual(['its Received UUID is also that of copy', `its Received UUID is also that of b2`]);
    expect(refusedParentsNotice('Disk', plan)).toMatch(/^A backup on Disk is damaged and never built on: b2 \(.*\); copy \(.*\)\. So this backup was made on the older b1 instead/);
  });

  test('checkParents: read-only, received and unique, or refused with why', () => {
    const writable = subvolume({ uuid: 'w', receivedUuid: 's3', readOnly: false });
    const bare = subvolume({ uuid: 'n' });
    const { usable, refused } = checkParents([b1, writable, bare]);
    expect(usable).toEqual([b1]);
    expect(refused.map((r) => [r.backup.uuid, r.reason])).toEqual([
      ['w', 'it is not read-only, so it may have changed since it was received'],
      ['n', 'it has no Received UUID, so what it holds cannot be told'],
    ]);
  });

  test('a refused backup older than the parent is not named', () => {
    const old = subvolume({ uuid: 'old', receivedUuid: 's1', readOnly: false, createdGeneration: 0 });
    const plan = choosePlan([s1, s2, s3], [b1, b2, old], 's3');
    expect(plan).toEqual({ kind: 'incremental', parent: s2, parentBackup: b2 });
    expect(refusedParentsNotice('Disk', plan)).toBeUndefined();
  });

  test('the new snapshot itself is never its own parent', () => {
    expect(choosePlan([s1, s2], [b1, b2], 's2')).toMatchObject({ parent: s1 });
  });

  test('a writable source subvolume is not a parent', () => {
    expect(choosePlan([{ ...s2, readOnly: false }, s3], [b2], 's3')).toEqual({ kind: 'full' });
  });
});

describe('a backup a drill found damaged (rule 7)', () => {
  const g1 = subvolume({ uuid: 'g1', receivedUuid: 's1', createdGeneration: 100, path: 'x/20260101T000000Z' });
  const g2 = subvolume({ uuid: 'g2', receivedUuid: 's2', createdGeneration: 200, path: 'x/20260102T000000Z' });
  const g3 = subvolume({ uuid: 'g3', receivedUuid: 's3', createdGeneration: 300, path: 'x/20260103T000000Z' });
  const s4 = subvolume({ uuid: 's4', parentUuid: home, createdGeneration: 40 });

  test('neither it nor an older backup is a parent: the next send is full, and the record says why', () => {
    const plan = choosePlan([s1, s2, s3, s4], [g1, g2], 's4', new Set(['g2']));
    expect(plan.kind).toBe('full');
    expect(plan.refused?.map((r) => r.backup.uuid)).toEqual(['g1', 'g2']);
    expect(refusedParentsNotice('Disk', plan)).toBe(
      'A backup on Disk is damaged and never built on: 20260102T000000Z (a check restored files from it and they did not come back as they were backed up); ' +
        'the backup before it (it may hold the same damaged data). So a full backup was sent instead; the damaged backup is kept.',
    );
  });

  test('once a full backup has landed after it, incrementals go on from that one', () => {
    const full = subvolume({ uuid: 'g3', receivedUuid: 's3', createdGeneration: 300 });
    expect(choosePlan([s1, s2, s3, s4], [g1, g2, full], 's4', new Set(['g2']))).toEqual({ kind: 'incremental', parent: s3, parentBackup: full });
  });

  test('without marks the choice is unchanged', () => {
    expect(choosePlan([s1, s2, s4], [g1, g2], 's4')).toMatchObject({ kind: 'incremental', parent: s2 });
    expect(checkParents([g1, g2], new Set(['elsewhere'])).usable).toEqual([g1, g2]);
  });

  test('it is kept until a backup that may be a parent has landed after it', () => {
    expect(damagedAwaitingFull([g1, g2], new Set(['g2']))).toEqual([g2]);
    expect(damagedAwaitingFull([g1, g2, g3], new Set(['g2']))).toEqual([]);
    // A newer backup that is itself damaged is no replacement.
    expect(damagedAwaitingFull([g1, g2, g3], new Set(['g2', 'g3']))).toEqual([g2, g3]);
    expect(damagedAwaitingFull([g1, g2], new Set())).toEqual([]);
  });
});

describe('snapshotsOf', () => {
  test('finds snapshots by parent UUID and orders them by creation generation', () => {
    const other = subvolume({ uuid: 'o1', parentUuid: 'other', createdGeneration: 15 });
    const writable = subvolume({ uuid: 'w', parentUuid: home, readOnly: false, createdGeneration: 25 });
    expect(snapshotsOf(home, [s3, other, s1, writable, s2])).toEqual([s1, s2, s3]);
  });
});

describe('after a whole-subvolume restore (rule 5)', () => {
  // The disk died. The backup b2 (of s2) was received back as r2 on the new
  // disk, and the new home is a writable snapshot of r2; then s4 is taken of it.
  const r2 = subvolume({ uuid: 'r2', receivedUuid: 's2', createdGeneration: 5, path: '.rewind/home/20260102T000000Z' });
  const newHome = subvolume({ uuid: 'new-home', parentUuid: 'r2', readOnly: false, createdGeneration: 6, path: 'home' });
  const s4 = subvolume({ uuid: 's4', parentUuid: 'new-home', createdGeneration: 7, path: '.rewind/home/20260105T000000Z' });

  test("the new home's snapshots include its origin, the restored snapshot", () => {
    expect(snapshotsOf('new-home', [r2, newHome, s4]).map((s) => s.uuid)).toEqual(['r2', 's4']);
  });

  test('the restored snapshot pairs with the old backup by its received UUID, so the next send is incremental', () => {
    expect(choosePlan(snapshotsOf('new-home', [r2, newHome, s4]), [b1, b2], 's4')).toEqual({ kind: 'incremental', parent: r2, parentBackup: b2 });
  });

  test('a writable origin is not a parent', () => {
    const writable = { ...r2, readOnly: false };
    expect(snapshotsOf('new-home', [writable, newHome, s4]).map((s) => s.uuid)).toEqual(['s4']);
  });
});

describe('unchangedSnapshot', () => {
  const a = subvolume({ uuid: 'a', parentUuid: home, createdGeneration: 10 });
  const b = subvolume({ uuid: 'b', parentUuid: home, createdGeneration: 12 });

  test('the newest snapshot when the source has not changed since it (taking it raised the source to its generation)', () => {
    expect(unchangedSnapshot(12, [a, b])?.uuid).toBe('b');
    expect(unchangedSnapshot(12, [b, a])?.uuid).toBe('b');
  });

  test('none once the source changed after the newest snapshot', () => {
    expect(unchangedSnapshot(13, [a, b])).toBeUndefined();
  });

  test('none without snapshots, or when the generation is unknown', () => {
    expect(unchangedSnapshot(5, [])).toBeUndefined();
    expect(unchangedSnapshot(undefined, [a, b])).toBeUndefined();
  });

  test('a snapshot made writable again does not count: its content may differ from the source', () => {
    expect(unchangedSnapshot(12, [a, { ...b, readOnly: false }])).toBeUndefined();
  });
});
