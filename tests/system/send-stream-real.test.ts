import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { build } from 'esbuild';
import { listChanges, type Change } from '../../src/core/send-stream/changes';
import { SendStreamParser, type SendCommand, type StreamHeader } from '../../src/core/send-stream/parser';
import { encodeCommand, encodeStreamHeader } from '../../src/core/send-stream/writer';
import { SendStreamPipe, type SendStreamPipeOptions } from '../../src/helper/codec/send-stream-pipe';
import { parseCodecMessage } from '../../src/helper/codec/send-stream-process';
import { createAwkwardCorpus, mulberry32, mutate } from '../support/awkward-corpus';
import { Cleanup } from '../support/cleanup';
import { sh } from '../support/exec';
import { createLoopBtrfs, mountLoop } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { compareTrees, describeTree, type EntryDescription } from '../support/tree-compare';

/**
 * The send-stream codec on streams a real `btrfs send` makes now (kernel and
 * btrfs-progs of this machine), of the awkward-case corpus and random
 * changes to it, on a filesystem mounted with zstd compression:
 * - every stream parses, and re-encodes byte for byte from its decoded
 *   commands (protocol 1, protocol 2 with compressed data, full and
 *   incremental, two snapshots in one send);
 * - `btrfs receive` accepts what comes out of the Node pipe, and the received
 *   subvolume equals its snapshot;
 * - with SELinux labels dropped, the receive still completes, without them;
 * - the change list from a --no-data stream agrees with the two trees.
 * The seed is printed; REWIND_CODEC_SEED=<seed> replays it.
 */
jest.setTimeout(600_000);

const seed = Number(process.env.REWIND_CODEC_SEED ?? Date.now() % 1_000_000);
const cleanup = new Cleanup();
let dir: string;
let src: string;
let dst: string;

beforeAll(() => {
  console.log(`send-stream codec system test: REWIND_CODEC_SEED=${seed}`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-codec-'));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const source = createLoopBtrfs(cleanup, dir, 'codec-src', 1024);
  const destination = createLoopBtrfs(cleanup, dir, 'codec-dst', 1024);
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  mountLoop(cleanup, source, src);
  sh('mount', ['-o', 'remount,compress=zstd', src]);
  mountLoop(cleanup, destination, dst);

  const rng = mulberry32(seed);
  const home = path.join(src, 'home');
  sh('btrfs', ['subvolume', 'create', home]);
  createAwkwardCorpus(home, rng);
  // Labels as an SELinux system has them, and text that compresses (ENCODED_WRITE).
  mkdirSync(path.join(home, 'labelled'));
  for (const [name, label] of [
    ['known.txt', 'system_u:object_r:user_home_t:s0'],
    ['unknown.txt', 'system_u:object_r:only_at_the_source_t:s0'],
  ]) {
    writeFileSync(path.join(home, 'labelled', name), `labelled ${name}\n`.repeat(50_000));
    sh('setfattr', ['-n', 'security.selinux', '-v', label, path.join(home, 'labelled', name)]);
    sh('setfattr', ['-n', 'user.kept', '-v', 'yes', path.join(home, 'labelled', name)]);
  }
  sh('btrfs', ['subvolume', 'snapshot', '-r', home, path.join(src, 'base')]);
  for (let round = 1; round <= 3; round++) mutate(home, rng, { round, count: 6 });
  sh('btrfs', ['subvolume', 'snapshot', '-r', home, path.join(src, 'next')]);
  sh('sync', []);
});

afterAll(async () => {
  await cleanup.run();
});

function send(args: string[]): Uint8Array {
  return new Uint8Array(execFileSync('btrfs', ['send', '-q', ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function parse(bytes: Uint8Array): { headers: StreamHeader[]; commands: SendCommand[] } {
  const out = { headers: [] as StreamHeader[], commands: [] as SendCommand[] };
  const parser = new SendStreamParser({ onHeader: (h) => out.headers.push(h), onCommand: (c) => out.commands.push(c) });
  for (let at = 0; at < bytes.length; at += 65_536) parser.push(bytes.subarray(at, at + 65_536));
  parser.end();
  return out;
}

function exited(child: ChildProcess, name: string): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`${name}: ${e.message}`)));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** btrfs send | SendStreamPipe | btrfs receive, as the helper runs it. */
async function sendReceive(args: string[], into: string, options: SendStreamPipeOptions = {}) {
  mkdirSync(into, { recursive: true });
  const sender = spawn('btrfs', ['send', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const receiver = spawn('btrfs', ['receive', '-q', into], { stdio: ['pipe', 'ignore', 'pipe'] });
  const pipe = new SendStreamPipe(options);
  const piped = pipeline(sender.stdout as NodeJS.ReadableStream, pipe, receiver.stdin as NodeJS.WritableStream).then(
    () => undefined,
    (e: unknown) => e,
  );
  const [sent, received, pipeError] = await Promise.all([exited(sender, 'send'), exited(receiver, 'receive'), piped]);
  return { sent, received, pipeError, pipe };
}

function receivedUuid(subvolume: string): string | undefined {
  const show = sh('btrfs', ['subvolume', 'show', subvolume]);
  return /Received UUID:\s+(\S+)/.exec(show)?.[1];
}

function uuidOf(subvolume: string): string {
  return /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', ['subvolume', 'show', subvolume]))?.[1] as string;
}

const variants = [
  { name: 'protocol 1', dest: 'v1', args: ['--proto', '1'] },
  { name: 'protocol 2 with compressed data', dest: 'v2', args: ['--proto', '2', '--compressed-data'] },
];

describe.each(variants)('$name', ({ dest, args }) => {
  test.each([
    ['full', 'base', [] as string[]],
    ['incremental', 'next', ['-p', 'base']],
  ])('%s: parses, re-encodes byte for byte, and btrfs receive accepts the pipe output', async (_kind, snapshot, parent) => {
    const parentArgs = parent.length ? ['-p', path.join(src, parent[1])] : [];
    const sendArgs = [...args, ...parentArgs, path.join(src, snapshot)];
    const bytes = send(sendArgs);
    const { headers, commands } = parse(bytes);
    expect(headers.map((h) => h.version)).toEqual([dest === 'v1' ? 1 : 2]);
    if (dest === 'v2' && snapshot === 'base') expect(commands.some((c) => c.name === 'encoded_write')).toBe(true);
    const rebuilt = Buffer.concat([
      encodeStreamHeader(headers[0].version),
      ...commands.map((c) => encodeCommand(c.type, c.attributes(), { version: c.version })),
    ]);
    expect(Buffer.compare(rebuilt, bytes)).toBe(0);

    const into = path.join(dst, dest);
    const { sent, received, pipeError, pipe } = await sendReceive(sendArgs, into, { checksum: 'js' });
    expect({ sent: sent.code, received: received.code, stderr: received.stderr, pipeError }).toEqual({ sent: 0, received: 0, stderr: '', pipeError: undefined });
    expect(pipe.stats).toMatchObject({ bytesIn: bytes.length, bytesOut: bytes.length, commands: commands.length });
    expect(receivedUuid(path.join(into, snapshot))).toBe(uuidOf(path.join(src, snapshot)));
    expect(compareTrees(path.join(src, snapshot), path.join(into, snapshot), { atime: true })).toEqual([]);
  });
});

test('btrfs receive itself refuses a stream with a flipped byte: nothing checks it for receive on a local backup', () => {
  const bytes = Buffer.from(send([path.join(src, 'base')]));
  // A byte in the middle of a command's data, its CRC left as it was.
  const { commands } = parse(bytes);
  const write = commands.find((c) => c.name === 'write' || c.name === 'encoded_write')!;
  bytes[write.offset + Math.floor(write.bytes.length / 2)] ^= 0x10;
  const into = path.join(dst, 'flipped');
  mkdirSync(into);
  const r = spawnSync('btrfs', ['receive', '-q', '-C', into], { input: bytes, encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/crc/i);
  // What it made is no backup: it never got its Received UUID.
  expect(receivedUuid(path.join(into, 'base')) ?? '-').toBe('-');
});

test('two snapshots in one send: both arrive through the pipe', async () => {
  const bytes = send([path.join(src, 'base'), path.join(src, 'next')]);
  const { headers, commands } = parse(bytes);
  expect(headers.length).toBe(2);
  expect(commands.filter((c) => c.name === 'subvol' || c.name === 'snapshot').map((c) => c.path)).toEqual(['base', 'next']);
  const into = path.join(dst, 'both');
  const { received, pipeError } = await sendReceive([path.join(src, 'base'), path.join(src, 'next')], into);
  expect({ code: received.code, stderr: received.stderr, pipeError }).toEqual({ code: 0, stderr: '', pipeError: undefined });
  expect(compareTrees(path.join(src, 'next'), path.join(into, 'next'))).toEqual([]);
});

test('SELinux labels dropped in flight: the receive completes, without them, and the rest is equal', async () => {
  const into = path.join(dst, 'no-labels');
  const { received, pipeError, pipe } = await sendReceive(['--proto', '2', '--compressed-data', path.join(src, 'base')], into, {
    xattrs: { selinux: { mode: 'keep-only-known', known: ['system_u:object_r:user_home_t:s0'] } },
  });
  expect({ code: received.code, stderr: received.stderr, pipeError }).toEqual({ code: 0, stderr: '', pipeError: undefined });
  expect(pipe.stats.droppedCommands).toBe(1);
  const xattr = (file: string, name: string) => spawnSync('getfattr', ['--only-values', '-n', name, file], { encoding: 'utf8' }).stdout;
  const base = path.join(into, 'base', 'labelled');
  expect(xattr(path.join(base, 'known.txt'), 'security.selinux')).toBe('system_u:object_r:user_home_t:s0');
  expect(xattr(path.join(base, 'unknown.txt'), 'security.selinux')).toBe('');
  expect(xattr(path.join(base, 'unknown.txt'), 'user.kept')).toBe('yes');
  expect(receivedUuid(path.join(into, 'base'))).toBe(uuidOf(path.join(src, 'base')));
  const problems = compareTrees(path.join(src, 'base'), path.join(into, 'base'));
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(/^"labelled\/unknown.txt": xattrs /);
});

test('the codec as a process of its own, handed the pipes of send and receive', async () => {
  // How the helper should run it (src/helper/codec/send-stream-process.ts): three
  // processes, each given the other's pipe, the data never in the helper.
  const bundle = path.join(dir, 'send-stream-cat.mjs');
  await build({ entryPoints: [path.join(REPO, 'bench/send-stream-cat.ts')], outfile: bundle, bundle: true, format: 'esm', platform: 'node', logLevel: 'warning' });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const into = path.join(dst, 'process');
  mkdirSync(into);
  const sender = spawn('btrfs', ['send', '-q', '--proto', '2', '--compressed-data', path.join(src, 'base')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const codec = spawn(process.execPath, [bundle, '--process', '--drop-selinux'], { stdio: [sender.stdout, 'pipe', 'pipe'] });
  const receiver = spawn('btrfs', ['receive', '-q', into], { stdio: [codec.stdout, 'ignore', 'pipe'] });
  // The helper's own ends of the two pipes, now duplicated into the children:
  // closed at once, in the same tick, so the helper never reads from them and
  // their 'close' does not wait for an end of stream nobody here will read.
  sender.stdout?.destroy();
  codec.stdout?.destroy();
  const [sent, coded, received] = await Promise.all([exited(sender, 'send'), exited(codec, 'codec'), exited(receiver, 'receive')]);
  expect({ sent: sent.code, codec: coded.code, received: received.code, stderr: received.stderr }).toEqual({ sent: 0, codec: 0, received: 0, stderr: '' });
  const messages = coded.stderr.split('\n').map(parseCodecMessage).filter((m) => m !== undefined);
  expect(messages.filter((m) => m.type === 'xattr').map((m) => m.change.path)).toEqual(['labelled/known.txt', 'labelled/unknown.txt']);
  expect(messages[messages.length - 1]).toMatchObject({ type: 'done', stats: { checksum: 'native', droppedCommands: 2 }, progress: { ended: true } });
  expect(receivedUuid(path.join(into, 'base'))).toBe(uuidOf(path.join(src, 'base')));
});

/**
 * Checks a change list against the two trees it is about: each change is
 * possible, and each difference between the trees is explained by one
 * (a path under a created or renamed directory by that directory; a file
 * with hard links by a change to any of its names).
 */
function checkAgainstTrees(changes: Change[], before: Map<string, EntryDescription>, after: Map<string, EntryDescription>): string[] {
  const problems: string[] = [];
  const under = (p: string, q: string) => p === q || p.startsWith(`${q}/`);
  const renames = changes.filter((c) => c.kind === 'renamed') as Array<Change & { from: string }>;
  /** Where a path of the new tree was in the old one, following renamed directories. */
  const original = (p: string): string => {
    let best: (typeof renames)[number] | undefined;
    for (const r of renames) if (under(p, r.path) && (!best || r.path.length > best.path.length)) best = r;
    return best ? best.from + p.slice(best.path.length) : p;
  };
  for (const c of changes) {
    if (c.kind === 'deleted' && !before.has(c.path)) problems.push(`deleted ${c.path} was not there`);
    if (c.kind === 'created' && !after.has(c.path)) problems.push(`created ${c.path} is not there`);
    if (c.kind === 'modified' && !(after.has(c.path) && before.has(original(c.path)))) problems.push(`modified ${c.path} is not in both`);
    if (c.kind === 'renamed' && !(before.has(c.from as string) && after.has(c.path))) problems.push(`renamed ${c.from} → ${c.path} does not match`);
  }
  const arrived = changes.filter((c) => c.kind === 'created' || c.kind === 'renamed').map((c) => c.path);
  const left = [...changes.filter((c) => c.kind === 'deleted').map((c) => c.path), ...renames.map((c) => c.from)];
  const touched = new Set(changes.map((c) => c.path));
  for (const p of after.keys()) if (!before.has(p) && !arrived.some((q) => under(p, q))) problems.push(`${p} is new but not listed`);
  for (const p of before.keys()) if (!after.has(p) && !left.some((q) => under(p, q))) problems.push(`${p} is gone but not listed`);
  for (const [p, b] of before) {
    const a = after.get(p);
    if (!a || p === '.' || arrived.some((q) => under(p, q)) || left.some((q) => under(p, q))) continue;
    const differs = (['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'target', 'rdev', 'xattrs'] as const).some((k) => a[k] !== b[k]);
    const names = [p, ...(a.links ?? '').split(' | '), ...(b.links ?? '').split(' | ')].filter(Boolean);
    if (differs && !names.some((n) => touched.has(n))) problems.push(`${p} changed but is not listed`);
  }
  return problems;
}

test.each(variants)('what changed, from a --no-data stream ($name), agrees with the trees and with the stream with data', ({ args }) => {
  // Protocol 2 also sends inode flags (FILEATTR) and punches holes (FALLOCATE),
  // so the lists of the two protocols may differ; within one they may not.
  const parent = ['-p', path.join(src, 'base'), path.join(src, 'next')];
  const [fromNoData] = listChanges(send([...args, '--no-data', ...parent]));
  const [fromData] = listChanges(send([...args, ...parent]));
  expect(fromData.changes).toEqual(fromNoData.changes);
  expect(fromNoData.changes.length).toBeGreaterThan(5);
  expect(fromNoData.changes.some((c) => /\/o\d+-\d+-\d+$|^o\d+-\d+-\d+$/.test(c.path))).toBe(false);
  const before = describeTree(path.join(src, 'base'));
  const after = describeTree(path.join(src, 'next'));
  expect(checkAgainstTrees(fromNoData.changes, before, after)).toEqual([]);
});
