import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { listSubvolumes } from '../../src/helper/system/btrfs';
import { createAwkwardCorpus, mulberry32, mutate, type CorpusInfo, type Rng } from '../support/awkward-corpus';
import { createBackupFixture, inspect, type BackupFixture } from '../support/backup-fixture';
import { compareDescriptions, compareTrees, describeTree, type EntryDescription } from '../support/tree-compare';

/**
 * The awkward-case corpus (tests/support/awkward-corpus.ts) backed up 20
 * times through the real helper CLI, with random mutations before every
 * backup after the first. Each backup must equal its source snapshot entry by
 * entry: type, content, size, mode, owner, mtime and atime to the nanosecond,
 * xattrs (ACLs and capabilities included),
 * symlink targets, device numbers and hard-link structure. Now and then (and
 * always in the first and last round) the snapshot must also equal the live
 * home it was taken of.
 *
 * Times, and what cannot be compared:
 * - ctime never: the kernel sets it to "now" whenever receive changes an
 *   inode, and nothing can set it, so no backup made by btrfs receive (or by
 *   any other tool) keeps it.
 * - atime only between snapshot and backup, which are both read-only; reading
 *   the live home to compare it changes its atimes (relatime).
 * - The times of the backup's root directory: btrfs send creates every new
 *   inode under a temporary name in the subvolume's root directory and then
 *   renames it into place, but sends the root's times only when the root
 *   itself changed. So an incremental backup that adds a file anywhere gets
 *   the time of the receive as its root's mtime (kernel 6.18, protocols 1
 *   and 2). Its mode, owner and xattrs are compared. The snapshot's root
 *   times are compared with the live home's.
 * - The sparse layout is not part of "equal" (content and size are), but a
 *   backup must never take more space than its snapshot: holes stay holes.
 *   That holds with send protocol 2, which has a command for punching holes.
 *   Protocol 1 has none: a hole punched into a file that already existed at
 *   the parent travels as written zeros and is allocated in the backup, so
 *   with protocol 1 it is only checked for the first (full) send.
 *   Preallocated extents arrive as holes in a full send (less space, same
 *   content).
 *
 * The seed is printed; REWIND_CORPUS_SEED=<seed> replays a failing sequence.
 */
jest.setTimeout(600_000);

const ROUNDS = 20;
/** Rounds in which the snapshot is compared with the live home as well. */
const HOME_CHECKS = new Set([0, 5, 10, 15, ROUNDS - 1]);
const seed = process.env.REWIND_CORPUS_SEED ? Number(process.env.REWIND_CORPUS_SEED) : randomBytes(4).readUInt32LE(0);
let rng: Rng;
let fx: BackupFixture;
let corpus: CorpusInfo;
let sourceTop: string | undefined;
let destTop: string | undefined;
const runs: RunRecord[] = [];

function runHelper(): { status: number; run: RunRecord; stderr: string } {
  const [file, ...args] = fx.helperCli(['run', '--json']);
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let run: RunRecord;
  try {
    run = JSON.parse(r.stdout) as RunRecord;
  } catch {
    throw new Error(`rewind-helper run --json printed no run record (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { status: r.status ?? -1, run, stderr: r.stderr };
}

/** Allocated bytes of a file (st_blocks are 512-byte units). */
function allocated(file: string): number {
  return statSync(file).blocks * 512;
}

/** Files that take more space in the backup than in the snapshot. */
function grownFiles(snapshot: Map<string, EntryDescription>, backup: Map<string, EntryDescription>): string[] {
  const grown: string[] = [];
  for (const [rel, b] of backup) {
    const s = snapshot.get(rel);
    if (b.allocated !== undefined && s?.allocated !== undefined && b.allocated > s.allocated) {
      grown.push(`${JSON.stringify(rel)}: ${b.allocated} bytes allocated in the backup, ${s.allocated} in the snapshot (size ${s.size})`);
    }
  }
  return grown;
}

beforeAll(async () => {
  console.log(`awkward corpus: seed ${seed} (REWIND_CORPUS_SEED=${seed} repeats this sequence)`);
  rng = mulberry32(seed);
  // Room for 20 rounds of snapshots kept: a source that runs low gives up its oldest (src/core/source-thinning.ts).
  fx = await createBackupFixture({ withBus: false, sourceMiB: 1024 });
  corpus = createAwkwardCorpus(fx.home, rng);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe(`${ROUNDS} rounds of random changes, each followed by a backup (seed ${seed})`, () => {
  for (let round = 0; round < ROUNDS; round++) {
    test(`round ${round}`, async () => {
      const mutations = round === 0 ? [`create the corpus (${corpus.entries} entries)`] : mutate(fx.home, rng, { round });
      const context = { seed, round, mutations };

      const { status, run, stderr } = runHelper();
      expect({ ...context, status, error: run.error, stderr: status === 0 ? '' : stderr }).toEqual({ ...context, status: 0, error: undefined, stderr: '' });
      expect(run.ok).toBe(true);
      expect(run.transfers).toHaveLength(1);
      const [transfer] = run.transfers;
      if (round === 0) {
        expect(transfer).toMatchObject({ kind: 'full', ok: true });
      } else {
        // The parent is the previous round's snapshot (or the last good one, after a failed round).
        expect(transfer).toMatchObject({ kind: 'incremental', parent: runs.at(-1)?.transfers[0].snapshot, ok: true });
        // Only changes travel (at most a few MiB a round), never again the 24 MiB large file.
        expect(transfer.bytes).toBeLessThan(20 * 1024 * 1024);
      }
      runs.push(run);

      // Mounted once, after the first run, and kept for the later rounds.
      sourceTop ??= inspect(fx, fx.source, 'source');
      destTop ??= inspect(fx, fx.destination, 'destination');
      const snapshot = path.join(sourceTop, '.rewind/home', transfer.snapshot);
      const backup = path.join(destTop, fx.hostName, 'home', transfer.snapshot);

      const options = { atime: true };
      const inSnapshot = describeTree(snapshot, options);
      const inBackup = describeTree(backup, options);
      expect({ ...context, problems: compareDescriptions(inSnapshot, inBackup, options) }).toEqual({ ...context, problems: [] });
      if (round === 0 || (transfer.protocol ?? 1) >= 2) {
        expect({ ...context, grown: grownFiles(inSnapshot, inBackup) }).toEqual({ ...context, grown: [] });
      }
      if (HOME_CHECKS.has(round)) {
        // The snapshot is the live home as it was: nothing writes during the run.
        expect({ ...context, problems: compareTrees(fx.home, snapshot, { rootTimes: true }) }).toEqual({ ...context, problems: [] });
      }

      if (round === 0) {
        // A full send keeps holes: the 200 MiB sparse file arrives with its few data extents only.
        for (const rel of corpus.sparseFiles) {
          expect({ rel, allocated: allocated(path.join(backup, rel)) < 4 * 1024 * 1024 }).toEqual({ rel, allocated: true });
        }
      }
    });
  }

  test('every backup was received from its snapshot, each incremental on top of the previous one', async () => {
    expect(runs).toHaveLength(ROUNDS);
    const snapshots = (await listSubvolumes(sourceTop!)).filter((s) => s.path.startsWith('.rewind/home/'));
    const backups = (await listSubvolumes(destTop!)).filter((s) => s.path.startsWith(`${fx.hostName}/home/`));
    const names = runs.map((r) => r.transfers[0].snapshot);
    expect(snapshots.map((s) => path.basename(s.path))).toEqual(names);
    expect(backups.map((s) => path.basename(s.path))).toEqual(names);
    for (let i = 0; i < ROUNDS; i++) {
      expect(backups[i].readOnly).toBe(true);
      expect(backups[i].receivedUuid).toBe(snapshots[i].uuid);
      if (i > 0) expect(backups[i].parentUuid).toBe(backups[i - 1].uuid);
    }
  });
});
