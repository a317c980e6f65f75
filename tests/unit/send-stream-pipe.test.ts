import { describe, expect, test } from '@jest/globals';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32cUpdate } from '../../src/core/send-stream/crc32c';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { SendStreamError } from '../../src/core/send-stream/parser';
import type { ProgressSnapshot } from '../../src/core/send-stream/progress';
import { attribute, encodeCommand, encodeStreamHeader } from '../../src/core/send-stream/writer';
import { SendStreamPipe, nativeCrc32cUpdate, type SendStreamPipeOptions } from '../../src/helper/codec/send-stream-pipe';
import { GOLDEN, concat, golden, parseAll, prng } from './send-stream-golden';

function chunks(bytes: Uint8Array, random: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * 70_000);
    out.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

async function through(input: Buffer[], options: SendStreamPipeOptions): Promise<{ output: Buffer; pipe: SendStreamPipe; error?: unknown }> {
  const pipe = new SendStreamPipe(options);
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk);
      done();
    },
  });
  let error: unknown;
  await pipeline(Readable.from(input), pipe, sink).catch((e: unknown) => (error = e));
  return { output: Buffer.concat(out), pipe, error };
}

describe('the native CRC32C', () => {
  const native = nativeCrc32cUpdate();

  test('is installed (the @node-rs/crc32 dependency)', () => {
    expect(native).not.toBeNull();
  });

  test('has the raw semantics of the TypeScript one, at every length and seed', () => {
    const update = native as NonNullable<typeof native>;
    const random = prng(3);
    const buffer = Uint8Array.from({ length: 70_000 }, () => Math.floor(random() * 256));
    for (const length of [0, 1, 9, 511, 512, 513, 4096, 65_536, 69_999]) {
      for (const seed of [0, 0xffffffff, 0x12345678]) {
        const bytes = buffer.subarray(1, 1 + length);
        expect(update(seed, bytes)).toBe(crc32cUpdate(seed, bytes));
      }
    }
    const digits = new TextEncoder().encode('123456789'.repeat(100));
    expect(update(0, digits)).toBe(crc32cUpdate(0, digits));
    expect(~update(0xffffffff, new TextEncoder().encode('123456789')) >>> 0).toBe(0xe3069283);
  });
});

describe('SendStreamPipe', () => {
  test.each(['js', 'native'] as const)('real streams come out byte for byte (%s CRC)', async (checksum) => {
    const random = prng(4);
    for (const name of GOLDEN) {
      const { output, pipe } = await through(chunks(golden(name), random), { checksum });
      expect(Buffer.compare(output, golden(name))).toBe(0);
      expect(pipe.stats).toMatchObject({ bytesIn: golden(name).length, bytesOut: golden(name).length, droppedCommands: 0, checksum });
    }
  });

  test('a bad command fails the pipe with its offset; the commands before it went through', async () => {
    const bytes = golden('v1-incremental').slice();
    const target = parseAll(bytes).commands[20];
    bytes[target.offset + 11] ^= 1;
    const { output, error } = await through(chunks(bytes, prng(5)), {});
    expect(error).toBeInstanceOf(SendStreamError);
    expect(error).toMatchObject({ reason: 'crc-mismatch', offset: target.offset });
    expect(output.length).toBeLessThanOrEqual(target.offset);
    expect(Buffer.compare(output, bytes.subarray(0, output.length))).toBe(0);
  });

  test('a stream cut short fails at the end', async () => {
    const bytes = golden('v2-compressed-full').subarray(0, 50_000);
    const { error } = await through([Buffer.from(bytes)], {});
    expect(error).toMatchObject({ reason: 'truncated' });
    expect((error as SendStreamError).offset).toBeLessThan(50_000);
  });

  test('filters xattrs, counts what it dropped, and the result is a valid stream', async () => {
    const dropped: string[] = [];
    const { output, pipe } = await through(chunks(golden('v1-full'), prng(6)), {
      xattrs: { selinux: { mode: 'drop' }, rules: [{ name: 'security.capability', action: 'drop' }], onChange: (c) => dropped.push(`${c.path} ${c.name}`) },
    });
    expect(dropped).toEqual(['docs/readme.bin security.selinux', 'photos/b.jpg security.selinux', 'photos/b.jpg security.capability']);
    expect(pipe.stats.droppedCommands).toBe(3);
    expect(pipe.xattrFilter?.stats.dropped).toEqual({ 'security.selinux': 2, 'security.capability': 1 });
    const reparsed = parseAll(new Uint8Array(output));
    expect(reparsed.commands).toHaveLength(parseAll(golden('v1-full')).commands.length - 3);
  });

  test('progress: throttled while bytes flow, and once at the end', async () => {
    let clock = 0;
    const seen: ProgressSnapshot[] = [];
    const input = chunks(golden('v2-compressed-full'), prng(7));
    const source = Readable.from(
      (async function* () {
        for (const chunk of input) {
          clock += 300;
          yield chunk;
        }
      })(),
    );
    const pipe = new SendStreamPipe({ now: () => clock, onProgress: (p) => seen.push(p), progressIntervalMs: 1000, estimate: 987_216 });
    await pipeline(source, pipe, new Writable({ write: (_c, _e, done) => done() }));
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThan(input.length);
    expect(seen[seen.length - 1]).toMatchObject({ ended: true, fraction: 1, bytes: golden('v2-compressed-full').length });
  });

  test('backpressure: a stalled receiver stops the reading, with little held in memory', async () => {
    // One stream with a lot of data in big commands.
    const data = new Uint8Array(100_000).fill(1);
    const commands = Array.from({ length: 200 }, (_, i) =>
      encodeCommand(Command.Write, [attribute(Attribute.Path, 'f'), attribute(Attribute.FileOffset, i * 100_000), attribute(Attribute.Data, data)], { version: 2 }),
    );
    const stream = concat([encodeStreamHeader(2), ...commands, encodeCommand(Command.End, [], { version: 2 })]);
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= stream.length) {
          this.push(null);
          return;
        }
        const chunk = Buffer.from(stream.subarray(produced, produced + 65_536));
        produced += chunk.length;
        this.push(chunk);
      },
    });
    let release: (() => void) | undefined;
    let written = 0;
    const sink = new Writable({
      highWaterMark: 65_536,
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        if (written > 1_000_000 && release === undefined) release = done;
        else done();
      },
    });
    const finished = pipeline(source, new SendStreamPipe(), sink);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Stalled: what was read beyond what was written is a few buffers and one command.
    expect(release).toBeDefined();
    expect(produced - written).toBeLessThan(600_000);
    expect(produced).toBeLessThan(stream.length / 2);
    release?.();
    await finished;
    expect(written).toBe(stream.length);
  });
});
