import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh, shResult } from './exec';

/** A btrfs filesystem in a sparse image file on a loop device. */
export interface LoopBtrfs {
  image: string;
  device: string;
  uuid: string;
}

export function createLoopBtrfs(cleanup: Cleanup, dir: string, name: string, sizeMiB = 256): LoopBtrfs {
  const image = path.join(dir, `${name}.img`);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  cleanup.add(`remove ${image}`, () => rmSync(image, { force: true }));
  const device = sh('losetup', ['--find', '--show', image]).trim();
  cleanup.add(`detach ${device}`, () => detachLoop(device));
  sh('mkfs.btrfs', ['-q', '-L', name, device]);
  const uuid = sh('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]).trim();
  return { image, device, uuid };
}

export function detachLoop(device: string): void {
  // Anything the helper or a test left mounted from this device goes first.
  const mounts = shResult('findmnt', ['-rn', '-S', device, '-o', 'TARGET']).stdout.split('\n').filter(Boolean);
  for (const target of mounts.reverse()) unmount(target);
  const result = shResult('losetup', ['-d', device]);
  if (result.status !== 0 && !/No such device/.test(result.stderr)) throw new Error(`losetup -d ${device}: ${result.stderr}`);
}

export function unmount(target: string): void {
  for (let i = 0; i < 20; i++) {
    const r = shResult('umount', [target]);
    if (r.status === 0 || /not mounted|no mount point/.test(r.stderr)) return;
    sh('sleep', ['0.2']);
  }
  sh('umount', ['-l', target]);
}

/** Mounts `subvol` (or the top level) of the filesystem at `target`. */
export function mountLoop(cleanup: Cleanup, fs: LoopBtrfs, target: string, subvol?: string): void {
  mkdirSync(target, { recursive: true });
  sh('mount', ['-o', subvol ? `subvol=${subvol}` : 'subvolid=5', fs.device, target]);
  cleanup.add(`unmount ${target}`, () => unmount(target));
}

/**
 * Gives the filesystem a subvolume "home" and mounts it at <dir>/home, the way
 * Fedora mounts /home; returns that mount point.
 */
export function mountHomeSubvolume(cleanup: Cleanup, fs: LoopBtrfs, dir: string): string {
  const top = path.join(dir, `${path.basename(fs.image, '.img')}-top`);
  mountLoop(cleanup, fs, top);
  sh('btrfs', ['subvolume', 'create', path.join(top, 'home')]);
  unmount(top);
  const home = path.join(dir, 'home');
  mountLoop(cleanup, fs, home, 'home');
  return home;
}
