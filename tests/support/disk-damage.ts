import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
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

/**
 * Runs `fn` on the received backup at `backup` (a subvolume's path) and
 * leaves it looking untouched: made writable (which clears its Received
 * UUID), changed by `fn`, given its Received UUID back with the ioctl a
 * receive uses, and made read-only again. What is left to find the change
 * is what comes back from a restore.
 */
export function changeReceivedBackup(backup: string, fn: (backup: string) => void): void {
  const shown = sh('btrfs', ['subvolume', 'show', backup]);
  const received = /Received UUID:\s+([0-9a-f-]{36})/.exec(shown)![1];
  const sent = /Send transid:\s+(\d+)/.exec(shown)![1];
  sh('btrfs', ['property', 'set', '-f', '-ts', backup, 'ro', 'false']);
  fn(backup);
  // BTRFS_IOC_SET_RECEIVED_SUBVOL: uuid, stransid, rtransid, stime, rtime, flags, reserved (200 bytes).
  const ioctl = [
    'import fcntl, os, struct, sys, uuid',
    'args = uuid.UUID(sys.argv[2]).bytes + struct.pack("<QQ", int(sys.argv[3]), 0) + bytes(16 + 16 + 8 + 128)',
    'fd = os.open(sys.argv[1], os.O_RDONLY)',
    'fcntl.ioctl(fd, 0xC0C89425, bytearray(args))',
  ].join('\n');
  sh('python3', ['-c', ioctl, backup, received, sent]);
  sh('btrfs', ['property', 'set', '-ts', backup, 'ro', 'true']);
  expect(sh('btrfs', ['subvolume', 'show', backup])).toMatch(new RegExp(`Received UUID:\\s+${received}`));
}

/** Removes the xattr `name` from `file` in the backup `snapshot` on the fixture's disk, the backup left looking untouched. */
export function removeXattrOnDisk(fx: BackupFixture, snapshot: string, file: string, name: string): void {
  onBackupDisk(fx, 'rw', snapshot, (backup) => changeReceivedBackup(backup, () => sh('setfattr', ['-x', name, path.join(backup, file)])));
}
