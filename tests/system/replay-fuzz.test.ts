import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { StreamEntry } from '../../src/core/stream-manifest';
import { ReplayPlace } from '../../src/helper/destinations/stream-files/replay-place';
import { Cleanup } from '../support/cleanup';
import { sh } from '../support/exec';
import { createLoopBtrfs, mountLoop } from '../support/loop-btrfs';
import { MORE, MORE_ATTR } from '../support/planted-streams';
import { mulberry32, type Rng } from '../support/prng';
import { ATTR, CMD, fullStream, str, u64, type Attr } from '../support/send-stream-craft';

/**
 * Mutated send streams replayed through the confined replay of stream files
 * (src/helper/destinations/stream-files/replay-place.ts: the stream guard, then
 * `btrfs receive --chroot`), as a restore from a hostile destination would
 * replay them, on a real btrfs filesystem. Each stream is a random program
 * of the commands a stream can hold — over names that include links to
 * places outside, "..", absolute paths and paths through links — then
 * mutated (commands dropped, doubled or swapped, bytes flipped with or
 * without a right CRC). Whatever each does, nothing may appear outside its
 * place (on the same filesystem or elsewhere), and no replay may take longer
 * than a bound. The seed is printed; REWIND_REPLAY_SEED=<seed> replays it.
 */
jest.setTimeout(600_000);

const ROUNDS = 300;
const BOUND_MS = 20_000;
const seed = Number(process.env.REWIND_REPLAY_SEED ?? Date.now() % 2 ** 31);

const cleanup = new Cleanup();
let dir: string;
let mnt: string;
let outside: string;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

function names(): string[] {
  const far = `${'../'.repeat(12)}${outside.slice(1)}`;
  return ['a', 'b', 'd', 'd/f', 'd/e', 'l', 'l/x', 'l/d/f', 'd/l', 'd/l/y', '..', '../sibling/x', '../../x', far, `${far}/y`, outside, `${outside}/z`, '/etc/x', 'o257-7-0'];
}

function targets(): string[] {
  return [outside, `${outside}/existing`, '..', '../..', '../sibling', path.join(mnt, 'sibling'), '/', 'd', 'f'];
}

/** One random command of the kinds a stream holds, over hostile names. */
function randomCommand(rng: Rng, inode: number): [number, Attr[]] {
  const name = () => pick(rng, names());
  const at: Attr = [ATTR.PATH, str(name())];
  const ino: Attr = [ATTR.INO, u64(inode)];
  switch (Math.floor(rng() * 9)) {
    case 0:
      return [MORE.MKDIR, [at, ino]];
    case 1:
      return [MORE.MKFILE, [at, ino]];
    case 2:
      return [MORE.SYMLINK, [at, ino, [ATTR.PATH_LINK, str(pick(rng, targets()))]]];
    case 3:
      return [CMD.RENAME, [at, [ATTR.PATH_TO, str(name())]]];
    case 4:
      return [CMD.LINK, [at, [ATTR.PATH_LINK, str(name())]]];
    case 5:
      return [CMD.WRITE, [at, [ATTR.FILE_OFFSET, u64(0)], [ATTR.DATA, str('written')]]];
    case 6:
      return [MORE.CHMOD, [at, [MORE_ATTR.MODE, u64(pick(rng, [0o644, 0o4755, 0o777]))]]];
    case 7:
      return [MORE.TRUNCATE, [at, [MORE_ATTR.SIZE, u64(4096)]]];
    default:
      return [MORE.UNLINK, [at]];
  }
}

/**
 * A program `btrfs send` could have made, with a link to one of the
 * hostile targets among its files: received whole, unless mutated.
 */
function plainProgram(rng: Rng): Array<[number, Attr[]]> {
  const file = (name: string): Attr => [ATTR.PATH, str(name)];
  const program: Array<[number, Attr[]]> = [
    [MORE.MKDIR, [file('d'), [ATTR.INO, u64(300)]]],
    [MORE.MKFILE, [file('d/f'), [ATTR.INO, u64(301)]]],
    [CMD.WRITE, [file('d/f'), [ATTR.FILE_OFFSET, u64(0)], [ATTR.DATA, str('data')]]],
  ];
  let current = 'd/f';
  const maybe = (step: () => [number, Attr[]]) => rng() < 0.6 && program.push(step());
  maybe(() => [MORE.SYMLINK, [file('l'), [ATTR.INO, u64(302)], [ATTR.PATH_LINK, str(pick(rng, targets()))]]]);
  maybe(() => [MORE.CHMOD, [file(current), [MORE_ATTR.MODE, u64(pick(rng, [0o644, 0o4755]))]]]);
  maybe(() => [CMD.LINK, [file('d/h'), [ATTR.PATH_LINK, str(current)]]]);
  maybe(() => {
    const renamed: [number, Attr[]] = [CMD.RENAME, [file(current), [ATTR.PATH_TO, str('d/g')]]];
    current = 'd/g';
    return renamed;
  });
  maybe(() => [MORE.TRUNCATE, [file(current), [MORE_ATTR.SIZE, u64(4096)]]]);
  return program;
}

/** A random program (one in four a plain one), mutated: the stream to replay. */
function hostileStream(rng: Rng, name: string, uuid: string): Buffer {
  let program: Array<[number, Attr[]]> =
    rng() < 0.25 ? plainProgram(rng) : Array.from({ length: 2 + Math.floor(rng() * 10) }, (_, i) => randomCommand(rng, 300 + i));
  const mutation = Math.floor(rng() * 4);
  if (mutation === 1 && program.length > 1) program.splice(Math.floor(rng() * program.length), 1);
  if (mutation === 2) program = [...program, ...program];
  let stream = fullStream(name, uuid, program);
  if (mutation === 3) {
    // Raw bit flips: most break a CRC, some a length or a type.
    stream = Buffer.from(stream);
    for (let i = 0; i < 1 + Math.floor(rng() * 4); i++) stream[17 + Math.floor(rng() * (stream.length - 17))] ^= 1 << Math.floor(rng() * 8);
  }
  return stream;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-replay-fuzz-'));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const fs = createLoopBtrfs(cleanup, dir, 'scratch', 256);
  mnt = path.join(dir, 'mnt');
  mountLoop(cleanup, fs, mnt);
  mkdirSync(path.join(mnt, 'sibling'));
  writeFileSync(path.join(mnt, 'sibling', 'existing'), 'keep\n');
  outside = path.join(dir, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'existing'), 'keep\n');
});

afterAll(async () => {
  await cleanup.run();
});

test(`${ROUNDS} mutated streams: nothing outside the place, no replay past ${BOUND_MS / 1000} s`, async () => {
  console.log(`REWIND_REPLAY_SEED=${seed}`);
  const rng = mulberry32(seed);
  const outcomes = { received: 0, refused: 0, failed: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const uuid = [8, 4, 4, 4, 12].map((n) => randomBytes(n / 2).toString('hex')).join('-');
    const entry = { name: 'snap', receivedUuid: uuid } as StreamEntry;
    const stream = hostileStream(rng, entry.name, uuid);
    const placeDir = path.join(mnt, `place-${round}`);
    const place = await ReplayPlace.create(placeDir);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), BOUND_MS)));
    const outcome = await Promise.race([place.receive(Readable.from([stream]), entry, undefined), bound]);
    clearTimeout(timer);
    expect({ round, seed, outcome: outcome === 'timeout' ? 'timeout' : 'ended' }).toEqual({ round, seed, outcome: 'ended' });
    if (outcome === undefined) outcomes.received++;
    else if ((outcome as Error).message.includes('changed or made by someone else')) outcomes.refused++;
    else outcomes.failed++;

    expect({ round, seed, outside: readdirSync(outside) }).toEqual({ round, seed, outside: ['existing'] });
    expect(readFileSync(path.join(outside, 'existing'), 'utf8')).toBe('keep\n');
    expect({ round, seed, top: readdirSync(mnt).sort() }).toEqual({ round, seed, top: [`place-${round}`, 'sibling'] });
    expect({ round, seed, sibling: readdirSync(path.join(mnt, 'sibling')) }).toEqual({ round, seed, sibling: ['existing'] });
    expect(readdirSync(placeDir).every((n) => n === 'snap')).toBe(true);
    await place.remove();
    rmdirSync(placeDir);
  }
  console.log(`replayed ${ROUNDS} streams: ${JSON.stringify(outcomes)}`);
  // The fuzz reached btrfs receive, and the guard, and receive's own checks: none of the three paths went untried.
  expect(outcomes.received).toBeGreaterThan(0);
  expect(outcomes.refused).toBeGreaterThan(0);
  expect(outcomes.failed).toBeGreaterThan(0);
  sh('btrfs', ['filesystem', 'sync', mnt]);
});
