/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) in plain TypeScript.
 *
 * `crc32cUpdate` is the raw register update: no inversion before or after.
 * That is what the send stream uses: the kernel (and btrfs-progs when it
 * checks) computes `crc32c(0, command)` over the command with its CRC field
 * zeroed, which is this update from a seed of 0, with no final XOR — unlike
 * the "standard" CRC32C of iSCSI or ext4, which starts from 0xFFFFFFFF and
 * inverts the result. The standard one is `~crc32cUpdate(~0, bytes)`
 * (`crc32c` below); both are tested against published vectors.
 *
 * Slicing-by-16 with aligned 32-bit reads is several times slower than the
 * native CRC32C, which the helper injects instead where it has it (see
 * src/helper/codec/send-stream-pipe.ts).
 */
import { COMMAND_CRC_OFFSET, COMMAND_HEADER_LENGTH } from './format';

/** A raw CRC32C update: no inversion before or after. Returns an unsigned 32-bit value. */
export type Crc32cUpdate = (crc: number, bytes: Uint8Array) => number;

const SLICES = 16;
const TABLE = makeTable();
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Below this length the word loop's setup costs more than it saves. */
const WORD_LOOP_MIN = 64;

function makeTable(): Int32Array {
  const table = new Int32Array(256 * SLICES);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c;
  }
  for (let s = 1; s < SLICES; s++) {
    for (let i = 0; i < 256; i++) {
      const previous = table[(s - 1) * 256 + i];
      table[s * 256 + i] = (previous >>> 8) ^ table[previous & 0xff];
    }
  }
  return table;
}

export const crc32cUpdate: Crc32cUpdate = (crc, bytes) => {
  const T = TABLE;
  const n = bytes.length;
  let c = crc | 0;
  let i = 0;
  if (n >= WORD_LOOP_MIN && LITTLE_ENDIAN) {
    const misalignment = (4 - ((bytes.byteOffset) & 3)) & 3;
    for (; i < misalignment; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    const blocks = (n - i) >>> 4;
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, blocks * 4);
    for (let j = 0; j < words.length; j += 4) {
      c ^= words[j];
      const d = words[j + 1];
      const e = words[j + 2];
      const f = words[j + 3];
      c =
        T[3840 + (c & 0xff)] ^ T[3584 + ((c >>> 8) & 0xff)] ^ T[3328 + ((c >>> 16) & 0xff)] ^ T[3072 + (c >>> 24)] ^
        T[2816 + (d & 0xff)] ^ T[2560 + ((d >>> 8) & 0xff)] ^ T[2304 + ((d >>> 16) & 0xff)] ^ T[2048 + (d >>> 24)] ^
        T[1792 + (e & 0xff)] ^ T[1536 + ((e >>> 8) & 0xff)] ^ T[1280 + ((e >>> 16) & 0xff)] ^ T[1024 + (e >>> 24)] ^
        T[768 + (f & 0xff)] ^ T[512 + ((f >>> 8) & 0xff)] ^ T[256 + ((f >>> 16) & 0xff)] ^ T[f >>> 24];
    }
    i += blocks * 16;
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
};

/** The standard CRC32C (initial 0xFFFFFFFF, final inversion), e.g. "123456789" → 0xE3069283. */
export function crc32c(bytes: Uint8Array, update: Crc32cUpdate = crc32cUpdate): number {
  return ~update(0xffffffff, bytes) >>> 0;
}

const ZERO_CRC = new Uint8Array(4);

/**
 * The checksum of one whole command (header and payload) as the send stream
 * stores it: the raw update from 0 over the command with its CRC field read
 * as zero. The bytes are not modified.
 */
export function commandChecksum(command: Uint8Array, update: Crc32cUpdate = crc32cUpdate): number {
  let crc = update(0, command.subarray(0, COMMAND_CRC_OFFSET));
  crc = update(crc, ZERO_CRC);
  return update(crc, command.subarray(COMMAND_HEADER_LENGTH));
}
