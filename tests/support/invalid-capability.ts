import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sh } from './exec';

/**
 * Gives a file an invalid `security.capability` on disk, which the kernel
 * never lets anyone set (setfattr answers EINVAL, on the source as on the
 * destination), but which a filesystem written by an older kernel, another
 * OS or a damaged disk can hold, and which `btrfs send` sends as it is.
 *
 * How: set a valid version-2 capability with an unmistakable bit pattern,
 * unmount, find its bytes in the filesystem's tree blocks through the loop
 * device (every copy: metadata is DUP), change the revision in its header
 * from 2 to 1 (a v1 header with a v2 length is invalid), and put the tree
 * block's CRC32C right. The filesystem must not be mounted meanwhile.
 */
export const VALID_CAPABILITY = Buffer.from([
  0x01, 0x00, 0x00, 0x02, // magic_etc: revision 2, effective
  0x00, 0x04, 0x00, 0x00, // permitted[0]: CAP_NET_BIND_SERVICE
  0x00, 0x20, 0x00, 0x00, // inheritable[0]: CAP_NET_RAW
  0x01, 0x00, 0x00, 0x00, // permitted[1]
  0x02, 0x00, 0x00, 0x00, // inheritable[1]
]);

export function setValidCapability(file: string): void {
  sh('setfattr', ['-n', 'security.capability', '-v', `0x${VALID_CAPABILITY.toString('hex')}`, file]);
}

const crc32c = (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c(b: Uint8Array): number }).crc32c;

/** Patches every copy on the unmounted `device`; returns how many tree blocks it changed. */
export function corruptCapabilityOnDisk(device: string, nodesize = 16384): number {
  const needle = Buffer.concat([Buffer.from('security.capability'), VALID_CAPABILITY]);
  const fd = openSync(device, 'r+');
  try {
    const size = Number(sh('blockdev', ['--getsize64', device]).trim()) || fstatSync(fd).size;
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    const hits: number[] = [];
    for (let at = 0; at < size; at += chunk.length - needle.length) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      let i = chunk.subarray(0, n).indexOf(needle);
      while (i >= 0) {
        if (!hits.includes(at + i)) hits.push(at + i);
        i = chunk.subarray(0, n).indexOf(needle, i + 1);
      }
      if (n < chunk.length) break;
    }
    const block = Buffer.alloc(nodesize);
    let patched = 0;
    for (const hit of hits) {
      const start = hit - (hit % nodesize);
      readSync(fd, block, 0, nodesize, start);
      // A stale copy in freed space may no longer be a whole block: left alone.
      if ((crc32c(block.subarray(32)) >>> 0) !== block.readUInt32LE(0)) continue;
      patched++;
      const magic = hit - start + 'security.capability'.length + 3;
      block[magic] = 0x01; // revision 2 → 1
      block.writeUInt32LE(crc32c(block.subarray(32)) >>> 0, 0);
      writeSync(fd, block, 0, nodesize, start);
    }
    fsyncSync(fd);
    return patched;
  } finally {
    closeSync(fd);
  }
}
