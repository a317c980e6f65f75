/**
 * File names in a send stream are bytes, usually but not always UTF-8.
 * `decodeName` turns them into a string for people and logs: valid UTF-8 as
 * it is, and each byte that is not part of valid UTF-8 as `\xNN`. Names with
 * such bytes therefore display unambiguously, but a name that really
 * contains the four characters `\xNN` displays like one that has that byte.
 * `encodeName` is the inverse for valid UTF-8 (the writer's string form).
 */

export function decodeName(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let text = '';
    for (let at = 0; at < bytes.length; at += 4096) {
      text += String.fromCharCode.apply(null, bytes.subarray(at, at + 4096) as unknown as number[]);
    }
    return text;
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const code = length ? decodeSequence(bytes, i, length) : -1;
    if (code < 0) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += String.fromCodePoint(code);
      i += length;
    }
  }
  return out;
}

/** The code point of a well-formed sequence, or -1 (overlong, surrogate, out of range, cut short). */
function decodeSequence(bytes: Uint8Array, at: number, length: number): number {
  if (at + length > bytes.length) return -1;
  let code = bytes[at] & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const c = bytes[at + k];
    if ((c & 0xc0) !== 0x80) return -1;
    code = (code << 6) | (c & 0x3f);
  }
  if (length === 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) return -1;
  if (length === 4 && (code < 0x10000 || code > 0x10ffff)) return -1;
  return code;
}

export function encodeName(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return Uint8Array.from(out);
}
