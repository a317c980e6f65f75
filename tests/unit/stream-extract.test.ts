import { describe, expect, test } from '@jest/globals';
import { ChainExtraction, type DataOp } from '../../src/core/send-stream/extract-commands';
import { ChainSurvey, type ExtractPlan } from '../../src/core/send-stream/extract-plan';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { SendStreamParser, type SendCommand } from '../../src/core/send-stream/parser';
import { StreamShapeError } from '../../src/core/send-stream/tree-model';
import { attribute, encodeCommand, encodeStreamHeader, type AttributeValue } from '../../src/core/send-stream/writer';
import { zstdFrameLength } from '../../src/core/zstd-frame';
import { concat, golden } from './send-stream-golden';

type Step = [number, Array<[number, AttributeValue]>];
const P = Attribute.Path;
const uuid = (n: number) => String(n).repeat(32).slice(0, 32);

/** One stream of a chain: the full one (index 0) or an incremental on the one before. */
function stream(index: number, steps: Step[], version = 1): Uint8Array {
  const head: Step =
    index === 0
      ? [Command.Subvol, [[P, 'snap0'], [Attribute.Uuid, uuid(1)], [Attribute.Ctransid, 1]]]
      : [Command.Snapshot, [[P, `snap${index}`], [Attribute.Uuid, uuid(index + 1)], [Attribute.Ctransid, index + 1], [Attribute.CloneUuid, uuid(index)], [Attribute.CloneCtransid, index]]];
  return concat([
    encodeStreamHeader(version),
    ...[head, ...steps, [Command.End, []] as Step].map(([type, attrs]) => encodeCommand(type, attrs.map(([t, v]) => attribute(t, v)), { version })),
  ]);
}

function commands(bytes: Uint8Array): SendCommand[] {
  const out: SendCommand[] = [];
  const parser = new SendStreamParser({ onCommand: (c) => out.push(c) });
  parser.push(bytes);
  parser.end();
  return out;
}

function survey(chain: Uint8Array[]): ChainSurvey {
  const s = new ChainSurvey();
  for (const bytes of chain) for (const c of commands(bytes)) s.command(c);
  return s;
}

/** The two readings, as a restore does them: the plan, then the operations and metadata for it. */
function extract(chain: Uint8Array[], paths: string[]): { plan: ExtractPlan; ops: DataOp[]; run?: ChainExtraction } {
  const first = survey(chain);
  const plan = first.plan(paths);
  if (plan.kind !== 'plan') return { plan, ops: [] };
  const run = new ChainExtraction(first, plan.wanted, plan.staged);
  const ops: DataOp[] = [];
  for (const [index, bytes] of chain.entries()) {
    if (!run.needs(index)) continue;
    run.begin(index);
    for (const c of commands(bytes)) ops.push(...run.command(c));
  }
  return { plan, ops, run };
}

function extractNeeds(chain: Uint8Array[], paths: string[], index: number): boolean {
  const first = survey(chain);
  const plan = planOf(first.plan(paths));
  return new ChainExtraction(first, plan.wanted, plan.staged).needs(index);
}

const mkfile = (path: string, ino: number): Step => [Command.Mkfile, [[P, path], [Attribute.Ino, ino]]];
const mkdir = (path: string, ino: number): Step => [Command.Mkdir, [[P, path], [Attribute.Ino, ino]]];
const rename = (from: string, to: string): Step => [Command.Rename, [[P, from], [Attribute.PathTo, to]]];
const write = (path: string, offset: number, data: string): Step => [Command.Write, [[P, path], [Attribute.FileOffset, offset], [Attribute.Data, new TextEncoder().encode(data)]]];
const unlink = (path: string): Step => [Command.Unlink, [[P, path]]];
const chmod = (path: string, mode: number): Step => [Command.Chmod, [[P, path], [Attribute.Mode, mode]]];
const clone = (path: string, from: string, cloneUuid: string): Step => [
  Command.Clone,
  [[P, path], [Attribute.FileOffset, 0], [Attribute.CloneLen, 4], [Attribute.CloneUuid, cloneUuid], [Attribute.CloneCtransid, 1], [Attribute.ClonePath, from], [Attribute.CloneOffset, 0]],
];

/** A full stream as btrfs send makes one: new inodes under orphan names, renamed into place. */
const FULL = stream(0, [
  mkdir('o257-5-0', 257),
  rename('o257-5-0', 'docs'),
  mkfile('o258-5-0', 258),
  rename('o258-5-0', 'docs/a.txt'),
  write('docs/a.txt', 0, 'first'),
  chmod('docs/a.txt', 0o644),
  mkfile('o259-5-0', 259),
  rename('o259-5-0', 'other.bin'),
  write('other.bin', 0, 'OTHER DATA'),
]);

function planOf(plan: ExtractPlan): Extract<ExtractPlan, { kind: 'plan' }> {
  if (plan.kind !== 'plan') throw new Error(`no plan: ${JSON.stringify(plan)}`);
  return plan;
}

describe('which inodes a restore needs', () => {
  test('a file: it, and the folders above it for their metadata; only its data', () => {
    const { plan, ops } = extract([FULL], ['docs/a.txt']);
    const p = planOf(plan);
    expect(p.wanted.size).toBe(3);
    expect(p.staged.size).toBe(1);
    expect(ops.map((o) => o.kind)).toEqual(['create', 'write']);
    expect(ops.some((o) => o.kind === 'write' && new TextDecoder().decode(o.data) === 'OTHER DATA')).toBe(false);
  });

  test('a file renamed later is found under its new name, through every step of the chain', () => {
    const chain = [FULL, stream(1, [rename('docs/a.txt', 'docs/b.txt'), write('docs/b.txt', 5, ' more')]), stream(2, [rename('docs', 'papers')])];
    const { plan, ops } = extract(chain, ['papers/b.txt']);
    expect(planOf(plan).staged.size).toBe(1);
    // The last stream only moves the folder: what it does is known, and it is not read again.
    expect([0, 1, 2].map((i) => extractNeeds(chain, ['papers/b.txt'], i))).toEqual([true, true, false]);
    expect(ops.filter((o) => o.kind === 'write').map((o) => o.kind === 'write' && [o.offset, new TextDecoder().decode(o.data)])).toEqual([[0, 'first'], [5, ' more']]);
    expect(survey(chain).plan(['docs/a.txt'])).toEqual({ kind: 'missing', path: 'docs/a.txt' });
  });

  test('a file deleted at the chosen point is missing; one deleted only later is not', () => {
    const chain = [FULL, stream(1, [unlink('docs/a.txt')])];
    expect(survey(chain).plan(['docs/a.txt'])).toEqual({ kind: 'missing', path: 'docs/a.txt' });
    expect(survey([FULL]).plan(['docs/a.txt']).kind).toBe('plan');
  });

  test('a hard link is the same inode: one staged file for both names', () => {
    const chain = [FULL, stream(1, [[Command.Link, [[P, 'docs/link.txt'], [Attribute.PathLink, 'docs/a.txt']]]])];
    const p = planOf(survey(chain).plan(['docs']));
    expect(p.staged.size).toBe(1);
    expect(p.wanted.size).toBe(3);
  });

  test('a folder brings everything below it, not what is beside it', () => {
    const chain = [FULL, stream(1, [mkdir('o300-6-0', 300), rename('o300-6-0', 'docs/sub'), mkfile('o301-6-0', 301), rename('o301-6-0', 'docs/sub/c.txt')])];
    const p = planOf(survey(chain).plan(['docs']));
    expect(p.wanted.size).toBe(5);
    expect(p.staged.size).toBe(2);
  });

  test('a clone source outside the restored files is staged too; a clone from another snapshot needs a replay', () => {
    const chain = [FULL, stream(1, [mkfile('o300-6-0', 300), rename('o300-6-0', 'docs/copy.bin'), clone('docs/copy.bin', 'other.bin', uuid(2))])];
    const { plan, ops } = extract(chain, ['docs/copy.bin']);
    expect(planOf(plan).staged.size).toBe(2);
    expect(ops.find((o) => o.kind === 'clone')).toMatchObject({ kind: 'clone', length: 4, sourceOffset: 0 });
    const outside = [FULL, stream(1, [mkfile('o300-6-0', 300), rename('o300-6-0', 'docs/copy.bin'), clone('docs/copy.bin', 'x', 'ff'.repeat(16))])];
    expect(survey(outside).plan(['docs/copy.bin'])).toEqual({ kind: 'replay', reason: 'a clone from another snapshot' });
    // The other file needs no replay: the unsupported clone is not in what it needs.
    expect(survey(outside).plan(['docs/a.txt']).kind).toBe('plan');
  });

  test('a clone from the parent snapshot whose source changed earlier in the same stream needs a replay', () => {
    const fromParent = (changedFirst: boolean) => [
      FULL,
      stream(1, [...(changedFirst ? [write('other.bin', 0, 'xxxx')] : []), mkfile('o300-6-0', 300), rename('o300-6-0', 'docs/copy.bin'), clone('docs/copy.bin', 'other.bin', uuid(1))]),
    ];
    expect(survey(fromParent(false)).plan(['docs/copy.bin']).kind).toBe('plan');
    expect(survey(fromParent(true)).plan(['docs/copy.bin'])).toMatchObject({ kind: 'replay' });
  });

  test('a file made in a later stream needs only the streams from there on to be read again', () => {
    const chain = [FULL, stream(1, [mkfile('o300-6-0', 300), rename('o300-6-0', 'docs/new.txt'), write('docs/new.txt', 0, 'late')]), stream(2, [write('other.bin', 0, 'x')])];
    expect([0, 1, 2].map((i) => extractNeeds(chain, ['docs/new.txt'], i))).toEqual([false, true, false]);
    // Its folder's metadata is in the full stream: a folder is read again where it is made and changed.
    expect([0, 1, 2].map((i) => extractNeeds(chain, ['docs'], i))).toEqual([true, true, false]);
  });

  test('data compressed with LZO needs a replay; zstd does not', () => {
    const encoded = (compression: number) =>
      stream(1, [[Command.EncodedWrite, [[P, 'docs/a.txt'], [Attribute.FileOffset, 0], [Attribute.UnencodedFileLen, 5], [Attribute.UnencodedLen, 5], [Attribute.UnencodedOffset, 0], [Attribute.Compression, compression], [Attribute.Encryption, 0], [Attribute.Data, new Uint8Array(8)]]]], 2);
    expect(survey([FULL, encoded(3)]).plan(['docs/a.txt'])).toMatchObject({ kind: 'replay' });
    expect(survey([FULL, encoded(2)]).plan(['docs/a.txt']).kind).toBe('plan');
  });

  test('a path through a symbolic link is not followed', () => {
    const chain = [FULL, stream(1, [[Command.Symlink, [[P, 'o300-6-0'], [Attribute.Ino, 300], [Attribute.PathLink, 'docs']]], rename('o300-6-0', 'via')])];
    expect(survey(chain).plan(['via/a.txt'])).toEqual({ kind: 'through-link', path: 'via/a.txt' });
  });
});

describe('metadata: the last word of the chain', () => {
  test('mode, owner, times and xattrs, with an xattr removed later', () => {
    const xattr = (name: string, value: string): Step => [Command.SetXattr, [[P, 'docs/a.txt'], [Attribute.XattrName, name], [Attribute.XattrData, new TextEncoder().encode(value)]]];
    const chain = [
      FULL,
      stream(1, [xattr('user.a', '1'), xattr('user.b', '2'), [Command.Chown, [[P, 'docs/a.txt'], [Attribute.Uid, 1000], [Attribute.Gid, 100]]]]),
      stream(2, [
        [Command.RemoveXattr, [[P, 'docs/a.txt'], [Attribute.XattrName, 'user.a']]],
        chmod('docs/a.txt', 0o4600),
        [Command.Utimes, [[P, 'docs/a.txt'], [Attribute.Atime, { sec: 5, nsec: 6 }], [Attribute.Mtime, { sec: 7, nsec: 8 }], [Attribute.Ctime, { sec: 9, nsec: 0 }]]],
      ]),
    ];
    const { run } = extract(chain, ['docs/a.txt']);
    const meta = [...run!.meta.values()].find((m) => m.uid === 1000)!;
    expect({ mode: meta.mode, gid: meta.gid, atime: meta.atime, mtime: meta.mtime, xattrs: [...meta.xattrs.keys()] }).toEqual({
      mode: 0o4600,
      gid: 100,
      atime: { sec: 5, nsec: 6 },
      mtime: { sec: 7, nsec: 8 },
      xattrs: ['user.b'],
    });
  });
});

describe('a stream that does not fit its tree is refused', () => {
  test.each<[string, Step[]]>([
    ['a folder moved into itself', [mkdir('o300-6-0', 300), rename('o300-6-0', 'docs/inner'), rename('docs', 'docs/inner/docs')]],
    ['a name created twice', [mkfile('docs/a.txt', 300)]],
    ['a write to a folder', [write('docs', 0, 'x')]],
    ['a path with ..', [mkfile('docs/../../escape', 300)]],
    ['an unlink of a name that is not there', [unlink('nothing')]],
    ['a folder removed with its files in it', [[Command.Rmdir, [[P, 'docs']]]]],
  ])('%s', (_what, steps) => {
    expect(() => survey([FULL, stream(1, steps)])).toThrow(StreamShapeError);
  });

  test('an incremental stream on another parent', () => {
    const wrong = stream(2, []);
    expect(() => survey([FULL, wrong])).toThrow(/not based on the stream before it/);
  });
});

describe('zstd frames', () => {
  test('the frame is found inside its sector padding', () => {
    // Magic, single-segment descriptor with a 1-byte content size (5), one last raw block of 5 bytes.
    const frame = [0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, (5 << 3) | 1, 0, 0, 104, 101, 108, 108, 111];
    expect(zstdFrameLength(Uint8Array.from([...frame, 0, 0, 0, 0]))).toBe(frame.length);
    expect(zstdFrameLength(Uint8Array.from(frame.slice(0, 10)))).toBeUndefined();
    expect(zstdFrameLength(new Uint8Array(16))).toBeUndefined();
  });
});

describe('real streams (tests/fixtures/send-streams/make-golden.sh)', () => {
  test.each([['v1-full', 'v1-incremental'], ['v2-compressed-full', 'v2-incremental']] as const)('%s then %s: every name followed to the end', (full, next) => {
    const chain = [golden(full), golden(next)];
    for (const path of ['pictures/a.jpg', 'new-dir/drafts/notes.txt', 'new-dir/fresh.txt', 'hardlink-2', 'with space']) {
      expect({ path, kind: extract(chain, [path]).plan.kind }).toEqual({ path, kind: 'plan' });
    }
    for (const path of ['photos', 'old/top', 'hardlink-1']) expect(survey(chain).plan([path])).toEqual({ kind: 'missing', path });
  });
});
