import { describe, expect, test } from '@jest/globals';
import { PRESET_RULES } from '../../src/core/retention-policy';
import { chainTo, chainToFreeSpace, chainsOf, planChainPrune, planStreamSend } from '../../src/core/stream-chains';
import { parseManifest, partFileName, serializeManifest, type StreamEntry } from '../../src/core/stream-manifest';
import type { Subvolume } from '../../src/core/subvolume';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const day = (d: number) => new Date(Date.UTC(2026, 0, d, 12));
const nameOf = (d: number) => `202601${String(d).padStart(2, '0')}T120000Z`;

/** Stream n is of snapshot n (uuid n, so its stream carries uuid n too), and applies on `parent`. */
function stream(n: number, d: number, parent?: number): StreamEntry {
  return {
    name: nameOf(d),
    kind: parent === undefined ? 'full' : 'incremental',
    snapshotUuid: uuid(n),
    receivedUuid: uuid(n),
    ...(parent === undefined ? {} : { parentUuid: uuid(parent) }),
    created: day(d).toISOString(),
    streamBytes: 10,
    compression: 'zstd',
    encrypted: false,
    parts: [{ file: `${nameOf(d)}.full.btrfs.zst.000`, size: 1, sha256: 'a'.repeat(64) }],
  };
}

function snapshot(n: number): Subvolume {
  return { id: 300 + n, path: `.rewind/home/s${n}`, uuid: uuid(n), parentUuid: uuid(999), createdGeneration: n, readOnly: true };
}

describe('chains', () => {
  const entries = [stream(1, 1), stream(2, 2, 1), stream(3, 3, 2), stream(4, 4), stream(5, 5, 4), stream(6, 6, 77)];

  test('a chain runs from its full stream to the stream asked for', () => {
    expect(chainTo(entries, entries[2])?.map((e) => e.receivedUuid)).toEqual([uuid(1), uuid(2), uuid(3)]);
    expect(chainTo(entries, entries[5])).toBeUndefined();
    expect(chainsOf(entries).map((c) => c.streams.length)).toEqual([3, 2]);
  });

  test('a cycle in a tampered manifest ends as a broken chain, not a hang', () => {
    const a = { ...stream(1, 1, 2), kind: 'incremental' as const };
    const b = stream(2, 2, 1);
    expect(chainTo([a, b], b)).toBeUndefined();
  });

  test('incremental from the newest stream whose snapshot the source still has', () => {
    const plan = planStreamSend(entries, [snapshot(3), snapshot(5), snapshot(7)], { maxIncrementals: 30, maxDays: 30 }, day(7), uuid(7));
    expect(plan).toMatchObject({ kind: 'incremental', parentStream: { receivedUuid: uuid(5) } });
  });

  test('a stream of a broken chain is never a parent', () => {
    expect(planStreamSend(entries, [snapshot(6)], { maxIncrementals: 30, maxDays: 30 }, day(7)).kind).toBe('full');
  });

  test('a new chain after N incrementals or D days', () => {
    expect(planStreamSend(entries, [snapshot(3)], { maxIncrementals: 2, maxDays: 30 }, day(7))).toMatchObject({ kind: 'full', reason: 'the chain holds 2 incrementals' });
    expect(planStreamSend(entries, [snapshot(3)], { maxIncrementals: 3, maxDays: 30 }, day(7)).kind).toBe('incremental');
    expect(planStreamSend(entries, [snapshot(3)], { maxIncrementals: 30, maxDays: 6 }, day(7))).toMatchObject({ kind: 'full' });
    expect(planStreamSend(entries, [snapshot(3)], { maxIncrementals: 30, maxDays: 7 }, day(7)).kind).toBe('incremental');
  });

  test('pruning removes whole chains only, and keeps what a kept stream needs', () => {
    // Keep one daily, the newest: stream 5, which needs 4.
    const rules = { ...PRESET_RULES['keep-all'], keepAll: false, daily: 1 };
    const decision = planChainPrune(entries, [snapshot(5)], { rules, now: day(7), timeZone: 'UTC' });
    expect(decision.remove.map((s) => s.receivedUuid)).toEqual([uuid(1), uuid(2), uuid(3)]);
    expect(decision.keep.map((k) => [k.stream.receivedUuid, k.reasons])).toEqual([
      [uuid(4), ['needed by a kept stream']],
      [uuid(5), expect.arrayContaining(['next parent'])],
      [uuid(6), ['broken chain']],
    ]);
  });

  test('the chain of the next parent is kept even when retention would drop it', () => {
    const rules = { ...PRESET_RULES['keep-all'], keepAll: false, daily: 1 };
    const decision = planChainPrune(entries.slice(0, 5), [snapshot(2)], { rules, now: day(7), timeZone: 'UTC' });
    expect(decision.remove).toEqual([]);
  });
});

describe('manifest', () => {
  const manifest = { version: 1 as const, host: 'alice', subvolume: 'home', streams: [stream(1, 1), stream(2, 2, 1)] };

  test('round-trips', () => {
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
  });

  test('names the wrong field', () => {
    const bad = JSON.parse(serializeManifest(manifest));
    bad.streams[1].parts[0].sha256 = 'xyz';
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(/^streams\.1\.parts\.0\.sha256: must be a SHA-256 in hex$/);
    expect(() => parseManifest('{')).toThrow(/not JSON/);
  });

  test('refuses part names that are not part files (leaving the folder, the list itself), and files listed twice', () => {
    const bad = JSON.parse(serializeManifest(manifest));
    bad.streams[0].parts[0].file = '../../etc/passwd';
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(/file: must be the name of a part file/);
    // A list that names itself (or any file not named as Rewind names parts) is not ours: retention would delete it.
    bad.streams[0].parts[0].file = 'manifest.json';
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(/file: must be the name of a part file/);
    const twice = JSON.parse(serializeManifest(manifest));
    twice.streams[1].parts[0].file = twice.streams[0].parts[0].file;
    expect(() => parseManifest(JSON.stringify(twice))).toThrow(/listed twice/);
  });

  test('part names say what they are and sort in order', () => {
    expect(partFileName({ name: nameOf(1), kind: 'incremental', encrypted: true }, 2)).toBe('20260101T120000Z.incr.btrfs.zst.age.002');
  });
});

describe('making room on a full destination', () => {
  const full = { kind: 'full' as const, reason: 'first backup' };
  const from = (n: number) => ({ kind: 'incremental' as const, parent: snapshot(n), parentStream: stream(n, n) });
  // Chains: 1←2←3, 4←5, 7←8, and 6 on a missing parent (broken).
  const entries = [stream(1, 1), stream(2, 2, 1), stream(3, 3, 2), stream(4, 4), stream(5, 5, 4), stream(6, 6, 77), stream(7, 7), stream(8, 8, 7)];
  const names = (streams: StreamEntry[] | undefined) => streams?.map((s) => s.receivedUuid);

  test('the oldest whole chain goes first, all of it', () => {
    expect(names(chainToFreeSpace(entries, from(8)))).toEqual([uuid(1), uuid(2), uuid(3)]);
  });

  test('never the chain of the next parent, even when it is the oldest', () => {
    expect(names(chainToFreeSpace(entries, from(2)))).toEqual([uuid(4), uuid(5)]);
  });

  test('never the chain with the newest stream, also before a full send', () => {
    const two = [stream(1, 1), stream(2, 2, 1), stream(4, 4)];
    expect(names(chainToFreeSpace(two, full))).toEqual([uuid(1), uuid(2)]);
    expect(chainToFreeSpace([stream(1, 1), stream(2, 2, 1)], full)).toBeUndefined();
  });

  test('never a stream of a broken chain; nothing left to remove says so', () => {
    const left = [stream(6, 6, 77), stream(7, 7), stream(8, 8, 7)];
    expect(chainToFreeSpace(left, from(8))).toBeUndefined();
    expect(chainToFreeSpace([], full)).toBeUndefined();
  });

  test('removing one chain after another ends with the protected ones', () => {
    let rest = entries;
    const removed: string[][] = [];
    for (let victim = chainToFreeSpace(rest, from(5)); victim; victim = chainToFreeSpace(rest, from(5))) {
      removed.push(victim.map((s) => s.name));
      rest = rest.filter((s) => !victim!.includes(s));
    }
    expect(removed).toEqual([[nameOf(1), nameOf(2), nameOf(3)]]);
    expect(rest.map((s) => s.receivedUuid)).toEqual([uuid(4), uuid(5), uuid(6), uuid(7), uuid(8)]);
  });
});

describe('a stream a drill found damaged (rule 5)', () => {
  const policy = { maxIncrementals: 30, maxDays: 30 };
  const entries = [stream(1, 1), stream(2, 2, 1), stream(3, 3, 2)];

  test('neither it nor a stream listed before it is a parent: a new chain starts', () => {
    expect(planStreamSend(entries, [snapshot(1), snapshot(2), snapshot(3), snapshot(4)], policy, day(4), uuid(4), new Set([uuid(3)]))).toEqual({
      kind: 'full',
      reason: `a check found ${nameOf(3)} damaged`,
    });
    expect(planStreamSend(entries, [snapshot(2), snapshot(4)], policy, day(4), uuid(4), new Set([uuid(3)]))).toMatchObject({ kind: 'full' });
  });

  test('a chain started after it is extended as usual', () => {
    const after = [...entries, stream(4, 4)];
    expect(planStreamSend(after, [snapshot(3), snapshot(4), snapshot(5)], policy, day(5), uuid(5), new Set([uuid(3)]))).toMatchObject({ kind: 'incremental', parentStream: { receivedUuid: uuid(4) } });
  });

  test('its chain is kept by retention and when room is made until a new chain has started', () => {
    const context = { rules: { ...PRESET_RULES['keep-all'], keepAll: false, daily: 1 }, now: day(20), timeZone: 'UTC' };
    const old = [stream(1, 1), stream(2, 2, 1), stream(3, 10), stream(4, 11, 3)];
    const damaged = new Set([uuid(2)]);
    const decision = planChainPrune(old.slice(0, 2), [snapshot(9)], context, damaged);
    expect(decision.remove).toEqual([]);
    expect(decision.keep.find((k) => k.stream.receivedUuid === uuid(2))?.reasons).toContain('damaged, kept until a full backup has landed after it');
    expect(planChainPrune(old, [snapshot(9)], context, damaged).remove.map((e) => e.receivedUuid)).toEqual([uuid(1), uuid(2)]);
    expect(chainToFreeSpace(old.slice(0, 2), { kind: 'full', reason: 'x' }, damaged)).toBeUndefined();
    expect(chainToFreeSpace(old, { kind: 'full', reason: 'x' }, damaged)?.map((e) => e.receivedUuid)).toEqual([uuid(1), uuid(2)]);
  });
});
