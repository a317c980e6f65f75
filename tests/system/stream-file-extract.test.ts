import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statfsSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, localSnapshot, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { helperCommand, runBackupCli } from '../support/helper-run';
import { mountLoopExt4 } from '../support/loop-ext4';
import { writeRandomFile } from '../support/random-file';
import { compareTrees } from '../support/tree-compare';

/**
 * Restoring files and folders from stream files without replaying the
 * chain (src/helper/restore/stream-extract.ts): a chain of ten backups on
 * an ext4 disk, plain and encrypted with age, restored from with the home's
 * filesystem 95 % full — where a replay has no room to unpack — and every
 * restored entry identical to the snapshot (content, mode, owner, times to
 * the nanosecond, xattrs, hard links).
 */
jest.setTimeout(600_000);

let fx: BackupFixture;
let points: string[];
const A = (rel: string) => path.join('alice', rel);

function run(): RunRecord {
  const record = runBackupCli(fx);
  if (!record.ok) throw new Error(`backup failed: ${JSON.stringify(record.error ?? record.transfers.map((t) => t.error))}`);
  return record;
}

function restore(destination: string, snapshot: string, rel: string, to: string) {
  return helperCommand(fx, ['restore', '--destination', destination, '--snapshot', snapshot, '--path', rel, '--to', to]);
}

/** What each of the ten backups changed: renames, hard links, a deletion, a reflinked copy, metadata. */
function round(n: number): void {
  const home = (rel: string) => path.join(fx.home, 'alice', rel);
  writeFileSync(home(`Documents/round-${n}.txt`), `round ${n}\n`.repeat(50 * (n + 1)));
  if (n === 0) {
    writeFileSync(home('keep.txt'), 'small and precious\n', { mode: 0o640 });
    sh('chown', ['1234:5678', home('keep.txt')]);
    sh('setfattr', ['-n', 'user.tag', '-v', 'kept', home('keep.txt')]);
    writeFileSync(home('old-name.txt'), 'renamed later\n');
    writeFileSync(home('gone.txt'), 'deleted later\n');
    // The full stream is larger than the room left on the home's filesystem below: a replay cannot unpack it.
    writeRandomFile(home('big.bin'), 40);
  }
  if (n === 2) {
    mkdirSync(home('links'));
    writeFileSync(home('links/a'), 'one inode, two names\n');
    linkSync(home('links/a'), home('links/b'));
  }
  if (n === 4) {
    writeFileSync(home('keep.txt'), 'small and precious, changed\n');
    sh('touch', ['-m', '-d', '@1700000000.123456789', home('keep.txt')]);
  }
  if (n === 5) {
    mkdirSync(home('Moved'));
    renameSync(home('old-name.txt'), home('Moved/new-name.txt'));
  }
  if (n === 6) unlinkSync(home('gone.txt'));
  if (n === 7) {
    // A copy sharing its data with big.bin: the stream clones it from a file that is not restored.
    sh('cp', ['--reflink=always', home('big.bin'), home('reflinked.bin')]);
    symlinkSync('keep.txt', home('link-to-keep'));
  }
  if (n === 8) sh('chmod', ['0600', home('Documents/round-1.txt')]);
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  const folder = path.join(fx.dir, 'ext4');
  mountLoopExt4(fx.cleanup, fx.dir, 'ext4', 512, folder);
  const chain = { maxIncrementals: 20, maxDays: 30 };
  writeFixtureConfig(
    fx,
    [
      { id: 'plain', kind: 'files', path: path.join(folder, 'plain'), mountPoint: folder, chain },
      { id: 'secret', kind: 'files', path: path.join(folder, 'secret'), mountPoint: folder, encrypt: true, chain },
    ],
    { retention: { local: { preset: 'keep-all' } } },
  );
  expect(helperCommand(fx, ['new-key', '--destination', 'secret']).status).toBe(0);
  points = [];
  for (let n = 0; n < 10; n++) {
    round(n);
    const record = run();
    expect(record.transfers.map((t) => [t.destination, t.kind])).toEqual([['plain', n === 0 ? 'full' : 'incremental'], ['secret', n === 0 ? 'full' : 'incremental']]);
    points.push(record.transfers[0].snapshot);
  }
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** Fills the home's filesystem to 95 % (and to at most 8 MiB free) while `fn` runs. */
function nearlyFull<T>(fn: () => T): T {
  const st = statfsSync(fx.home);
  const free = st.bavail * st.bsize;
  const keep = Math.min(0.05 * st.blocks * st.bsize, 8 * 1024 * 1024);
  const filler = path.join(fx.home, 'filler');
  spawnSync('fallocate', ['-l', String(Math.max(0, Math.floor(free - keep))), filler]);
  try {
    return fn();
  } finally {
    rmSync(filler, { force: true });
    // btrfs gives the space back when the transaction commits.
    sh('btrfs', ['filesystem', 'sync', fx.home]);
  }
}

describe.each(['plain', 'secret'])('from a chain of ten on %s stream files, the home 95 %% full', (destination) => {
  const last = () => points[9];
  const to = (name: string) => path.join(fx.dir, `${destination}-${name}`);

  test('one small file comes back identical, with its mode, owner, times and xattrs', () => {
    nearlyFull(() => {
      const r = restore(destination, last(), A('keep.txt'), to('keep'));
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    });
    expect(readFileSync(path.join(to('keep'), 'keep.txt'), 'utf8')).toBe('small and precious, changed\n');
    const st = lstatSync(path.join(to('keep'), 'keep.txt'), { bigint: true });
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o7777n, mtime: st.mtimeNs }).toEqual({ uid: 1234n, gid: 5678n, mode: 0o640n, mtime: 1700000000123456789n });
    expect(sh('getfattr', ['--only-values', '-n', 'user.tag', path.join(to('keep'), 'keep.txt')])).toBe('kept');
    // Nothing of the restore's own is left beside it.
    expect(sh('ls', ['-A', to('keep')]).trim()).toBe('keep.txt');
  });

  test('a file renamed between backups: by its new name at the last point, by its old one before', () => {
    nearlyFull(() => {
      expect(restore(destination, last(), A('Moved/new-name.txt'), to('renamed')).status).toBe(0);
      expect(restore(destination, points[3], A('old-name.txt'), to('old-name')).status).toBe(0);
    });
    expect(readFileSync(path.join(to('renamed'), 'new-name.txt'), 'utf8')).toBe('renamed later\n');
    expect(readFileSync(path.join(to('old-name'), 'old-name.txt'), 'utf8')).toBe('renamed later\n');
  });

  test('a folder with a hard-linked file: both names, one inode', () => {
    nearlyFull(() => expect(restore(destination, last(), A('links'), to('links')).status).toBe(0));
    const a = lstatSync(path.join(to('links'), 'links/a'));
    const b = lstatSync(path.join(to('links'), 'links/b'));
    expect([a.ino === b.ino, a.nlink]).toEqual([true, 2]);
    expect(compareTrees(path.join(localSnapshot(fx, last()), A('links')), path.join(to('links'), 'links'))).toEqual([]);
  });

  test('a folder with its contents, identical to the snapshot', () => {
    nearlyFull(() => expect(restore(destination, last(), A('Documents'), to('documents')).status).toBe(0));
    expect(compareTrees(path.join(localSnapshot(fx, last()), A('Documents')), path.join(to('documents'), 'Documents'))).toEqual([]);
  });

  test('a reflinked copy of a file that is not restored, and a symbolic link', () => {
    expect(restore(destination, last(), A('reflinked.bin'), to('reflinked')).status).toBe(0);
    expect(restore(destination, last(), A('link-to-keep'), to('symlink')).status).toBe(0);
    expect(sh('cmp', [path.join(localSnapshot(fx, last()), A('reflinked.bin')), path.join(to('reflinked'), 'reflinked.bin')])).toBe('');
    expect(sh('readlink', [path.join(to('symlink'), 'link-to-keep')]).trim()).toBe('keep.txt');
  });

  test('a file deleted before the chosen point: not in that backup, said plainly', () => {
    const r = nearlyFull(() => restore(destination, last(), A('gone.txt'), to('gone')));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^There is no alice\/gone\.txt in the backup of .* on .*\. Check the path/);
    expect(r.stderr).not.toMatch(/bug|Error:|\n\s+at /);
  });
});

describe('what only a replay can rebuild', () => {
  test('a file compressed with LZO is replayed, and the full disk is then named as the reason', () => {
    sh('mount', ['-o', 'remount,compress-force=lzo', fx.home]);
    try {
      writeFileSync(path.join(fx.home, 'alice/squeezed.txt'), 'compress me\n'.repeat(100_000));
      sh('sync', []);
    } finally {
      sh('mount', ['-o', 'remount,compress=no', fx.home]);
    }
    const point = run().transfers[0].snapshot;
    const r = nearlyFull(() => restore('plain', point, A('squeezed.txt'), path.join(fx.dir, 'lzo-full')));
    // Refused up front, or stopped when the disk filled: either way a replay, and the room it needs is the reason.
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/(needs about [\d.]+ MB free to unpack them|ran out of space).* The backup is fine\./) });
    // With room, the replay restores it.
    const roomy = restore('plain', point, A('squeezed.txt'), path.join(fx.dir, 'lzo'));
    expect({ status: roomy.status, stderr: roomy.stderr }).toEqual({ status: 0, stderr: '' });
    expect(sh('cmp', [path.join(localSnapshot(fx, point), A('squeezed.txt')), path.join(fx.dir, 'lzo', 'squeezed.txt')])).toBe('');
  });

  test('a file compressed with zstd is unpacked by the extraction itself', () => {
    sh('mount', ['-o', 'remount,compress-force=zstd', fx.home]);
    try {
      writeFileSync(path.join(fx.home, 'alice/zstd.txt'), 'compress me too\n'.repeat(100_000));
      sh('sync', []);
    } finally {
      sh('mount', ['-o', 'remount,compress=no', fx.home]);
    }
    const point = run().transfers[0].snapshot;
    const r = nearlyFull(() => restore('secret', point, A('zstd.txt'), path.join(fx.dir, 'zstd')));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(sh('cmp', [path.join(localSnapshot(fx, point), A('zstd.txt')), path.join(fx.dir, 'zstd', 'zstd.txt')])).toBe('');
  });
});
