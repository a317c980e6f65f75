import { describe, expect, test } from '@jest/globals';
import { Attribute, Command, DEFAULT_MAX_COMMAND_LENGTH, STREAM_HEADER_LENGTH } from '../../src/core/send-stream/format';
import { SendStreamError, SendStreamParser, type SendCommand } from '../../src/core/send-stream/parser';
import { attribute, encodeCommand, encodeStreamHeader, updateChecksum } from '../../src/core/send-stream/writer';
import { GOLDEN, concat, golden, goldenDump, parseAll, type GoldenName } from './send-stream-golden';

/** A `btrfs receive --dump` path back to bytes: `\ ` and friends, and `\ooo` octal bytes. */
function unescapeDumpPath(text: string): Uint8Array {
  const out: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, e: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out.push(...new TextEncoder().encode(c));
      continue;
    }
    const next = text[i + 1];
    if (/[0-7]/.test(next)) {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      out.push(named[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Uint8Array.from(out);
}

/** Command name and the first path of each dump line. */
function dumpLines(name: GoldenName): Array<{ command: string; path: Uint8Array }> {
  return goldenDump(name)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, command, rest] = /^(\S+)\s+(.*)$/.exec(line) as RegExpExecArray;
      const path = /^((?:\\.|[^\\ ])*)/.exec(rest)?.[1] ?? '';
      return { command, path: unescapeDumpPath(path) };
    });
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('parsing real streams', () => {
  test.each(GOLDEN)('%s: the same commands and paths as btrfs receive --dump', (name) => {
    const { headers, commands } = parseAll(golden(name));
    const expected = dumpLines(name);
    // The dump has no line for END.
    const shown = commands.filter((c) => c.type !== Command.End);
    expect(shown.map((c) => c.name)).toEqual(expected.map((l) => l.command));
    let subvolume: Uint8Array = new Uint8Array();
    shown.forEach((command, i) => {
      const path = command.get(Attribute.Path) ?? new Uint8Array();
      if (command.type === Command.Subvol || command.type === Command.Snapshot) subvolume = path;
      const full =
        command.type === Command.Subvol || command.type === Command.Snapshot
          ? concat([bytesOf('./'), path])
          : concat([bytesOf('./'), subvolume, bytesOf('/'), path]);
      expect([i, Buffer.from(full).toString('latin1')]).toEqual([i, Buffer.from(expected[i].path).toString('latin1')]);
    });
    expect(headers.length).toBe(name === 'two-subvolumes' ? 2 : 1);
    expect(commands.filter((c) => c.type === Command.End)).toHaveLength(headers.length);
  });

  test('versions: v1 streams say 1, protocol 2 streams say 2', () => {
    expect(parseAll(golden('v1-full')).headers[0].version).toBe(1);
    expect(parseAll(golden('v2-compressed-full')).headers[0].version).toBe(2);
  });

  test('v2: DATA has no length and runs to the end; ENCODED_WRITE carries its lengths', () => {
    const { commands } = parseAll(golden('v2-compressed-full'));
    const write = commands.find((c) => c.type === Command.Write && c.lengthOf(Attribute.Data) > 65535) as SendCommand;
    expect(write).toBeDefined();
    expect(write.attributeTypes[write.attributeTypes.length - 1]).toBe(Attribute.Data);
    expect(write.lengthOf(Attribute.Data)).toBe(70000);
    const encoded = commands.filter((c) => c.type === Command.EncodedWrite);
    expect(encoded.length).toBeGreaterThan(3);
    for (const c of encoded) {
      expect(c.number(Attribute.Compression)).toBeGreaterThan(0);
      expect(c.number(Attribute.UnencodedFileLen)).toBeGreaterThan(c.lengthOf(Attribute.Data));
    }
  });

  test('attributes decode: uuid, numbers, times, xattr names', () => {
    const { commands } = parseAll(golden('v1-incremental'));
    const snapshot = commands[0];
    expect(snapshot.type).toBe(Command.Snapshot);
    expect(snapshot.uuid(Attribute.Uuid)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(goldenDump('v1-incremental')).toContain(`uuid=${snapshot.uuid(Attribute.Uuid)}`);
    expect(goldenDump('v1-incremental')).toContain(`transid=${snapshot.number(Attribute.Ctransid)}`);
    const chmod = commands.find((c) => c.type === Command.Chmod) as SendCommand;
    expect((chmod.number(Attribute.Mode) as number).toString(8)).toBe('640');
    const fifo = commands.find((c) => c.type === Command.Utimes && c.path === 'fifo') as SendCommand;
    expect(fifo.timespec(Attribute.Mtime)).toEqual({ sec: Date.UTC(2020, 0, 1) / 1000, nsec: 0 });
    const xattr = commands.find((c) => c.type === Command.RemoveXattr) as SendCommand;
    expect(xattr.string(Attribute.XattrName)).toBe('user.tag');
    expect(xattr.describe()).toEqual({ path: 'pictures/b.jpg', xattr_name: 'user.tag' });
  });

  test('names that are not UTF-8 show their bytes as \\xNN', () => {
    const { commands } = parseAll(golden('v1-full'));
    const paths = commands.map((c) => c.string(Attribute.PathTo)).filter(Boolean);
    expect(paths).toContain('with space/caf\\xe9');
    expect(paths).toContain('with space/naïve café.txt');
  });

  test.each([1, 2, 3, 7, 10, 17, 100, 4096, 65536])('the same result in pieces of %i bytes', (size) => {
    for (const name of ['v1-incremental', 'v2-compressed-full', 'two-subvolumes'] as const) {
      const bytes = golden(name);
      const whole = parseAll(bytes);
      const pieces = parseAll(bytes, size);
      expect(pieces.commands.map((c) => [c.offset, c.type, c.bytes.length])).toEqual(
        whole.commands.map((c) => [c.offset, c.type, c.bytes.length]),
      );
      expect(concat(pieces.commands.map((c) => c.bytes))).toEqual(concat(whole.commands.map((c) => c.bytes)));
    }
  });

  test('a command inside one pushed chunk is a view of it, not a copy', () => {
    const bytes = golden('v1-incremental');
    const { commands } = parseAll(bytes);
    for (const c of commands) {
      expect(c.bytes.buffer).toBe(bytes.buffer);
      expect(c.bytes.byteOffset).toBe(bytes.byteOffset + c.offset);
    }
  });

  test('streams one after the other are read one after the other', () => {
    const bytes = concat([golden('v1-full'), golden('v2-incremental'), golden('v1-nodata')]);
    const { headers, commands } = parseAll(bytes, 5000);
    expect(headers.map((h) => [h.index, h.version, h.offset])).toEqual([
      [0, 1, 0],
      [1, 2, golden('v1-full').length],
      [2, 1, golden('v1-full').length + golden('v2-incremental').length],
    ]);
    expect(commands.filter((c) => c.type === Command.Subvol || c.type === Command.Snapshot)).toHaveLength(3);
  });

  test('a version 3 stream and commands it does not know pass through', () => {
    const v = 3;
    const stream = concat([
      encodeStreamHeader(v),
      encodeCommand(Command.Subvol, [attribute(Attribute.Path, 'vol'), attribute(Attribute.Uuid, '0123456789abcdef0123456789abcdef'), attribute(Attribute.Ctransid, 9)], { version: v }),
      encodeCommand(Command.Write, [attribute(Attribute.Path, 'f'), attribute(Attribute.FileOffset, 0), attribute(Attribute.Data, new Uint8Array(100_000).fill(7))], { version: v }),
      encodeCommand(
        Command.EnableVerity,
        [
          attribute(Attribute.Path, 'f'),
          attribute(Attribute.VerityAlgorithm, 1),
          attribute(Attribute.VerityBlockSize, 4096),
          attribute(Attribute.VeritySaltData, new Uint8Array(8)),
          attribute(Attribute.VeritySigData, new Uint8Array(0)),
        ],
        { version: v },
      ),
      encodeCommand(99, [attribute(Attribute.Path, 'future')], { version: v }),
      encodeCommand(Command.End, [], { version: v }),
    ]);
    const { headers, commands } = parseAll(stream, 1000);
    expect(headers[0].version).toBe(3);
    expect(commands.map((c) => c.name)).toEqual(['subvol', 'write', 'enable_verity', 'command 99', 'end']);
    expect(commands[1].lengthOf(Attribute.Data)).toBe(100_000);
    expect(commands[2].number(Attribute.VerityBlockSize)).toBe(4096);
  });
});

/** Parses and returns the error, failing the test if there is none. */
function errorOf(bytes: Uint8Array, chunk?: number): SendStreamError {
  try {
    parseAll(bytes, chunk);
  } catch (error) {
    expect(error).toBeInstanceOf(SendStreamError);
    return error as SendStreamError;
  }
  throw new Error('expected the stream to be refused');
}

describe('refusing bad input, naming the byte', () => {
  const v1 = golden('v1-incremental');
  const first = parseAll(v1).commands;

  test('empty input', () => {
    expect(errorOf(new Uint8Array())).toMatchObject({ reason: 'empty', offset: 0 });
  });

  test('not a send stream', () => {
    const e = errorOf(bytesOf('tar archive here, not btrfs......'));
    expect(e).toMatchObject({ reason: 'bad-magic', offset: 0 });
    expect(e.message).toBe('Invalid btrfs send stream at byte 0: this is not a btrfs send stream (the "btrfs-stream" magic does not match).');
  });

  test('a version it does not know', () => {
    const bytes = v1.slice();
    bytes[13] = 4;
    expect(errorOf(bytes)).toMatchObject({ reason: 'unsupported-version', offset: 13 });
    bytes[13] = 0;
    expect(errorOf(bytes).message).toContain('stream version 0 is not supported');
  });

  test('a flipped bit in a command fails its CRC, at the command', () => {
    const target = first[5];
    const bytes = v1.slice();
    bytes[target.offset + 12] ^= 0x10;
    const e = errorOf(bytes, 333);
    expect(e).toMatchObject({ reason: 'crc-mismatch', offset: target.offset });
    expect(e.message).toMatch(new RegExp(`^Invalid btrfs send stream at byte ${target.offset}: the CRC of the ${target.name} command \\(\\d+ bytes\\) does not match: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\.$`));
  });

  test.each([1, 100, 5000])('cut short anywhere (in pieces of %i)', (chunk) => {
    for (const cut of [5, 16, STREAM_HEADER_LENGTH + 3, first[3].offset + 4, first[3].offset + 12, first[3].offset]) {
      const e = errorOf(v1.subarray(0, cut), chunk);
      expect(e.reason).toBe('truncated');
      expect(e.offset).toBeLessThanOrEqual(cut);
    }
    expect(errorOf(v1.subarray(0, first[3].offset + 12), chunk)).toMatchObject({ offset: first[3].offset });
    expect(errorOf(v1.subarray(0, first[3].offset + 12), chunk).message).toContain(`inside a ${first[3].name} command: 12 of ${first[3].bytes.length} bytes`);
    expect(errorOf(v1.subarray(0, first[3].offset), chunk).message).toContain('without an END command');
  });

  test('an absurd length is refused before anything is buffered', () => {
    const bytes = v1.slice();
    const at = first[2].offset;
    new DataView(bytes.buffer).setUint32(at, 0xfffffff0, true);
    const e = errorOf(bytes, 7);
    expect(e).toMatchObject({ reason: 'command-too-long', offset: at });
    expect(e.message).toContain(`claims ${0xfffffff0} bytes, more than the ${DEFAULT_MAX_COMMAND_LENGTH} allowed`);
    // A lower limit of one's own.
    const strict = new SendStreamParser({ onCommand: () => {}, maxCommandLength: 100 });
    expect(() => strict.push(golden('v2-compressed-full'))).toThrow(/more than the 100 allowed/);
  });

  test('garbage after END', () => {
    const bytes = concat([v1, bytesOf('junk that is not a stream')]);
    expect(errorOf(bytes)).toMatchObject({ reason: 'bad-magic', offset: v1.length });
    expect(errorOf(concat([v1, bytesOf('btrfs')]))).toMatchObject({ reason: 'truncated', offset: v1.length });
  });

  test('attributes that do not fit their command (with a valid CRC)', () => {
    const cases: Array<[string, (c: Uint8Array) => void, RegExp]> = [
      ['unknown type', (c) => c.set([0x40, 0x00], 10), /unknown attribute type 64/],
      ['type 0', (c) => c.set([0x00, 0x00], 10), /unknown attribute type 0/],
      ['too long', (c) => c.set([0xff, 0xff], 12), /claims 65535 bytes but only \d+ are left/],
    ];
    const target = first.find((c) => c.type === Command.Rename) as SendCommand;
    for (const [, mutate, message] of cases) {
      const bytes = v1.slice();
      const command = bytes.subarray(target.offset, target.offset + target.bytes.length);
      mutate(command);
      updateChecksum(command);
      const e = errorOf(bytes);
      expect(e).toMatchObject({ reason: 'bad-attribute', offset: target.offset + 10 });
      expect(e.message).toMatch(message);
      expect(e.message).toContain(`in the rename command at byte ${target.offset}`);
    }
  });

  test('after an error the parser stays failed', () => {
    const parser = new SendStreamParser({ onCommand: () => {} });
    expect(() => parser.push(bytesOf('nope, not a stream at all'))).toThrow(SendStreamError);
    expect(() => parser.push(v1)).toThrow(/byte 0/);
    expect(() => parser.end()).toThrow(/byte 0/);
  });
});
