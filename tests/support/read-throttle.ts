import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sh } from './exec';

/**
 * A block-I/O read throttle (cgroup v1 blkio) for this process and everything
 * it starts from now on: the bus and the helper it activates, sshd and serve,
 * btrfs send. Made before those start; off until `slow` turns it on for one
 * device, when the page cache is dropped too (`dropCaches`: what
 * /proc/sys/vm/drop_caches is given), so that what was read before is read
 * again through it.
 */
export interface ReadThrottle {
  slow(device: string, on: boolean): void;
  /** Moves this process back to the root group and removes the throttle's. */
  remove(): void;
}

export function startReadThrottle(bytesPerSecond: number, dropCaches: '1' | '3' = '3'): ReadThrottle {
  const dir = path.join('/sys/fs/cgroup/blkio', `rewind-test-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
  return {
    slow(device: string, on: boolean) {
      const numbers = sh('lsblk', ['-dno', 'MAJ:MIN', device]).trim();
      writeFileSync(path.join(dir, 'blkio.throttle.read_bps_device'), `${numbers} ${on ? bytesPerSecond : 0}`);
      if (on) {
        sh('sync', []);
        writeFileSync('/proc/sys/vm/drop_caches', dropCaches);
      }
    },
    remove() {
      if (!existsSync(dir)) return;
      writeFileSync('/sys/fs/cgroup/blkio/cgroup.procs', String(process.pid));
      rmdirSync(dir);
    },
  };
}
