import { describe, expect, test } from '@jest/globals';
import type { DrillRecord, DrillSourceResult } from '../../src/core/drill';
import { drillDamage, inPointOrder, receivedAffected, streamAffected } from '../../src/core/drill-damage';
import type { StreamEntry } from '../../src/core/stream-manifest';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const nameOf = (d: number) => `202601${String(d).padStart(2, '0')}T120000Z`;

/** Stream n, of day n, applied on `parent` (a full stream without one). */
function stream(n: number, parent?: number): StreamEntry {
  return {
    name: nameOf(n),
    kind: parent === undefined ? 'full' : 'incremental',
    snapshotUuid: uuid(n),
    receivedUuid: uuid(n),
    ...(parent === undefined ? {} : { parentUuid: uuid(parent) }),
    created: new Date(Date.UTC(2026, 0, n, 12)).toISOString(),
    streamBytes: 10,
    compression: 'zstd',
    encrypted: false,
    parts: [{ file: `${nameOf(n)}.full.btrfs.zst.000`, size: 1, sha256: 'a'.repeat(64) }],
  };
}

describe('received backups (rule 1)', () => {
  const points = [1, 2, 3, 4, 5].map((n) => ({ name: nameOf(n) }));

  test('the damaged backup and every older one in its folder, never a newer one', () => {
    expect(receivedAffected(points, nameOf(4))).toEqual([nameOf(1), nameOf(2), nameOf(3), nameOf(4)]);
    expect(receivedAffected(points, nameOf(1))).toEqual([nameOf(1)]);
  });
});

describe('stream files (rules 2 and 3)', () => {
  // Two chains: 1 ← 2 ← 3, then 4 ← 5 ← 6.
  const entries = [stream(1), stream(2, 1), stream(3, 2), stream(4), stream(5, 4), stream(6, 5)];

  test('a damaged stream takes its own point and every later point of its chain, not the earlier ones nor another chain', () => {
    expect(streamAffected(entries, nameOf(6), nameOf(5))).toEqual([nameOf(5), nameOf(6)]);
    expect(streamAffected(entries, nameOf(3), nameOf(1))).toEqual([nameOf(1), nameOf(2), nameOf(3)]);
  });

  test('a damaged stream older than the point checked reaches newer points built on it too', () => {
    expect(streamAffected(entries, nameOf(5), nameOf(4))).toEqual([nameOf(4), nameOf(5), nameOf(6)]);
  });

  test('files wrong with every checksum right: the whole chain of the point checked', () => {
    expect(streamAffected(entries, nameOf(5))).toEqual([nameOf(4), nameOf(5), nameOf(6)]);
  });

  test('a chain broken below the damaged stream still loses what is built on it; an unknown name is itself', () => {
    const broken = [stream(2, 1), stream(3, 2), stream(4)];
    expect(streamAffected(broken, nameOf(3), nameOf(2))).toEqual([nameOf(2), nameOf(3)]);
    expect(streamAffected(entries, nameOf(9), nameOf(9))).toEqual([nameOf(9)]);
  });

  test('a cycle in a tampered list ends', () => {
    const cycle = [stream(1, 2), stream(2, 1), stream(3)];
    expect(streamAffected(cycle, nameOf(1), nameOf(1))).toEqual([nameOf(1), nameOf(2)]);
  });
});

test('names come out in the points’ order, each once', () => {
  const points = [1, 2, 3].map((n) => ({ name: nameOf(n) }));
  expect(inPointOrder(points, [nameOf(3), nameOf(1), nameOf(3)])).toEqual([nameOf(1), nameOf(3)]);
});

describe('drillDamage: what the app and the monitor name', () => {
  const record = (sources: DrillSourceResult[]): DrillRecord => ({
    id: 'd',
    started: '2026-01-06T12:00:00Z',
    finished: '2026-01-06T12:01:00Z',
    destination: 'usb',
    destinationName: 'Disk',
    seed: 1,
    outcome: 'damaged',
    sources,
  });

  test('files named by their problems, each once, and the points with the backup checked as where it was found', () => {
    const damage = drillDamage(
      record([
        {
          source: '/home',
          backup: nameOf(3),
          compared: 4,
          bytes: 1,
          damaged: true,
          affected: [nameOf(1), nameOf(2), nameOf(3)],
          problems: [
            "alice/a.txt: its content differs from this computer's snapshot from byte 10 on",
            'alice/a.txt: its extended attribute user.x did not come back',
            'alice/b.raw: it could not be restored from the backup: Input/output error',
          ],
        },
      ]),
    );
    expect(damage).toEqual({ files: ['alice/a.txt', 'alice/b.raw'], streams: [], affected: [{ names: [nameOf(1), nameOf(2), nameOf(3)], found: nameOf(3) }] });
  });

  test('a damaged stream is where it was found; a newer backup merely changed names no file and no found point', () => {
    const stream = drillDamage(
      record([
        {
          source: '/home',
          backup: nameOf(3),
          compared: 0,
          bytes: 0,
          damaged: true,
          damagedStream: nameOf(2),
          affected: [nameOf(2), nameOf(3)],
          problems: [`The stream files of the backup ${nameOf(3)} are damaged: home/${nameOf(2)}.incr.btrfs.zst.000 is missing`],
        },
      ]),
    );
    expect(stream).toEqual({ files: [], streams: [nameOf(2)], affected: [{ names: [nameOf(2), nameOf(3)], found: nameOf(2) }] });
    const changed = drillDamage(
      record([{ source: '/home', backup: nameOf(3), compared: 0, bytes: 0, affected: [nameOf(3)], problems: [`The backup ${nameOf(3)} was changed or left incomplete after it was received`] }]),
    );
    expect(changed).toEqual({ files: [], streams: [], affected: [{ names: [nameOf(3)] }] });
  });
});
