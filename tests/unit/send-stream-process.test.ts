import { afterAll, describe, expect, test } from '@jest/globals';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SendStreamError } from '../../src/core/send-stream/parser';
import { parseCodecMessage, runCodecLoop, xattrFilterOptions, type CodecMessage, type CodecProcessOptions } from '../../src/helper/codec/send-stream-process';
import { GOLDEN, concat, golden, parseAll } from './send-stream-golden';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-codec-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the loop from a file to a file, as the child process does from stdin to stdout. */
function loop(input: Uint8Array, options: CodecProcessOptions = {}) {
  const inFile = path.join(dir, 'in');
  const outFile = path.join(dir, 'out');
  writeFileSync(inFile, input);
  const inFd = openSync(inFile, 'r');
  const outFd = openSync(outFile, 'w');
  const messages: CodecMessage[] = [];
  let clock = 0;
  let stats: ReturnType<typeof runCodecLoop>['stats'] | undefined;
  let error: unknown;
  try {
    stats = runCodecLoop(inFd, outFd, { progressIntervalMs: 0, ...options }, (m) => messages.push(m), () => (clock += 10)).stats;
  } catch (e) {
    error = e;
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
  return { stats, error, output: new Uint8Array(readFileSync(outFile)), messages };
}

describe('the codec process loop', () => {
  test.each(['js', 'native'] as const)('real streams come out byte for byte (%s CRC), also one after the other', (checksum) => {
    for (const name of GOLDEN) {
      const { output, stats } = loop(golden(name), { checksum });
      expect(Buffer.compare(output, golden(name))).toBe(0);
      expect(stats).toMatchObject({ bytesIn: golden(name).length, bytesOut: golden(name).length, checksum });
    }
    const all = concat(GOLDEN.map((name) => golden(name)));
    expect(Buffer.compare(loop(all, { checksum }).output, all)).toBe(0);
  });

  test('large commands that span reads are assembled in reused buffers without mixing them up', () => {
    // Twelve copies: commands of up to 144 KiB straddle the 1 MiB reads at many offsets.
    const all = concat(Array.from({ length: 12 }, () => golden('v2-compressed-full')));
    const { output, stats } = loop(all);
    expect(Buffer.compare(output, all)).toBe(0);
    expect(stats?.commands).toBe(12 * parseAll(golden('v2-compressed-full')).commands.length);
  });

  test('drops SELinux labels and reports each one, then the counts', () => {
    const { output, messages, stats } = loop(golden('v1-full'), { selinux: { keepOnlyKnown: ['system_u:object_r:user_home_t:s0'] }, dropXattrs: ['security.capability'] });
    expect(stats?.droppedCommands).toBe(2);
    const changes = messages.flatMap((m) => (m.type === 'xattr' ? [m.change] : []));
    expect(changes.map((c) => [c.path, c.name, c.action])).toEqual([
      ['photos/b.jpg', 'security.selinux', 'dropped'],
      ['photos/b.jpg', 'security.capability', 'dropped'],
    ]);
    expect(Buffer.from(changes[0].value as string, 'hex').toString()).toBe('system_u:object_r:unknown_to_dest_t:s0');
    expect(parseAll(output).commands).toHaveLength(parseAll(golden('v1-full')).commands.length - 2);
    expect(messages.some((m) => m.type === 'progress')).toBe(true);
  });

  test('a bad stream: the error with its offset, and the good commands before it written', () => {
    const bytes = golden('v2-compressed-full').slice();
    const target = parseAll(bytes).commands[40];
    bytes[target.offset + 20] ^= 4;
    const { error, output } = loop(bytes);
    expect(error).toBeInstanceOf(SendStreamError);
    expect(error).toMatchObject({ reason: 'crc-mismatch', offset: target.offset });
    expect(output.length).toBeLessThanOrEqual(target.offset);
    expect(Buffer.compare(output, bytes.subarray(0, output.length))).toBe(0);
  });

  test('options as JSON become filter options; messages parse back', () => {
    expect(xattrFilterOptions({})).toBeUndefined();
    expect(xattrFilterOptions({ selinux: 'keep' })).toBeUndefined();
    expect(xattrFilterOptions({ selinux: 'drop', dropXattrs: ['security.capability'] })).toEqual({
      selinux: { mode: 'drop' },
      rules: [{ name: 'security.capability', action: 'drop' }],
    });
    expect(parseCodecMessage('{"type":"error","reason":"truncated","offset":5,"message":"m"}')).toMatchObject({ type: 'error', offset: 5 });
    expect(parseCodecMessage('node:internal/process: something crashed')).toBeUndefined();
    expect(parseCodecMessage('{not json')).toBeUndefined();
  });
});
