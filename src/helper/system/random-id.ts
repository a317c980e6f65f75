import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Random names and ids from the kernel's random source, as Node's crypto
 * module makes them: a backup run needs one id and no other cryptography,
 * and loading that module is a cost every run would pay.
 */
function randomBytes(count: number): Buffer {
  const bytes = Buffer.alloc(count);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < count; ) got += readSync(fd, bytes, got, count - got, null);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** `count` random bytes as lowercase hex. */
export function randomHex(count: number): string {
  return randomBytes(count).toString('hex');
}

/** A random (version 4) UUID, as crypto.randomUUID() gives it. */
export function randomUuid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
