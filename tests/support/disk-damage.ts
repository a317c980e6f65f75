import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import type { BackupFixture } from './backup-fixture';
import { sh } from './exec';
import { unmount } from './loop-btrfs';

/**
 * Damage to a backup on the fixture's btrfs backup disk, done as a disk
 * does it: bytes changed on the device under the filesystem, so that btrfs's
 * own checksums refuse to read them back.
 */

/** Mounts the backup disk's top level (`options`: ro or rw), runs `fn` on the folder of the home backup `snapshot`, and unmounts it. */
export function onBackupDisk(fx: BackupFixture, options: string, snapshot: string, fn: (backup: string) => void): void {
  mkdirSync(path.join(fx.dir, 'disk-looks'), { recursive: true });
  const top = mkdtempSync(path.join(fx.dir, 'disk-looks', 'top-'));
  sh('mount', ['-o', `${options},subvolid=5`, fx.destination.device, top]);
  try {
    fn(path.join(top, fx.hostName, 'home', snapshot));
  } finally {
    unmount(top);
  }
}

/** Flips byte 100 of the first extent of `file` (relative to the backup `snapshot`) on the loop device itself. */
export function flipByteOnDisk(fx: BackupFixture, snapshot: string, file: string): void {
  // Where the file's data lies: its extent's address in the filesystem, then on the device.
  let address = 0;
  onBackupDisk(fx, 'ro', snapshot, (backup) => {
    const extents = sh('filefrag', ['-v', '-b4096', path.join(backup, file)]);
    address = Number(/^\s*0:\s+0\.\.\s*\d+:\s+(\d+)\.\./m.exec(extents)![1]) * 4096;
  });
  const physical = Number(/physical (\d+)/.exec(sh('btrfs-map-logical', ['-l', String(address), fx.destination.device]))![1]);
  sh('dd', ['of=' + fx.destination.device, 'bs=1', `seek=${physical + 100}`, 'count=1', 'conv=notrunc,fsync', 'status=none'], { input: '\x08' });
}
