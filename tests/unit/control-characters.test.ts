import { describe, expect, test } from '@jest/globals';
import { controlCharacterProblem, rawControlCharacterProblem } from '../../src/core/control-characters';
import { parseListFolderRequest } from '../../src/core/browse-request';
import { parseRestoreRequest } from '../../src/core/restore-request';

const request = (folder: string) => ({ from: 'local', snapshot: '20240101T000000Z', paths: ['alice/a.txt'], to: { folder } });

describe('control characters in parsed JSON', () => {
  test.each([
    ['\u0000', 'U+0000'],
    ['\u0001', 'U+0001'],
    ['\n', 'U+000A'],
    ['\u001f', 'U+001F'],
    ['\u007f', 'U+007F'],
  ])('%j in a nested string is found, with the field named', (char, code) => {
    expect(controlCharacterProblem(request(`/home/alice/x${char}y`))).toBe(`to.folder: must not contain control characters (it has ${code})`);
  });

  test('in an array element and in a key', () => {
    expect(controlCharacterProblem({ paths: ['ok', 'b\u0007d'] })).toMatch(/^paths\.1: /);
    expect(controlCharacterProblem({ to: { ['fol\u0000der']: '/x' } })).toMatch(/^to: a field name must not/);
    expect(controlCharacterProblem('\u0000')).toMatch(/^the request: /);
  });

  test('ordinary text, including non-ASCII and U+0080 onwards, passes', () => {
    expect(controlCharacterProblem(request('/home/alice/Übung ✓ \u0080 \u2028'))).toBeUndefined();
    expect(controlCharacterProblem({ n: 1, b: true, z: null, a: [] })).toBeUndefined();
  });

  test('every request parser built on parseJsonRequest refuses an escaped NUL', () => {
    expect(() => parseRestoreRequest(JSON.stringify(request('/tmp/a\u0000b')))).toThrow('to.folder: must not contain control characters (it has U+0000)');
    expect(() => parseListFolderRequest(JSON.stringify({ from: 'local', snapshot: '20240101T000000Z', path: 'a\u0001' }))).toThrow(/^path: must not contain control characters/);
  });
});

describe('control characters in the raw argument', () => {
  test('JSON without any passes, and JSON whitespace between tokens is fine', () => {
    expect(rawControlCharacterProblem(JSON.stringify(request('/tmp/a')))).toBeUndefined();
    expect(rawControlCharacterProblem(JSON.stringify(request('/tmp/a'), null, '\t').replace(/\n/g, '\r\n'))).toBeUndefined();
    // Escaped in the text: for the parsers to find.
    expect(rawControlCharacterProblem('{"a": "\\u0000"}')).toBeUndefined();
  });

  test('a raw one inside a string names the field', () => {
    expect(rawControlCharacterProblem('{"to": {"folder": "/tmp/a\u0001b"}}')).toBe('to.folder: must not contain control characters (it has U+0001)');
    expect(rawControlCharacterProblem('{"paths": ["a", "b\nc"]}')).toBe('paths.1: must not contain control characters (it has U+000A)');
    expect(rawControlCharacterProblem('{"a": "x\\"\u0002"}')).toBe('a: must not contain control characters (it has U+0002)');
  });

  test('a raw one between tokens is refused', () => {
    expect(rawControlCharacterProblem('{"a":\u0000"b"}')).toBe('the argument must not contain control characters (it has U+0000)');
    expect(rawControlCharacterProblem('\u007f{}')).toBe('the argument must not contain control characters (it has U+007F)');
  });

  test('text that is not JSON even when repaired is left to the parsers', () => {
    expect(rawControlCharacterProblem('{"a": "\u0001')).toBeUndefined();
  });
});
