import { describe, expect, test } from '@jest/globals';
import { decodeName, encodeName } from '../../src/core/send-stream/text';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('names from a send stream', () => {
  test.each([
    ['ASCII', 'docs/hello.txt'],
    ['two-byte', 'naïve café'],
    ['three-byte', '日本語のファイル名'],
    ['four-byte', '📦 backup 🗂️'],
    ['control characters', 'line1\nline2\ttab\r'],
    ['empty', ''],
  ])('%s UTF-8 round-trips', (_kind, name) => {
    expect(decodeName(encodeName(name))).toBe(name);
    expect(encodeName(name)).toEqual(new TextEncoder().encode(name));
  });

  test.each([
    ['a Latin-1 byte', bytes(0x63, 0x61, 0x66, 0xe9), 'caf\\xe9'],
    ['a lone continuation byte', bytes(0x80, 0x41), '\\x80A'],
    ['an overlong slash', bytes(0xc0, 0xaf), '\\xc0\\xaf'],
    ['an overlong three-byte form', bytes(0xe0, 0x80, 0xaf), '\\xe0\\x80\\xaf'],
    ['a surrogate', bytes(0xed, 0xa0, 0x80), '\\xed\\xa0\\x80'],
    ['beyond U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), '\\xf4\\x90\\x80\\x80'],
    ['a sequence cut short at the end', bytes(0x41, 0xe6, 0x97), 'A\\xe6\\x97'],
    ['valid text around a bad byte', bytes(0xc3, 0xa9, 0xff, 0xc3, 0xa9), 'é\\xffé'],
  ])('%s shows as \\xNN', (_kind, input, expected) => {
    expect(decodeName(input)).toBe(expected);
  });

  test('long ASCII names decode in one piece', () => {
    const name = 'x'.repeat(100_000);
    expect(decodeName(encodeName(name))).toBe(name);
  });
});
