import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh } from './exec';
import { detachLoop, unmount } from './loop-btrfs';

/**
 * An ext4 filesystem (no btrfs) in a sparse image on a loop device, mounted
 * at `target`; the cleanup unmounts and detaches it. Small ones are how the
 * tests fill a disk for real.
 */
export function mountLoopExt4(cleanup: Cleanup, dir: string, name: string, sizeMiB: number, target: string): { device: string } {
  const image = path.join(dir, `${name}.img`);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  cleanup.add(`remove ${image}`, () => rmSync(image, { force: true }));
  const device = sh('losetup', ['--find', '--show', image]).trim();
  cleanup.add(`detach ${device}`, () => detachLoop(device));
  // No reserved blocks: root's writes must hit ENOSPC at the size the test chose.
  sh('mkfs.ext4', ['-q', '-F', '-m', '0', device]);
  mkdirSync(target, { recursive: true });
  sh('mount', [device, target]);
  cleanup.add(`unmount ${target}`, () => unmount(target));
  return { device };
}
