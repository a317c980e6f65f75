import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { writeFixtureConfig } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { createLoopBtrfs, unmount, type LoopBtrfs } from '../support/loop-btrfs';
import { buildChain, damageFixture, expectRecovery } from '../support/stream-damage';

/**
 * Backups on btrfs disks changed by hand, as a person does it with btrfs
 * commands: a read-only copy of a backup (its Received UUID repeats), and a
 * backup made writable. Neither may be built on: the next run sends a full
 * backup and says why, the run after it is incremental on that one, and the
 * newest point restores byte for byte. The changed backups are kept.
 */
const fixture = damageFixture();

/** A fresh btrfs disk, the only destination configured. */
function useDisk(id: string): LoopBtrfs {
  const disk = createLoopBtrfs(fixture().cleanup, fixture().dir, id);
  writeFixtureConfig(fixture(), [{ id, kind: 'btrfs', filesystem: disk.uuid }], { retention: { local: { preset: 'keep-all' } } });
  return disk;
}

/** Runs `change` on the folder of home's backups on the disk (its top level mounted read-write), then unmounts it. */
function onDisk(disk: LoopBtrfs, change: (folder: string) => void): void {
  const top = path.join(fixture().dir, `by-hand-${path.basename(disk.image)}`);
  mkdirSync(top, { recursive: true });
  sh('mount', ['-o', 'subvolid=5', disk.device, top]);
  try {
    change(path.join(top, fixture().hostName, 'home'));
  } finally {
    unmount(top);
  }
}

describe('a damaged btrfs backup is never a parent', () => {
  test('a read-only copy of the newest backup: two backups with one Received UUID', () => {
    const disk = useDisk('copied');
    const [full] = buildChain(fixture(), 0);
    onDisk(disk, (folder) => sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(folder, full.snapshot), path.join(folder, 'copy-of-newest')]));
    expectRecovery(fixture(), 'copied');
    onDisk(disk, (folder) => expect(existsSync(path.join(folder, 'copy-of-newest'))).toBe(true));
  });

  test('the newest backup made writable', () => {
    const disk = useDisk('writable');
    const [full] = buildChain(fixture(), 0);
    // btrfs-progs asks for -f, and then clears the Received UUID.
    onDisk(disk, (folder) => sh('btrfs', ['property', 'set', '-f', path.join(folder, full.snapshot), 'ro', 'false']));
    expectRecovery(fixture(), 'writable');
    onDisk(disk, (folder) => expect(existsSync(path.join(folder, full.snapshot))).toBe(true));
  });
});
