import { describe, expect, test } from '@jest/globals';
import { ChangeCollector } from '../../src/core/send-stream/changes';
import { XattrFilter } from '../../src/core/send-stream/filter';
import { SendStreamError, SendStreamParser } from '../../src/core/send-stream/parser';
import { SendStreamProgress } from '../../src/core/send-stream/progress';
import { updateChecksum } from '../../src/core/send-stream/writer';
import { GOLDEN, concat, golden, parseAll, prng } from './send-stream-golden';

/**
 * Mutated and random streams through the whole codec: the parser, and for
 * every command it lets through, progress, the change list, an xattr filter
 * that drops and rewrites, and the attribute decoders. Nothing may throw but
 * a SendStreamError that names a byte inside the input, and every case must
 * finish quickly. The PRNG is seeded: a failure names its seed and case.
 */
const SEED = 20261126;
const CASES = 3000;
const CASE_TIME_LIMIT_MS = 2000;

const streams = GOLDEN.map((name) => ({ name, bytes: golden(name), commands: parseAll(golden(name)).commands }));

type Mutation = (bytes: Uint8Array, random: () => number, commands: (typeof streams)[number]['commands']) => Uint8Array;

const int = (random: () => number, n: number) => Math.floor(random() * n);

const MUTATIONS: Record<string, Mutation> = {
  'bit flips': (bytes, random) => {
    const out = bytes.slice();
    for (let k = 1 + int(random, 8); k > 0; k--) out[int(random, out.length)] ^= 1 << int(random, 8);
    return out;
  },
  truncation: (bytes, random) => bytes.slice(0, int(random, bytes.length)),
  'length field': (bytes, random, commands) => {
    const out = bytes.slice();
    const c = commands[int(random, commands.length)];
    const view = new DataView(out.buffer);
    const old = view.getUint32(c.offset, true);
    const choice = int(random, 4);
    const value = choice === 0 ? int(random, 2 ** 32) : choice === 1 ? old + 1 + int(random, 16) : choice === 2 ? Math.max(0, old - 1 - int(random, 16)) : int(random, 64);
    view.setUint32(c.offset, value >>> 0, true);
    return out;
  },
  'random bytes': (bytes, random) => {
    const out = bytes.slice();
    const at = int(random, out.length);
    for (let i = at; i < Math.min(out.length, at + 1 + int(random, 64)); i++) out[i] = int(random, 256);
    return out;
  },
  'insert or delete': (bytes, random) => {
    const at = int(random, bytes.length);
    const n = 1 + int(random, 40);
    if (random() < 0.5) return concat([bytes.subarray(0, at), bytes.subarray(at + n)]);
    return concat([bytes.subarray(0, at), Uint8Array.from({ length: n }, () => int(random, 256)), bytes.subarray(at)]);
  },
  // Corrupt a command's payload and give it a valid CRC, so the attribute
  // parser and everything after it see the garbage.
  'payload with a valid CRC': (bytes, random, commands) => {
    const out = bytes.slice();
    const c = commands[int(random, commands.length)];
    if (c.bytes.length <= 10) return out;
    const command = out.subarray(c.offset, c.offset + c.bytes.length);
    for (let k = 1 + int(random, 6); k > 0; k--) {
      const at = 10 + int(random, command.length - 10);
      command[at] = random() < 0.5 ? int(random, 256) : command[at] ^ (1 << int(random, 8));
    }
    updateChecksum(command);
    return out;
  },
  'pure noise': (bytes, random) => {
    const noise = Uint8Array.from({ length: int(random, 300) }, () => int(random, 256));
    return random() < 0.5 ? noise : concat([bytes.subarray(0, 17), noise]);
  },
  splice: (bytes, random) => {
    const other = streams[int(random, streams.length)].bytes;
    const a = int(random, bytes.length);
    const b = int(random, other.length);
    return concat([bytes.subarray(0, a), other.subarray(b)]);
  },
};

function runCodec(input: Uint8Array, chunk: number): void {
  const progress = new SendStreamProgress({ now: () => 0, estimate: 1000 });
  const changes = new ChangeCollector();
  const filter = new XattrFilter({
    selinux: { mode: 'keep-only-known', known: ['system_u:object_r:user_home_t:s0'] },
    rules: [
      { name: 'security.capability', action: 'drop' },
      { name: 'user.*', action: (x) => ({ name: `${x.name}.x`, value: new Uint8Array(3) }) },
    ],
  });
  const parser = new SendStreamParser({
    onHeader: (h) => progress.header(h.bytes.length),
    onCommand: (c) => {
      progress.command(c);
      changes.command(c);
      filter.filter(c);
      c.describe();
    },
  });
  for (let at = 0; at < input.length; at += chunk) parser.push(input.subarray(at, at + chunk));
  parser.end();
  progress.snapshot();
  changes.result();
}

describe('fuzzed and mutated streams', () => {
  test(`${CASES} cases never crash, never hang, and errors name a byte in the input`, () => {
    const random = prng(SEED);
    const names = Object.keys(MUTATIONS);
    const outcomes: Record<string, Record<string, number>> = {};
    for (let i = 0; i < CASES; i++) {
      const stream = streams[int(random, streams.length)];
      const mutation = names[i % names.length];
      const input = MUTATIONS[mutation](stream.bytes, random, stream.commands);
      // Byte by byte only for the small streams, to keep the run short.
      const chunk = [input.length < 20_000 ? 1 : 3, 7, 10, 17, 512, 4096, 65536][int(random, 7)];
      const started = Date.now();
      let outcome = 'accepted';
      try {
        runCodec(input, chunk);
      } catch (error) {
        if (!(error instanceof SendStreamError)) {
          throw new Error(`case ${i} (seed ${SEED}, ${mutation} of ${stream.name}, chunk ${chunk}) threw ${String(error)}`, { cause: error });
        }
        expect(error.offset).toBeGreaterThanOrEqual(0);
        expect(error.offset).toBeLessThanOrEqual(input.length);
        expect(error.message).toContain(`at byte ${error.offset}:`);
        outcome = error.reason;
      }
      const elapsed = Date.now() - started;
      if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`case ${i} (${mutation} of ${stream.name}) took ${elapsed} ms`);
      outcomes[mutation] ??= {};
      outcomes[mutation][outcome] = (outcomes[mutation][outcome] ?? 0) + 1;
    }
    // The mutations reach past the CRC check into the attribute parser.
    expect(outcomes['payload with a valid CRC']['bad-attribute']).toBeGreaterThan(0);
    expect(outcomes['bit flips']['crc-mismatch']).toBeGreaterThan(0);
    expect(outcomes.truncation.truncated).toBeGreaterThan(0);
    expect(outcomes['length field']['command-too-long']).toBeGreaterThan(0);
  }, 120_000);
});
