import { describe, expect, test } from '@jest/globals';
import { commandChecksum, crc32c, crc32cUpdate } from '../../src/core/send-stream/crc32c';
import { readU32 } from '../../src/core/send-stream/parser';
import { GOLDEN, golden, parseAll, prng } from './send-stream-golden';

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Bit by bit, straight from the definition: the reference the fast one must match. */
function reference(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return c >>> 0;
}

describe('CRC32C', () => {
  test.each([
    ['"123456789"', ascii('123456789'), 0xe3069283],
    ['32 zero bytes (RFC 3720)', new Uint8Array(32), 0x8a9136aa],
    ['32 0xff bytes (RFC 3720)', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['0x00..0x1f (RFC 3720)', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['0x1f..0x00 (RFC 3720)', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['nothing', new Uint8Array(0), 0],
  ])('the standard CRC32C of %s', (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  test.each([
    ['"123456789"', ascii('123456789'), 0, 0x58e3fa20],
    ['32 zero bytes from 0 stay 0 (no pre-inversion)', new Uint8Array(32), 0, 0],
    ['0xffffffff', ascii('\xff\xff\xff\xff'), 0, 0xb798b438],
    ['nothing from a seed returns the seed (no post-inversion)', new Uint8Array(0), 0xffffffff, 0xffffffff],
  ])('the raw update of %s', (_name, bytes, seed, expected) => {
    expect(crc32cUpdate(seed, bytes)).toBe(expected);
  });

  test('matches the bit-by-bit reference at every length, alignment and seed', () => {
    const random = prng(1);
    const buffer = Uint8Array.from({ length: 4096 + 16 }, () => Math.floor(random() * 256));
    for (let length = 0; length <= 300; length++) {
      for (const start of [0, 1, 2, 3, 5]) {
        const bytes = buffer.subarray(start, start + length);
        const seed = Math.floor(random() * 2 ** 32);
        expect(crc32cUpdate(seed, bytes)).toBe(reference(seed, bytes));
      }
    }
    expect(crc32cUpdate(7, buffer.subarray(3, 4099))).toBe(reference(7, buffer.subarray(3, 4099)));
  });

  test('updates chain: the CRC of a whole is the CRC of its parts in turn', () => {
    const random = prng(2);
    const bytes = Uint8Array.from({ length: 1000 }, () => Math.floor(random() * 256));
    for (const cut of [0, 1, 63, 64, 65, 500, 999, 1000]) {
      expect(crc32cUpdate(crc32cUpdate(0, bytes.subarray(0, cut)), bytes.subarray(cut))).toBe(crc32cUpdate(0, bytes));
    }
  });
});

describe('the send stream checksum, against real streams', () => {
  // What btrfs send writes: the raw update from 0, no final XOR, over the
  // command with its CRC field zeroed. Every command of every golden stream
  // (made by a real kernel) must agree, and the other plausible readings must not.
  test.each(GOLDEN)('%s: seed 0, no final XOR, CRC field zeroed', (name) => {
    const { commands } = parseAll(golden(name));
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const stored = readU32(command.bytes, 6);
      const zeroed = command.bytes.slice();
      zeroed.fill(0, 6, 10);
      expect(reference(0, zeroed)).toBe(stored);
      expect(commandChecksum(command.bytes)).toBe(stored);
      expect(crc32c(zeroed)).not.toBe(stored);
      expect(reference(0xffffffff, zeroed)).not.toBe(stored);
    }
  });
});
