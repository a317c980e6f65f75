/**
 * Encodes send streams: the header, and commands from their attributes, with
 * the CRC computed. A command the parser read and nobody changed is best
 * written as its own `bytes` (byte-identical, no work); these functions are
 * for commands that are new or changed.
 *
 * Attributes are written in the order given. For version 2 and later, DATA
 * is written without a length and must come last (the receiver reads it to
 * the end of the command); in version 1 it has a 16-bit length like the rest.
 */
import { commandChecksum, crc32cUpdate, type Crc32cUpdate } from './crc32c';
import {
  ATTRIBUTE_HEADER_LENGTH,
  COMMAND_CRC_OFFSET,
  COMMAND_HEADER_LENGTH,
  MAX_STREAM_VERSION,
  STREAM_HEADER_LENGTH,
  STREAM_MAGIC,
  attributeKind,
  attributeName,
  commandName,
  hasImplicitLength,
} from './format';
import type { SendCommand, Timespec } from './parser';
import { encodeName } from './text';

export interface EncodedAttribute {
  type: number;
  value: Uint8Array;
}

/** A value in its natural form; `attribute` encodes it by the attribute's kind. */
export type AttributeValue = Uint8Array | string | number | bigint | Timespec;

export function encodeStreamHeader(version: number): Uint8Array {
  if (!Number.isInteger(version) || version < 1 || version > MAX_STREAM_VERSION) {
    throw new RangeError(`Stream version ${version} cannot be written (1 to ${MAX_STREAM_VERSION}).`);
  }
  const bytes = new Uint8Array(STREAM_HEADER_LENGTH);
  bytes.set(STREAM_MAGIC);
  writeU32(bytes, STREAM_MAGIC.length, version);
  return bytes;
}

/**
 * One attribute from a natural value: strings as UTF-8 (paths, xattr names),
 * UUIDs as "xxxxxxxx-xxxx-…" strings, times as { sec, nsec }, integers as
 * numbers or bigints, and any attribute as raw bytes.
 */
export function attribute(type: number, value: AttributeValue): EncodedAttribute {
  if (value instanceof Uint8Array) return { type, value };
  const kind = attributeKind(type);
  const name = attributeName(type);
  switch (kind) {
    case 'u8':
    case 'u32':
    case 'u64': {
      if (typeof value !== 'number' && typeof value !== 'bigint') throw new TypeError(`${name} needs an integer.`);
      return { type, value: encodeInteger(BigInt(value), kind === 'u8' ? 1 : kind === 'u32' ? 4 : 8, name) };
    }
    case 'uuid': {
      const hex = typeof value === 'string' ? value.replace(/-/g, '') : '';
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`${name} needs a UUID.`);
      return { type, value: Uint8Array.from(hex.match(/../g) as string[], (h) => parseInt(h, 16)) };
    }
    case 'timespec': {
      if (typeof value !== 'object' || value === null) throw new TypeError(`${name} needs { sec, nsec }.`);
      const bytes = new Uint8Array(12);
      bytes.set(encodeInteger(BigInt.asUintN(64, BigInt(value.sec)), 8, name));
      writeU32(bytes, 8, value.nsec);
      return { type, value: bytes };
    }
    default:
      if (typeof value !== 'string') throw new TypeError(`${name} needs a string or bytes.`);
      return { type, value: encodeName(value) };
  }
}

function encodeInteger(value: bigint, size: number, name: string): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(8 * size)) throw new RangeError(`${name} does not fit in ${size} bytes.`);
  const bytes = new Uint8Array(size);
  let v = value;
  for (let i = 0; i < size; i++) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

export interface EncodeOptions {
  version: number;
  checksum?: Crc32cUpdate;
}

/** A whole command, header and CRC included. */
export function encodeCommand(type: number, attributes: readonly EncodedAttribute[], options: EncodeOptions): Uint8Array {
  let length = 0;
  attributes.forEach((a, i) => {
    if (hasImplicitLength(options.version, a.type)) {
      if (i !== attributes.length - 1) {
        throw new RangeError(`In a version ${options.version} stream, data must be the last attribute of ${commandName(type)}.`);
      }
      length += 2 + a.value.length;
    } else {
      if (a.value.length > 0xffff) {
        throw new RangeError(`The ${attributeName(a.type)} attribute of ${commandName(type)} is longer than 65535 bytes.`);
      }
      length += ATTRIBUTE_HEADER_LENGTH + a.value.length;
    }
  });
  if (length > 0xffffffff) throw new RangeError(`The ${commandName(type)} command is too long.`);
  const bytes = new Uint8Array(COMMAND_HEADER_LENGTH + length);
  writeU32(bytes, 0, length);
  bytes[4] = type & 0xff;
  bytes[5] = type >> 8;
  let p = COMMAND_HEADER_LENGTH;
  for (const a of attributes) {
    bytes[p] = a.type & 0xff;
    bytes[p + 1] = a.type >> 8;
    if (hasImplicitLength(options.version, a.type)) {
      p += 2;
    } else {
      bytes[p + 2] = a.value.length & 0xff;
      bytes[p + 3] = a.value.length >> 8;
      p += ATTRIBUTE_HEADER_LENGTH;
    }
    bytes.set(a.value, p);
    p += a.value.length;
  }
  writeU32(bytes, COMMAND_CRC_OFFSET, commandChecksum(bytes, options.checksum ?? crc32cUpdate));
  return bytes;
}

/** Re-encodes a parsed command with its attributes changed by `edit` (given a copy of the list). */
export function rewriteCommand(
  command: SendCommand,
  edit: (attributes: EncodedAttribute[]) => EncodedAttribute[],
  checksum?: Crc32cUpdate,
): Uint8Array {
  return encodeCommand(command.type, edit(command.attributes()), { version: command.version, checksum });
}

/** Recomputes the CRC of a whole command in place (after changing its bytes). */
export function updateChecksum(command: Uint8Array, checksum: Crc32cUpdate = crc32cUpdate): void {
  writeU32(command, COMMAND_CRC_OFFSET, commandChecksum(command, checksum));
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}
