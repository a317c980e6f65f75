import { randomBytes } from 'node:crypto';

/**
 * Hand-made btrfs send streams, for tests of what a hostile client could
 * send: a header, then commands whose CRC32C is right, so that `btrfs receive`
 * would act on them. Only what those tests need (version 1 framing).
 */
export const CMD = { SUBVOL: 1, SNAPSHOT: 2, MKFILE: 3, MKDIR: 4, SYMLINK: 8, RENAME: 9, LINK: 10, WRITE: 15, CLONE: 16, END: 21 } as const;
export const ATTR = {
  UUID: 1,
  CTRANSID: 2,
  INO: 3,
  PATH: 15,
  PATH_TO: 16,
  PATH_LINK: 17,
  FILE_OFFSET: 18,
  DATA: 19,
  CLONE_UUID: 20,
  CLONE_CTRANSID: 21,
  CLONE_PATH: 22,
} as const;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** The send stream's CRC: a raw CRC32C update from 0, no inversion. */
function crc32c(bytes: Buffer): number {
  let c = 0;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

export type Attr = [type: number, value: Buffer];

export function str(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

export function command(type: number, attrs: Attr[]): Buffer {
  const body = Buffer.concat(
    attrs.map(([t, v]) => {
      const h = Buffer.alloc(4);
      h.writeUInt16LE(t, 0);
      h.writeUInt16LE(v.length, 2);
      return Buffer.concat([h, v]);
    }),
  );
  const header = Buffer.alloc(10);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt16LE(type, 4);
  const whole = Buffer.concat([header, body]);
  whole.writeUInt32LE(crc32c(whole), 6);
  return whole;
}

export function streamHeader(version = 1): Buffer {
  const header = Buffer.alloc(17);
  header.write('btrfs-stream\0', 0, 'latin1');
  header.writeUInt32LE(version, 13);
  return header;
}

/** A version 1 stream: SUBVOL `name` (a fresh UUID), then `commands`, then END. */
export function craftStream(name: string, commands: Array<[type: number, attrs: Attr[]]>): Buffer {
  return Buffer.concat([
    streamHeader(),
    command(CMD.SUBVOL, [
      [ATTR.PATH, str(name)],
      [ATTR.UUID, randomBytes(16)],
      [ATTR.CTRANSID, u64(7)],
    ]),
    ...commands.map(([type, attrs]) => command(type, attrs)),
    command(CMD.END, []),
  ]);
}

/** The CLONE_UUID of every CLONE command in a version 1 stream, as UUID strings. */
export function cloneSources(stream: Buffer): string[] {
  const uuids: string[] = [];
  for (let at = 17; at + 10 <= stream.length; ) {
    const length = stream.readUInt32LE(at);
    const type = stream.readUInt16LE(at + 4);
    if (type === 16) {
      for (let a = at + 10; a < at + 10 + length; ) {
        const attr = stream.readUInt16LE(a);
        const size = stream.readUInt16LE(a + 2);
        if (attr === 20) {
          const hex = stream.subarray(a + 4, a + 4 + size).toString('hex');
          uuids.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
        }
        a += 4 + size;
      }
    }
    at += 10 + length;
  }
  return uuids;
}

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** A full stream of the subvolume `name` with the UUID `uuid`: `commands` between its SUBVOL and END. */
export function fullStream(name: string, uuid: string, commands: Array<[type: number, attrs: Attr[]]>): Buffer {
  return Buffer.concat([
    streamHeader(),
    command(CMD.SUBVOL, [
      [ATTR.PATH, str(name)],
      [ATTR.UUID, uuidBytes(uuid)],
      [ATTR.CTRANSID, u64(7)],
    ]),
    ...commands.map(([type, attrs]) => command(type, attrs)),
    command(CMD.END, []),
  ]);
}
