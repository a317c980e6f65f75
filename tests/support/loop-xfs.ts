import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh } from './exec';
import { detachLoop, unmount } from './loop-btrfs';

/**
 * An XFS filesystem (a default Fedora Server's data disk) in a sparse image
 * on a loop device, mounted at `target`; the cleanup unmounts and detaches
 * it. mkfs.xfs wants at least 300 MiB.
 */
export function mountLoopXfs(cleanup: Cleanup, dir: string, name: string, sizeMiB: number, target: string): { device: string } {
  const image = path.join(dir, `${name}.img`);
  sh('truncate', ['-s', `${Math.max(sizeMiB, 300)}M`, image]);
  cleanup.add(`remove ${image}`, () => rmSync(image, { force: true }));
  const device = sh('losetup', ['--find', '--show', image]).trim();
  cleanup.add(`detach ${device}`, () => detachLoop(device));
  sh('mkfs.xfs', ['-q', '-f', device]);
  mkdirSync(target, { recursive: true });
  sh('mount', [device, target]);
  cleanup.add(`unmount ${target}`, () => unmount(target));
  return { device };
}
