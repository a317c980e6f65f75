import { describe, expect, test } from '@jest/globals';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { attribute, encodeCommand, encodeStreamHeader, rewriteCommand } from '../../src/core/send-stream/writer';
import { GOLDEN, concat, golden, parseAll } from './send-stream-golden';

describe('re-encoding real streams', () => {
  // Every command rebuilt from its decoded attributes, every header from its
  // version: the result must be the very stream btrfs send wrote.
  test.each(GOLDEN)('%s re-encodes byte for byte', (name) => {
    const original = golden(name);
    const parts: Uint8Array[] = [];
    const { headers, commands } = parseAll(original, 4096);
    for (const command of commands) {
      const header = headers.find((h) => h.offset + 17 === command.offset);
      if (header) parts.push(encodeStreamHeader(header.version));
      parts.push(encodeCommand(command.type, command.attributes(), { version: command.version }));
    }
    const rebuilt = concat(parts);
    expect(rebuilt.length).toBe(original.length);
    expect(Buffer.compare(rebuilt, original)).toBe(0);
  });

  test('rewriteCommand with no change gives the same bytes', () => {
    for (const command of parseAll(golden('v2-incremental')).commands) {
      expect(Buffer.compare(rewriteCommand(command, (a) => a), command.bytes)).toBe(0);
    }
  });
});

describe('encoding', () => {
  test('values in their natural forms', () => {
    const bytes = encodeCommand(
      Command.Utimes,
      [
        attribute(Attribute.Path, 'a/b'),
        attribute(Attribute.Atime, { sec: 1, nsec: 2 }),
        attribute(Attribute.Mtime, { sec: -1, nsec: 0 }),
        attribute(Attribute.Ctime, { sec: 2 ** 40, nsec: 999_999_999 }),
      ],
      { version: 1 },
    );
    const [command] = parseAll(concat([encodeStreamHeader(1), bytes, encodeCommand(Command.End, [], { version: 1 })])).commands;
    expect(command.path).toBe('a/b');
    expect(command.timespec(Attribute.Atime)).toEqual({ sec: 1, nsec: 2 });
    expect(command.timespec(Attribute.Mtime)).toEqual({ sec: -1, nsec: 0 });
    expect(command.timespec(Attribute.Ctime)).toEqual({ sec: 2 ** 40, nsec: 999_999_999 });
  });

  test('integers: u64 beyond 2^53 through bigint, sizes by kind', () => {
    const big = (1n << 63n) + 5n;
    const bytes = encodeCommand(
      Command.Truncate,
      [attribute(Attribute.Path, 'f'), attribute(Attribute.Size, big), attribute(Attribute.Compression, 3), attribute(Attribute.VerityAlgorithm, 1)],
      { version: 3 },
    );
    const [command] = parseAll(concat([encodeStreamHeader(3), bytes, encodeCommand(Command.End, [], { version: 3 })])).commands;
    expect(command.bigint(Attribute.Size)).toBe(big);
    expect(command.get(Attribute.Compression)).toHaveLength(4);
    expect(command.get(Attribute.VerityAlgorithm)).toHaveLength(1);
    expect(() => attribute(Attribute.Size, -1)).toThrow(RangeError);
    expect(() => attribute(Attribute.Compression, 2 ** 32)).toThrow(/does not fit in 4 bytes/);
    expect(() => attribute(Attribute.Uuid, 'not-a-uuid')).toThrow(/needs a UUID/);
  });

  test('DATA: with a length in v1 (at most 64 KiB), without one from v2 on, and only last', () => {
    const data = attribute(Attribute.Data, new Uint8Array(10).fill(1));
    const v1 = encodeCommand(Command.Write, [attribute(Attribute.Path, 'f'), data], { version: 1 });
    const v2 = encodeCommand(Command.Write, [attribute(Attribute.Path, 'f'), data], { version: 2 });
    expect(v1.length - v2.length).toBe(2);
    expect(() => encodeCommand(Command.Write, [{ type: Attribute.Data, value: new Uint8Array(70_000) }], { version: 1 })).toThrow(/longer than 65535/);
    expect(encodeCommand(Command.Write, [{ type: Attribute.Data, value: new Uint8Array(70_000) }], { version: 2 }).length).toBe(10 + 2 + 70_000);
    expect(() => encodeCommand(Command.Write, [data, attribute(Attribute.Path, 'f')], { version: 2 })).toThrow(/data must be the last attribute/);
  });

  test('headers of the versions it knows only', () => {
    expect(encodeStreamHeader(2)).toEqual(Uint8Array.from([...new TextEncoder().encode('btrfs-stream'), 0, 2, 0, 0, 0]));
    expect(() => encodeStreamHeader(4)).toThrow(RangeError);
  });
});
