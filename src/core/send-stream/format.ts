/**
 * The btrfs send stream, as `btrfs send` writes it and `btrfs receive` reads it.
 *
 * A stream is a header followed by commands:
 * - header: the magic "btrfs-stream\0" (13 bytes), then the version (le32).
 * - command: its payload length (le32, the header not included), its type
 *   (le16), a CRC32C (le32), then the payload: attributes, each a type (le16),
 *   a length (le16) and that many bytes. The CRC covers the 10-byte header,
 *   with the CRC field read as zero, and the payload; it is a plain CRC32C
 *   register update from 0 with no final inversion (see ./crc32c).
 * - From version 2 on, the DATA attribute is special: its header is the type
 *   alone, and its value runs to the end of the command (it is always last),
 *   so a command can carry more than 64 KiB of data.
 * - Version 1 has commands 1–22 and attributes 1–24; version 2 adds
 *   FALLOCATE, FILEATTR and ENCODED_WRITE (23–25) and attributes 25–31;
 *   version 3 adds ENABLE_VERITY (26) and attributes 32–35.
 * - A stream ends with END. Several streams may follow each other in one pipe
 *   (`btrfs send a b` writes one whole stream per snapshot); `btrfs receive`
 *   reads them one after the other.
 * All integers are little-endian.
 */

/** "btrfs-stream" and its terminating NUL. */
export const STREAM_MAGIC: Uint8Array = Uint8Array.of(
  0x62, 0x74, 0x72, 0x66, 0x73, 0x2d, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x00,
);
export const STREAM_HEADER_LENGTH = 17;
export const COMMAND_HEADER_LENGTH = 10;
/** Offset of the CRC inside a command header. */
export const COMMAND_CRC_OFFSET = 6;
export const ATTRIBUTE_HEADER_LENGTH = 4;
/** The newest stream version this codec understands. */
export const MAX_STREAM_VERSION = 3;

/**
 * No command the kernel sends is near this long: version 1 commands fit in
 * 64 KiB, and version 2 ones in 16 KiB of metadata plus one 128 KiB
 * compressed extent, rounded up to a page (at most 192 KiB with 64 KiB
 * pages). A longer length field means a corrupt stream.
 */
export const DEFAULT_MAX_COMMAND_LENGTH = 16 * 1024 * 1024;

export const Command = {
  Unspec: 0,
  Subvol: 1,
  Snapshot: 2,
  Mkfile: 3,
  Mkdir: 4,
  Mknod: 5,
  Mkfifo: 6,
  Mksock: 7,
  Symlink: 8,
  Rename: 9,
  Link: 10,
  Unlink: 11,
  Rmdir: 12,
  SetXattr: 13,
  RemoveXattr: 14,
  Write: 15,
  Clone: 16,
  Truncate: 17,
  Chmod: 18,
  Chown: 19,
  Utimes: 20,
  End: 21,
  UpdateExtent: 22,
  Fallocate: 23,
  Fileattr: 24,
  EncodedWrite: 25,
  EnableVerity: 26,
} as const;
export type CommandType = (typeof Command)[keyof typeof Command];

export const Attribute = {
  Unspec: 0,
  Uuid: 1,
  Ctransid: 2,
  Ino: 3,
  Size: 4,
  Mode: 5,
  Uid: 6,
  Gid: 7,
  Rdev: 8,
  Ctime: 9,
  Mtime: 10,
  Atime: 11,
  Otime: 12,
  XattrName: 13,
  XattrData: 14,
  Path: 15,
  PathTo: 16,
  PathLink: 17,
  FileOffset: 18,
  Data: 19,
  CloneUuid: 20,
  CloneCtransid: 21,
  ClonePath: 22,
  CloneOffset: 23,
  CloneLen: 24,
  FallocateMode: 25,
  Fileattr: 26,
  UnencodedFileLen: 27,
  UnencodedLen: 28,
  UnencodedOffset: 29,
  Compression: 30,
  Encryption: 31,
  VerityAlgorithm: 32,
  VerityBlockSize: 33,
  VeritySaltData: 34,
  VeritySigData: 35,
} as const;
export type AttributeType = (typeof Attribute)[keyof typeof Attribute];

/** The highest command and attribute numbers of each stream version. */
const MAX_COMMAND: Record<number, number> = { 1: 22, 2: 25, 3: 26 };
const MAX_ATTRIBUTE: Record<number, number> = { 1: 24, 2: 31, 3: 35 };

export function maxCommandOf(version: number): number {
  return MAX_COMMAND[Math.min(version, MAX_STREAM_VERSION)] ?? 0;
}

export function maxAttributeOf(version: number): number {
  return MAX_ATTRIBUTE[Math.min(version, MAX_STREAM_VERSION)] ?? 0;
}

/** Names as `btrfs receive --dump` prints them (lower case, underscores). */
const COMMAND_NAMES: readonly string[] = [
  'unspec', 'subvol', 'snapshot', 'mkfile', 'mkdir', 'mknod', 'mkfifo', 'mksock', 'symlink', 'rename', 'link',
  'unlink', 'rmdir', 'set_xattr', 'remove_xattr', 'write', 'clone', 'truncate', 'chmod', 'chown', 'utimes', 'end',
  'update_extent', 'fallocate', 'fileattr', 'encoded_write', 'enable_verity',
];

const ATTRIBUTE_NAMES: readonly string[] = [
  'unspec', 'uuid', 'ctransid', 'ino', 'size', 'mode', 'uid', 'gid', 'rdev', 'ctime', 'mtime', 'atime', 'otime',
  'xattr_name', 'xattr_data', 'path', 'path_to', 'path_link', 'file_offset', 'data', 'clone_uuid', 'clone_ctransid',
  'clone_path', 'clone_offset', 'clone_len', 'fallocate_mode', 'fileattr', 'unencoded_file_len', 'unencoded_len',
  'unencoded_offset', 'compression', 'encryption', 'verity_algorithm', 'verity_block_size', 'verity_salt_data',
  'verity_sig_data',
];

export function commandName(type: number): string {
  return COMMAND_NAMES[type] ?? `command ${type}`;
}

export function attributeName(type: number): string {
  return ATTRIBUTE_NAMES[type] ?? `attribute ${type}`;
}

/** How an attribute's value is read. */
export type AttributeKind = 'u8' | 'u32' | 'u64' | 'uuid' | 'timespec' | 'string' | 'binary';

const ATTRIBUTE_KINDS: Record<number, AttributeKind> = {
  [Attribute.Uuid]: 'uuid',
  [Attribute.Ctransid]: 'u64',
  [Attribute.Ino]: 'u64',
  [Attribute.Size]: 'u64',
  [Attribute.Mode]: 'u64',
  [Attribute.Uid]: 'u64',
  [Attribute.Gid]: 'u64',
  [Attribute.Rdev]: 'u64',
  [Attribute.Ctime]: 'timespec',
  [Attribute.Mtime]: 'timespec',
  [Attribute.Atime]: 'timespec',
  [Attribute.Otime]: 'timespec',
  [Attribute.XattrName]: 'string',
  [Attribute.XattrData]: 'binary',
  [Attribute.Path]: 'string',
  [Attribute.PathTo]: 'string',
  [Attribute.PathLink]: 'string',
  [Attribute.FileOffset]: 'u64',
  [Attribute.Data]: 'binary',
  [Attribute.CloneUuid]: 'uuid',
  [Attribute.CloneCtransid]: 'u64',
  [Attribute.ClonePath]: 'string',
  [Attribute.CloneOffset]: 'u64',
  [Attribute.CloneLen]: 'u64',
  [Attribute.FallocateMode]: 'u32',
  [Attribute.Fileattr]: 'u64',
  [Attribute.UnencodedFileLen]: 'u64',
  [Attribute.UnencodedLen]: 'u64',
  [Attribute.UnencodedOffset]: 'u64',
  [Attribute.Compression]: 'u32',
  [Attribute.Encryption]: 'u32',
  [Attribute.VerityAlgorithm]: 'u8',
  [Attribute.VerityBlockSize]: 'u32',
  [Attribute.VeritySaltData]: 'binary',
  [Attribute.VeritySigData]: 'binary',
};

export function attributeKind(type: number): AttributeKind {
  return ATTRIBUTE_KINDS[type] ?? 'binary';
}

/** True when the attribute is the length-less DATA of a version 2+ stream. */
export function hasImplicitLength(version: number, attribute: number): boolean {
  return version >= 2 && attribute === Attribute.Data;
}

/** Commands that make a new inode; each carries the new path and INO. */
export const CREATING_COMMANDS: ReadonlySet<number> = new Set([
  Command.Mkfile, Command.Mkdir, Command.Mknod, Command.Mkfifo, Command.Mksock, Command.Symlink,
]);

/** Commands that change a file's contents. */
export const DATA_COMMANDS: ReadonlySet<number> = new Set([
  Command.Write, Command.Clone, Command.Truncate, Command.UpdateExtent, Command.Fallocate, Command.EncodedWrite,
]);
