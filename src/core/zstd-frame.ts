/**
 * The length of the zstd frame at the start of `bytes`, or undefined when
 * they do not hold a whole one. btrfs stores a zstd-compressed extent as one
 * frame padded with zeros to a whole sector, and a send stream (protocol 2,
 * ENCODED_WRITE) carries it with the padding; a decompressor given the
 * padding takes it for a second, broken frame. Format: RFC 8878, 3.1.1.
 */
const MAGIC = 0xfd2fb528;

export function zstdFrameLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 6) return undefined;
  const magic = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  if (magic !== MAGIC) return undefined;
  const descriptor = bytes[4];
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const checksum = (descriptor >> 2) & 1;
  const dictionaryFlag = descriptor & 3;
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictionaryFlag] + [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag];
  for (;;) {
    if (at + 3 > bytes.length) return undefined;
    const header = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) return undefined;
    at += 3 + (type === 1 ? 1 : size);
    if (last) break;
  }
  at += checksum ? 4 : 0;
  return at <= bytes.length ? at : undefined;
}
