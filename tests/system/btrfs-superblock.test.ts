import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { btrfsUuidOfDevice, findBtrfsDevice } from '../../src/helper/system/btrfs-superblock';
import { Cleanup } from '../support/cleanup';
import { sh } from '../support/exec';
import { createLoopBtrfs, detachLoop, mountLoop, type LoopBtrfs } from '../support/loop-btrfs';

/**
 * The helper finds a backup disk by reading btrfs superblocks itself
 * (src/helper/system/btrfs-superblock.ts), not through blkid. Checked against what
 * blkid says of real loop-device filesystems: unmounted, mounted, a disk of
 * another filesystem, a disk unplugged, and a disk reformatted.
 */
jest.setTimeout(120_000);

const cleanup = new Cleanup();
let dir: string;
let disk: LoopBtrfs;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-test-'));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  disk = createLoopBtrfs(cleanup, dir, 'superblock-disk', 128);
});

afterAll(async () => {
  await cleanup.run();
});

test('an unmounted btrfs disk is found by the UUID blkid reports, and its superblock names that UUID', async () => {
  expect(await btrfsUuidOfDevice(disk.device)).toBe(disk.uuid);
  expect(await findBtrfsDevice(disk.uuid)).toBe(disk.device);
  expect(await findBtrfsDevice(disk.uuid.toUpperCase())).toBe(disk.device);
});

test('a mounted one is found too', async () => {
  const target = path.join(dir, 'mounted');
  mountLoop(cleanup, disk, target);
  expect(await findBtrfsDevice(disk.uuid)).toBe(disk.device);
});

test('a disk of another filesystem is not btrfs, and an unknown UUID finds nothing', async () => {
  const image = path.join(dir, 'ext4.img');
  sh('truncate', ['-s', '64M', image]);
  const device = sh('losetup', ['--find', '--show', image]).trim();
  cleanup.add(`detach ${device}`, () => detachLoop(device));
  sh('mkfs.ext4', ['-q', device]);
  expect(await btrfsUuidOfDevice(device)).toBeUndefined();
  expect(await findBtrfsDevice('00000000-1111-2222-3333-444444444444')).toBeUndefined();
});

test('a disk that was unplugged or reformatted is not found by its old UUID', async () => {
  const other = createLoopBtrfs(cleanup, dir, 'superblock-gone', 128);
  expect(await findBtrfsDevice(other.uuid)).toBe(other.device);
  sh('mkfs.btrfs', ['-q', '-f', other.device]);
  const reformatted = sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', other.device]).trim();
  expect(await findBtrfsDevice(other.uuid)).toBeUndefined();
  expect(await findBtrfsDevice(reformatted)).toBe(other.device);
  detachLoop(other.device);
  expect(await findBtrfsDevice(reformatted)).toBeUndefined();
});
