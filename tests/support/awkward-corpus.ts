import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  linkSync,
  lstatSync,
  lchownSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { sh } from './exec';
import { mulberry32, type Rng } from './prng';

/**
 * A tree of awkward cases for a backup to get right, and random changes to
 * it. Everything random comes from a seeded PRNG, so a failing sequence of
 * rounds can be replayed from its seed.
 */

export { mulberry32, type Rng };

export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng() * items.length)];
}

export function randomBuffer(rng: Rng, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) out.writeUInt32LE(Math.floor(rng() * 4294967296), i);
  for (; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** uids and gids that are nobody on the test machine, one above 2^31. */
const OWNERS: ReadonlyArray<[number, number]> = [
  [0, 0],
  [1234, 5678],
  [5678, 1234],
  [65534, 65534],
  [3000000000, 3000000001],
];

/** Sets mtime (and atime) with nanosecond precision, never following a symlink. */
export function setTimes(file: string, mtime: string, atime = mtime): void {
  sh('touch', ['-h', '-c', '-m', '-d', mtime, file]);
  sh('touch', ['-h', '-c', '-a', '-d', atime, file]);
}

function setXattr(file: string, name: string, value: Buffer): void {
  sh('setfattr', ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, file]);
}

function writeAt(file: string, data: Buffer, position: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, data, 0, data.length, position);
  } finally {
    closeSync(fd);
  }
}

/**
 * A unix socket file, left behind by a process that exits while listening.
 * A socket address holds at most 107 bytes of path, so it is made under a
 * short name in its directory (as the working directory) and renamed.
 */
function makeSocket(file: string): void {
  const short = `.sock-${process.pid}`;
  const r = spawnSync(
    process.execPath,
    ['-e', 'require("node:net").createServer().listen(process.argv[1], () => process.exit(0))', short],
    { encoding: 'utf8', cwd: path.dirname(file) },
  );
  const made = path.join(path.dirname(file), short);
  if (r.status !== 0 || !lstatSync(made).isSocket()) throw new Error(`could not create a socket in ${path.dirname(file)}: ${r.stderr}`);
  renameSync(made, file);
}

/** Names that trip up tools: unicode in both normal forms, emoji, RTL, control characters, leading dashes. */
export const AWKWARD_NAMES: readonly string[] = [
  'caf\u00e9', // NFC
  'cafe\u0301', // NFD: a different name on disk
  '📦 backup 🗂️.txt',
  'שלום עולם.txt',
  'مرحبا بالعالم',
  'evil\u202etxt.exe', // right-to-left override
  '👩‍👩‍👧 family', // zero-width joiners
  '日本語のファイル名',
  ' leading and trailing ',
  'line1\nline2',
  'tab\there',
  '-rf',
  '--help',
  '-',
  '.hidden',
  '..dots..',
  'back\\slash',
  'quotes \'single\' "double"',
  'glob*?[a-z]',
  'semi;colon&amp|pipe$(echo x)`tick`',
  'carriage\rreturn',
  'x'.repeat(255),
  '日'.repeat(85), // 255 bytes in UTF-8
];

export interface CorpusInfo {
  /** Paths (relative to the root) of the sparse files, as created. */
  sparseFiles: string[];
  /** How many entries the corpus has below the root. */
  entries: number;
}

/**
 * Builds the corpus under `root` (which must exist): hard links (also across
 * directories), symlinks (dangling, to directories, absolute, looping, very
 * long), sparse files, a large random file, empty files and directories,
 * user/trusted xattrs with binary and empty values, file capabilities on a
 * file owned by another user, POSIX access and default ACLs, a fifo, device
 * nodes, a socket, foreign and large uids, setuid/setgid/sticky and 0000
 * modes, unicode and 255-byte names, control characters in names, 10,000
 * entries in one directory, a 50-level tree, and timestamps before 1970 and
 * after 2038 with nanoseconds.
 */
export function createAwkwardCorpus(root: string, rng: Rng): CorpusInfo {
  const p = (...parts: string[]) => path.join(root, ...parts);
  const dir = (...parts: string[]) => {
    mkdirSync(p(...parts), { recursive: true });
    return p(...parts);
  };

  // Hard links: four names for one file in three directories, and a pair that shares an xattr.
  dir('links/sub');
  dir('elsewhere');
  writeFileSync(p('links/a.txt'), 'one inode, many names\n');
  linkSync(p('links/a.txt'), p('links/b.txt'));
  linkSync(p('links/a.txt'), p('links/sub/c.txt'));
  linkSync(p('links/a.txt'), p('elsewhere/a-again.txt'));
  writeFileSync(p('links/pair-1'), randomBuffer(rng, 10 * KiB));
  linkSync(p('links/pair-1'), p('links/pair-2'));
  setXattr(p('links/pair-1'), 'user.shared', Buffer.from('seen through both names'));
  writeFileSync(p('links/solo.txt'), 'just one link\n');

  // Symlinks.
  dir('symlinks');
  symlinkSync('../links/a.txt', p('symlinks/to-file'));
  symlinkSync('missing/nowhere', p('symlinks/dangling'));
  symlinkSync('../deep', p('symlinks/to-dir'));
  symlinkSync('/etc/passwd', p('symlinks/absolute'));
  symlinkSync('self', p('symlinks/self'));
  symlinkSync('ünï/😀/' + 'long/'.repeat(780), p('symlinks/long-target')); // ~3.9 KiB target
  symlinkSync('../names/line1\nline2', p('symlinks/to-newline-name'));
  symlinkSync('a.txt', p('symlinks/owned'));
  lchownSync(p('symlinks/owned'), 1234, 5678);
  setXattr(p('symlinks/to-file'), 'trusted.rewind.on-symlink', Buffer.from([0, 1, 2, 255]));

  // Sparse files: 200 MiB apparent with a few data extents, one that is all hole,
  // one with a hole at the end (made by truncate) and one with a hole at the start.
  dir('sparse');
  const big = p('sparse/big.sparse');
  writeFileSync(big, randomBuffer(rng, 64 * KiB));
  writeAt(big, randomBuffer(rng, 64 * KiB), 50 * MiB);
  writeAt(big, randomBuffer(rng, 5000), 123 * MiB + 17); // unaligned
  truncateSync(big, 200 * MiB);
  writeAt(big, randomBuffer(rng, 1000), 200 * MiB - 1000);
  writeFileSync(p('sparse/all-hole'), '');
  truncateSync(p('sparse/all-hole'), 10 * MiB);
  writeFileSync(p('sparse/tail-hole'), randomBuffer(rng, 1 * MiB));
  truncateSync(p('sparse/tail-hole'), 8 * MiB);
  writeFileSync(p('sparse/head-hole'), '');
  writeAt(p('sparse/head-hole'), randomBuffer(rng, 4 * KiB), 7 * MiB);
  // Preallocated (unwritten) extents, inside and beyond the end of the file.
  writeFileSync(p('sparse/prealloc'), randomBuffer(rng, 100 * KiB));
  sh('fallocate', ['-o', String(1 * MiB), '-l', String(1 * MiB), p('sparse/prealloc')]);
  sh('fallocate', ['-n', '-o', String(4 * MiB), '-l', String(1 * MiB), p('sparse/prealloc')]);

  // A large file of random (incompressible) data, kept small enough for CI.
  dir('large');
  writeFileSync(p('large/random.bin'), randomBuffer(rng, 24 * MiB));

  // Empty things.
  dir('empty/dir-empty');
  dir('empty/nested/a/b/c');
  writeFileSync(p('empty/empty.txt'), '');
  writeFileSync(p('empty/.hidden-empty'), '');
  writeFileSync(p('empty/empty-with-xattr'), '');
  setXattr(p('empty/empty-with-xattr'), 'user.note', Buffer.from('empty but annotated'));
  writeFileSync(p('empty/empty-0000'), '', { mode: 0o000 });
  chmodSync(p('empty/empty-0000'), 0o000);

  // Extended attributes: text, binary, empty, large, many, odd names, on a directory.
  dir('xattrs/annotated-dir');
  writeFileSync(p('xattrs/text'), 'text xattr\n');
  setXattr(p('xattrs/text'), 'user.comment', Buffer.from('hello world'));
  writeFileSync(p('xattrs/binary'), 'binary xattr\n');
  setXattr(p('xattrs/binary'), 'user.bin', Buffer.from([0, 255, 0, 254, 10, 13, 0]));
  writeFileSync(p('xattrs/empty-value'), 'empty xattr\n');
  sh('setfattr', ['-n', 'user.empty', p('xattrs/empty-value')]);
  writeFileSync(p('xattrs/large-value'), 'large xattr\n');
  setXattr(p('xattrs/large-value'), 'user.large', randomBuffer(rng, 3000));
  writeFileSync(p('xattrs/many'), 'many xattrs\n');
  for (let i = 0; i < 40; i++) setXattr(p('xattrs/many'), `user.n${i}`, randomBuffer(rng, randInt(rng, 1, 64)));
  writeFileSync(p('xattrs/odd-names'), 'odd xattr names\n');
  setXattr(p('xattrs/odd-names'), 'user.a.b.c', Buffer.from('dots'));
  setXattr(p('xattrs/odd-names'), 'user.ünï-😀', Buffer.from('unicode name'));
  setXattr(p('xattrs/odd-names'), 'trusted.root-only', Buffer.from('trusted'));
  setXattr(p('xattrs/annotated-dir'), 'user.dir', Buffer.from('on a directory'));
  // A file capability on a file owned by someone else: a chown after the
  // capability would drop it, so the order matters on the receiving side.
  writeFileSync(p('xattrs/capable'), '#!/bin/sh\nexit 0\n');
  lchownSync(p('xattrs/capable'), 1234, 5678);
  chmodSync(p('xattrs/capable'), 0o755);
  setXattr(p('xattrs/capable'), 'security.capability', Buffer.from('0100000200040000000000000000000000000000', 'hex'));

  // POSIX ACLs: access ACLs on a file and a directory, default ACLs inherited by a new file.
  dir('acl/with-default');
  dir('acl/default-only');
  writeFileSync(p('acl/file'), 'acl file\n');
  sh('setfacl', ['-m', 'u:1234:rw-,g:5678:r--,m::rw-', p('acl/file')]);
  sh('setfacl', ['-m', 'u:1234:rwx,g:5678:r-x', p('acl/with-default')]);
  sh('setfacl', ['-d', '-m', 'u:1234:rwx,g:5678:r-x,o::---', p('acl/with-default')]);
  sh('setfacl', ['-d', '-m', 'u:65534:r-x', p('acl/default-only')]);
  writeFileSync(p('acl/with-default/inherits'), 'inherited ACL\n');
  mkdirSync(p('acl/with-default/inherits-dir'));

  // Special files.
  dir('special');
  sh('mkfifo', ['-m', '0640', p('special/fifo')]);
  lchownSync(p('special/fifo'), 1234, 5678);
  setXattr(p('special/fifo'), 'trusted.on-fifo', Buffer.from('fifo'));
  sh('mknod', ['-m', '0666', p('special/null-like'), 'c', '1', '3']);
  sh('mknod', ['-m', '0660', p('special/block'), 'b', '7', '200']);
  makeSocket(p('special/socket'));

  // Owners, including a uid above 2^31, and a setuid file owned by someone else.
  dir('owners/foreign-dir');
  writeFileSync(p('owners/foreign'), 'owned by 1234:5678\n');
  lchownSync(p('owners/foreign'), 1234, 5678);
  writeFileSync(p('owners/huge-ids'), 'owned by 3000000000:3000000001\n');
  lchownSync(p('owners/huge-ids'), 3000000000, 3000000001);
  lchownSync(p('owners/foreign-dir'), 65534, 65534);
  writeFileSync(p('owners/foreign-dir/inside'), 'inside\n');
  writeFileSync(p('owners/setuid-foreign'), '#!/bin/sh\n');
  lchownSync(p('owners/setuid-foreign'), 1234, 5678);
  chmodSync(p('owners/setuid-foreign'), 0o4755); // after chown, which clears it

  // Modes.
  dir('modes/sticky');
  dir('modes/setgid-dir');
  dir('modes/locked');
  writeFileSync(p('modes/locked/inside'), 'in a 0000 directory\n');
  const modes: Array<[string, number]> = [
    ['modes/setuid', 0o4755],
    ['modes/setgid', 0o2755],
    ['modes/all-bits', 0o7777],
    ['modes/zero', 0o000],
    ['modes/world-writable', 0o666],
    ['modes/exec-only', 0o111],
  ];
  for (const [rel, mode] of modes) {
    writeFileSync(p(rel), `${mode.toString(8)}\n`);
    chmodSync(p(rel), mode);
  }
  chmodSync(p('modes/sticky'), 0o1777);
  chmodSync(p('modes/setgid-dir'), 0o2775);
  chmodSync(p('modes/locked'), 0o000);

  // Names.
  dir('names');
  for (const name of AWKWARD_NAMES) writeFileSync(p('names', name), `${JSON.stringify(name)}\n`);
  dir('names', 'd'.repeat(255));
  writeFileSync(p('names', 'd'.repeat(255), 'f'.repeat(255)), 'two 255-byte names\n');
  dir('names', 'caf\u00e9 dir', 'cafe\u0301 dir');

  // A directory with 10,000 entries (a few of them directories and links).
  dir('bigdir');
  for (let i = 0; i < 10_000; i++) {
    const name = p('bigdir', `entry-${String(i).padStart(5, '0')}`);
    if (i % 1000 === 999) mkdirSync(name);
    else if (i % 1000 === 500) symlinkSync(`entry-${String(i - 1).padStart(5, '0')}`, name);
    else writeFileSync(name, i % 7 === 0 ? '' : `entry ${i}\n`);
  }

  // A 50-level tree with a file at every level.
  let level = p('deep');
  for (let i = 1; i <= 50; i++) {
    level = path.join(level, `l${String(i).padStart(2, '0')}`);
    mkdirSync(level, { recursive: true });
    writeFileSync(path.join(level, 'file'), `level ${i}\n`);
  }

  // Timestamps before 1970, after 2038 and far in the future, with nanoseconds;
  // on files, a symlink, a fifo and (last, after their contents) directories.
  dir('times/dir-in-the-past');
  writeFileSync(p('times/dir-in-the-past/inside'), 'x\n');
  const times: Array<[string, string, string]> = [
    ['times/moon-landing', '1969-07-20 20:17:40.123456789 UTC', '1969-07-21 02:56:15.000000001 UTC'],
    ['times/epoch', '@0', '@0'],
    ['times/y2038', '2038-01-19 03:14:08.999999999 UTC', '2038-01-19 03:14:07 UTC'],
    ['times/far-future', '2400-02-29 12:00:00.000000001 UTC', '2399-12-31 23:59:59.5 UTC'],
    ['times/1901', '1901-12-13 20:45:51.5 UTC', '1901-12-13 20:45:52 UTC'],
  ];
  for (const [rel] of times) writeFileSync(p(rel), `${rel}\n`);
  symlinkSync('epoch', p('times/old-symlink'));
  sh('mkfifo', [p('times/old-fifo')]);
  times.push(['times/old-symlink', '1999-12-31 23:59:59.999999999 UTC', '2000-01-01 00:00:00 UTC']);
  times.push(['times/old-fifo', '1980-01-01 00:00:00.000000123 UTC', '1980-01-01 00:00:00.000000456 UTC']);
  times.push(['times/dir-in-the-past', '1975-05-05 05:05:05.050505050 UTC', '1975-05-05 05:05:05 UTC']);
  for (const [rel, mtime, atime] of times) setTimes(p(rel), mtime, atime);

  let entries = 0;
  const count = (d: string) => {
    for (const name of readdirSync(d)) {
      entries++;
      const full = path.join(d, name);
      if (lstatSync(full).isDirectory()) count(full);
    }
  };
  count(root);
  return { sparseFiles: ['sparse/big.sparse', 'sparse/all-hole', 'sparse/tail-hole', 'sparse/head-hole'], entries };
}

// ---------------------------------------------------------------------------
// Mutations

interface Node {
  rel: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  nlink: number;
  depth: number;
  /** Entries below a directory (not scanned inside huge directories: see scan). */
  subtree: number;
  /** Deepest level below a directory, relative to the root. */
  maxDepth: number;
  /** Length in bytes of the longest relative path at or below this entry. */
  maxRel: number;
  /** A directory with so many entries that it is not scanned entry by entry. */
  huge: boolean;
  /** Inside a huge directory (picked by sampling). */
  inHuge: boolean;
}

const HUGE = 1000;
const MAX_REL_PATH = 3000; // PATH_MAX is 4096 for the absolute path

function nodeOf(root: string, rel: string, depth: number, inHuge: boolean): Node {
  const st = lstatSync(path.join(root, rel));
  const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { rel, type, size: st.size, nlink: st.nlink, depth, subtree: 0, maxDepth: depth, maxRel: Buffer.byteLength(rel), huge: false, inHuge };
}

/** Every entry below the root, except those inside huge directories (which are sampled instead). */
function scan(root: string): Node[] {
  const out: Node[] = [];
  const visit = (node: Node) => {
    out.push(node);
    if (node.type !== 'dir') return;
    const names = readdirSync(path.join(root, node.rel)).sort();
    if (names.length > HUGE) {
      // Entries of huge directories are few levels deep (bigDirChurn only adds files).
      node.huge = true;
      node.subtree = names.length;
      node.maxDepth = node.depth + 2;
      node.maxRel = Buffer.byteLength(node.rel) + 2 * 256 + Math.max(...names.map((n) => Buffer.byteLength(n)));
      return;
    }
    for (const name of names) {
      const child = nodeOf(root, path.join(node.rel, name), node.depth + 1, false);
      visit(child);
      node.subtree += 1 + child.subtree;
      node.maxDepth = Math.max(node.maxDepth, child.maxDepth);
      node.maxRel = Math.max(node.maxRel, child.maxRel);
    }
  };
  const top = nodeOf(root, '', 0, false);
  visit(top);
  return out.slice(1); // never the root itself
}

class Mutator {
  private nodes: Node[] = [];
  constructor(
    private readonly root: string,
    private readonly rng: Rng,
  ) {
    this.rescan();
  }

  rescan(): void {
    this.nodes = scan(this.root);
  }

  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  /** A random entry that passes `filter`; now and then one sampled from inside a huge directory. */
  pickNode(filter: (n: Node) => boolean): Node | undefined {
    if (this.rng() < 0.15) {
      const huge = this.nodes.filter((n) => n.huge);
      if (huge.length > 0) {
        const dir = pick(this.rng, huge);
        const names = readdirSync(this.abs(dir.rel)).sort();
        for (let tries = 0; tries < 20; tries++) {
          const node = nodeOf(this.root, path.join(dir.rel, pick(this.rng, names)), dir.depth + 1, true);
          if (node.type === 'dir') {
            node.subtree = dir.subtree; // unknown; treat it as large
            node.maxDepth = dir.maxDepth;
            node.maxRel = dir.maxRel;
          }
          if (filter(node)) return node;
        }
      }
    }
    const candidates = this.nodes.filter(filter);
    return candidates.length > 0 ? pick(this.rng, candidates) : undefined;
  }

  dirs(): Node[] {
    return this.nodes.filter((n) => n.type === 'dir');
  }

  /** A random directory (the root included) to put something new in. */
  pickDir(): string {
    const dirs = this.dirs().filter((d) => Buffer.byteLength(d.rel) < MAX_REL_PATH - 600 && d.depth < 120);
    if (dirs.length === 0 || this.rng() < 0.1) return '';
    return pick(this.rng, dirs).rel;
  }

  /** A fresh awkward name in `dir`. */
  newName(dir: string): string {
    for (;;) {
      const base = pick(this.rng, [...AWKWARD_NAMES, 'new', 'new file', 'n']);
      const suffix = `~${randInt(this.rng, 0, 0xffffff).toString(16)}`;
      let name = base + suffix;
      while (Buffer.byteLength(name) > 255) name = name.slice(1);
      if (!existsOrLink(this.abs(path.join(dir, name)))) return path.join(dir, name);
    }
  }

  randomTime(): string {
    const seconds = randInt(this.rng, -2_000_000_000, 8_000_000_000);
    const ns = pick(this.rng, [0, 1, 999_999_999, randInt(this.rng, 0, 999_999_999)]);
    return `@${seconds}.${String(ns).padStart(9, '0')}`;
  }
}

function existsOrLink(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function isInside(rel: string, ancestor: string): boolean {
  return rel === ancestor || rel.startsWith(ancestor + path.sep);
}

/** Whether deleting or replacing a directory would remove the big or deep trees the corpus is about. */
function isProtectedDir(n: Node): boolean {
  return n.huge || n.subtree > 200 || n.maxDepth >= 30;
}

type Mutation = (m: Mutator, rng: Rng) => string | undefined;

const MODES = [0o644, 0o600, 0o4755, 0o2755, 0o1777, 0o000, 0o777, 0o755, 0o7777, 0o444, 0o111];
const XATTR_NAMES = ['user.comment', 'user.bin', 'user.a.b.c', 'user.ünï', 'user.n1', 'trusted.t'];

const MUTATIONS: Record<string, Mutation> = {
  overwrite(m, rng) {
    const n = m.pickNode((x) => x.type === 'file' && x.size > 0);
    if (!n) return undefined;
    const length = randInt(rng, 1, Math.min(n.size, 256 * KiB));
    const offset = randInt(rng, 0, n.size - length);
    writeAt(m.abs(n.rel), randomBuffer(rng, length), offset);
    return `overwrite ${length} bytes at ${offset} of ${JSON.stringify(n.rel)}`;
  },
  append(m, rng) {
    const n = m.pickNode((x) => x.type === 'file');
    if (!n) return undefined;
    const length = pick(rng, [1, 100, 4096, randInt(rng, 1, 128 * KiB)]);
    appendFileSync(m.abs(n.rel), randomBuffer(rng, length));
    return `append ${length} bytes to ${JSON.stringify(n.rel)}`;
  },
  truncate(m, rng) {
    const n = m.pickNode((x) => x.type === 'file');
    if (!n) return undefined;
    const size = rng() < 0.5 ? randInt(rng, 0, n.size) : Math.min(n.size + randInt(rng, 1, 16 * MiB), 256 * MiB);
    truncateSync(m.abs(n.rel), size);
    return `truncate ${JSON.stringify(n.rel)} from ${n.size} to ${size}`;
  },
  create(m, rng) {
    const rel = m.newName(m.pickDir());
    const size = pick(rng, [0, 1, 4095, 4096, 4097, randInt(rng, 0, 64 * KiB), randInt(rng, 0, 512 * KiB)]);
    writeFileSync(m.abs(rel), randomBuffer(rng, size), { mode: pick(rng, MODES) });
    if (rng() < 0.3) lchownSync(m.abs(rel), ...pick(rng, OWNERS));
    return `create ${JSON.stringify(rel)} (${size} bytes)`;
  },
  delete(m) {
    const n = m.pickNode((x) => x.type !== 'dir' || (!isProtectedDir(x) && x.subtree <= 30));
    if (!n) return undefined;
    rmSync(m.abs(n.rel), { recursive: true, force: true });
    return `delete ${n.type} ${JSON.stringify(n.rel)}`;
  },
  renameBigTree(m, rng) {
    // Half of the time the 10,000-entry directory, otherwise a subtree of the deep tree.
    const huge = rng() < 0.5;
    const n = m.pickNode((x) => x.type === 'dir' && !x.inHuge && (huge ? x.huge : x.maxDepth >= 30 && x.subtree >= 10));
    if (!n) return undefined;
    const deepest = n.maxDepth - n.depth;
    const below = n.maxRel - Buffer.byteLength(n.rel);
    const candidates = m
      .dirs()
      .filter((d) => !isInside(d.rel, n.rel) && d.rel !== path.dirname(n.rel))
      .filter((d) => Buffer.byteLength(d.rel) + 256 + below < MAX_REL_PATH && d.depth + deepest < 120);
    const target = candidates.length > 0 && rng() < 0.8 ? pick(rng, candidates).rel : '';
    const to = m.newName(target);
    if (Buffer.byteLength(to) + below > MAX_REL_PATH) return undefined;
    renameSync(m.abs(n.rel), m.abs(to));
    return `rename tree ${JSON.stringify(n.rel)} (${n.subtree} entries) to ${JSON.stringify(to)}`;
  },
  fileToDir(m, rng) {
    const n = m.pickNode((x) => x.type === 'file');
    if (!n) return undefined;
    unlinkSync(m.abs(n.rel));
    mkdirSync(m.abs(n.rel));
    writeFileSync(m.abs(path.join(n.rel, 'was-a-file')), randomBuffer(rng, randInt(rng, 0, 8 * KiB)));
    return `replace file ${JSON.stringify(n.rel)} by a directory`;
  },
  dirToFile(m, rng) {
    const n = m.pickNode((x) => x.type === 'dir' && !isProtectedDir(x) && x.subtree <= 50);
    if (!n) return undefined;
    rmSync(m.abs(n.rel), { recursive: true });
    writeFileSync(m.abs(n.rel), randomBuffer(rng, randInt(rng, 0, 8 * KiB)));
    return `replace directory ${JSON.stringify(n.rel)} (${n.subtree} entries) by a file`;
  },
  chmod(m, rng) {
    const n = m.pickNode((x) => x.type !== 'symlink');
    if (!n) return undefined;
    const mode = pick(rng, MODES);
    chmodSync(m.abs(n.rel), mode);
    return `chmod ${mode.toString(8)} ${JSON.stringify(n.rel)}`;
  },
  chown(m, rng) {
    const n = m.pickNode(() => true);
    if (!n) return undefined;
    const [uid, gid] = pick(rng, OWNERS);
    lchownSync(m.abs(n.rel), uid, gid);
    return `chown ${uid}:${gid} ${JSON.stringify(n.rel)}`;
  },
  xattr(m, rng) {
    const n = m.pickNode((x) => x.type === 'file' || x.type === 'dir' || rng() < 0.3);
    if (!n) return undefined;
    let name = pick(rng, XATTR_NAMES);
    // user.* xattrs are for regular files and directories only.
    if (n.type !== 'file' && n.type !== 'dir') name = 'trusted.t';
    const file = m.abs(n.rel);
    if (rng() < 0.3) {
      const r = spawnSync('setfattr', ['-h', '-x', name, file], { encoding: 'utf8' });
      return `remove xattr ${name} of ${JSON.stringify(n.rel)}${r.status === 0 ? '' : ' (had none)'}`;
    }
    const value = rng() < 0.2 ? Buffer.alloc(0) : randomBuffer(rng, randInt(rng, 1, 2000));
    setXattr(file, name, value);
    return `set xattr ${name} (${value.length} bytes) on ${JSON.stringify(n.rel)}`;
  },
  acl(m, rng) {
    const n = m.pickNode((x) => x.type === 'file' || x.type === 'dir');
    if (!n) return undefined;
    const file = m.abs(n.rel);
    const op = pick(rng, n.type === 'dir' ? ['add', 'remove', 'strip', 'default', 'no-default'] : ['add', 'remove', 'strip']);
    const who = pick(rng, ['u:1234', 'g:5678', 'u:65534', 'u:3000000000']);
    const perm = pick(rng, ['rwx', 'r--', '---', 'rw-']);
    const args = {
      add: ['-m', `${who}:${perm}`],
      remove: ['-x', who],
      strip: ['-b'],
      default: ['-d', '-m', `${who}:${perm}`],
      'no-default': ['-k'],
    }[op]!;
    const r = spawnSync('setfacl', [...args, file], { encoding: 'utf8' });
    if (r.status !== 0 && !/No such|not found/i.test(r.stderr)) throw new Error(`setfacl ${args.join(' ')} ${file}: ${r.stderr}`);
    return `setfacl ${args.join(' ')} ${JSON.stringify(n.rel)}`;
  },
  addHardlink(m) {
    const n = m.pickNode((x) => x.type === 'file');
    if (!n) return undefined;
    const to = m.newName(m.pickDir());
    linkSync(m.abs(n.rel), m.abs(to));
    return `hard link ${JSON.stringify(to)} to ${JSON.stringify(n.rel)} (now ${n.nlink + 1} links)`;
  },
  removeHardlink(m) {
    const n = m.pickNode((x) => x.type === 'file' && x.nlink > 1);
    if (!n) return undefined;
    unlinkSync(m.abs(n.rel));
    return `unlink ${JSON.stringify(n.rel)} (had ${n.nlink} links)`;
  },
  sparse(m, rng) {
    const n = m.pickNode((x) => x.type === 'file' && x.size >= 1 * MiB) ?? m.pickNode((x) => x.type === 'file');
    if (!n) return undefined;
    const file = m.abs(n.rel);
    const op = pick(rng, ['punch', 'punch', 'extend', 'write-in-hole', 'prealloc', 'prealloc-beyond-eof']);
    const offset = randInt(rng, 0, Math.max(0, n.size - 1));
    const length = randInt(rng, 1, 2 * MiB);
    switch (op) {
      case 'punch':
        sh('fallocate', ['-p', '-o', String(offset), '-l', String(length), file]);
        return `punch a hole of ${length} at ${offset} in ${JSON.stringify(n.rel)}`;
      case 'extend': {
        const size = Math.min(n.size + randInt(rng, 1, 16 * MiB), 256 * MiB);
        truncateSync(file, size);
        return `extend ${JSON.stringify(n.rel)} sparsely from ${n.size} to ${size}`;
      }
      case 'write-in-hole':
        writeAt(file, randomBuffer(rng, 4096), offset);
        return `write 4096 bytes at ${offset} of ${JSON.stringify(n.rel)}`;
      case 'prealloc':
        sh('fallocate', ['-o', String(offset), '-l', String(length), file]);
        return `preallocate ${length} at ${offset} in ${JSON.stringify(n.rel)}`;
      default:
        sh('fallocate', ['-n', '-o', String(n.size + 4096), '-l', String(length), file]);
        return `preallocate ${length} beyond the end of ${JSON.stringify(n.rel)}`;
    }
  },
  swap(m, rng) {
    const a = m.pickNode((x) => !x.huge || rng() < 0.5);
    if (!a) return undefined;
    const b = m.pickNode((x) => !isInside(x.rel, a.rel) && !isInside(a.rel, x.rel));
    if (!b) return undefined;
    // Moving a tree below another directory must not make its paths too long.
    const len = (x: Node) => Buffer.byteLength(x.rel);
    if (Math.max(len(b) + a.maxRel - len(a), len(a) + b.maxRel - len(b)) > MAX_REL_PATH) return undefined;
    if (Math.max(a.maxDepth - a.depth + b.depth, b.maxDepth - b.depth + a.depth) > 120) return undefined;
    const tmp = m.newName(path.dirname(a.rel) === '.' ? '' : path.dirname(a.rel));
    renameSync(m.abs(a.rel), m.abs(tmp));
    renameSync(m.abs(b.rel), m.abs(a.rel));
    renameSync(m.abs(tmp), m.abs(b.rel));
    return `swap ${a.type} ${JSON.stringify(a.rel)} and ${b.type} ${JSON.stringify(b.rel)}`;
  },
  invertParentChild(m, rng) {
    // dir P with subdirectory C: afterwards C is where P was and P is inside C.
    // C must not already hold an entry named like P, which P would have to replace.
    const subdirs = (d: Node) =>
      readdirSync(m.abs(d.rel))
        .sort()
        .filter((c) => lstatSync(m.abs(path.join(d.rel, c))).isDirectory() && lstatSync(m.abs(path.join(d.rel, c, path.basename(d.rel))), { throwIfNoEntry: false }) === undefined);
    const parents = m.dirs().filter((d) => !d.huge && d.maxRel + 256 < MAX_REL_PATH && d.maxDepth < 120 && subdirs(d).length > 0);
    if (parents.length === 0) return undefined;
    const p = pick(rng, parents);
    const c = pick(rng, subdirs(p));
    const parentDir = path.dirname(p.rel) === '.' ? '' : path.dirname(p.rel);
    const tmp = m.newName(parentDir);
    renameSync(m.abs(path.join(p.rel, c)), m.abs(tmp));
    renameSync(m.abs(p.rel), m.abs(path.join(tmp, path.basename(p.rel))));
    renameSync(m.abs(tmp), m.abs(p.rel));
    return `invert ${JSON.stringify(p.rel)} and its child ${JSON.stringify(c)}`;
  },
  retargetSymlink(m, rng) {
    const n = m.pickNode((x) => x.type === 'symlink' || (x.type === 'file' && rng() < 0.2));
    if (!n) return undefined;
    const target = pick(rng, ['../links/a.txt', 'nowhere', '/', '.', pick(rng, AWKWARD_NAMES), 'x/'.repeat(randInt(rng, 1, 1500))]);
    unlinkSync(m.abs(n.rel));
    symlinkSync(target, m.abs(n.rel));
    return `make ${n.type} ${JSON.stringify(n.rel)} a symlink to ${JSON.stringify(target.slice(0, 40))}`;
  },
  recreateSameName(m) {
    // Same name and content, new inode.
    const n = m.pickNode((x) => x.type === 'file' && x.size < 4 * MiB);
    if (!n) return undefined;
    const file = m.abs(n.rel);
    const tmp = m.abs(m.newName(path.dirname(n.rel) === '.' ? '' : path.dirname(n.rel)));
    sh('cp', ['-a', '--', file, tmp]);
    unlinkSync(file);
    renameSync(tmp, file);
    return `recreate ${JSON.stringify(n.rel)} as a new inode`;
  },
  special(m, rng) {
    const rel = m.newName(m.pickDir());
    const kind = pick(rng, ['fifo', 'chardev', 'socket']);
    if (kind === 'fifo') sh('mkfifo', [m.abs(rel)]);
    else if (kind === 'chardev') sh('mknod', [m.abs(rel), 'c', String(randInt(rng, 1, 200)), String(randInt(rng, 0, 255))]);
    else makeSocket(m.abs(rel));
    return `create ${kind} ${JSON.stringify(rel)}`;
  },
  bigDirChurn(m, rng) {
    const huge = m.dirs().filter((d) => d.huge);
    if (huge.length === 0) return undefined;
    const d = pick(rng, huge);
    const names = readdirSync(m.abs(d.rel));
    let deleted = 0;
    let renamed = 0;
    for (let i = 0; i < 100; i++) {
      const name = pick(rng, names);
      const file = m.abs(path.join(d.rel, name));
      if (!existsOrLink(file)) continue;
      if (rng() < 0.5) {
        rmSync(file, { recursive: true, force: true });
        deleted++;
      } else {
        renameSync(file, m.abs(m.newName(d.rel)));
        renamed++;
      }
    }
    for (let i = 0; i < 100; i++) writeFileSync(m.abs(m.newName(d.rel)), `churn ${i}\n`);
    return `in ${JSON.stringify(d.rel)}: delete ${deleted}, rename ${renamed}, create 100 entries`;
  },
  touch(m) {
    const n = m.pickNode(() => true);
    if (!n) return undefined;
    const mtime = m.randomTime();
    const atime = m.randomTime();
    setTimes(m.abs(n.rel), mtime, atime);
    return `set times of ${JSON.stringify(n.rel)}: mtime ${mtime}, atime ${atime}`;
  },
};

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/**
 * Applies a few random mutations to the tree under `root` and says what it
 * did, one line each. With `round` (1, 2, …), two kinds chosen by the round
 * number are always among them, so that 19 rounds go through every kind.
 */
export function mutate(root: string, rng: Rng, options: { round?: number; count?: number } = {}): string[] {
  const m = new Mutator(root, rng);
  const kinds: string[] = [];
  if (options.round !== undefined) {
    const k = MUTATION_KINDS.length;
    kinds.push(MUTATION_KINDS[(2 * (options.round - 1)) % k], MUTATION_KINDS[(2 * (options.round - 1) + 1) % k]);
  }
  const count = options.count ?? randInt(rng, 4, 8);
  while (kinds.length < count) kinds.push(pick(rng, MUTATION_KINDS));
  const done: string[] = [];
  for (const kind of kinds) {
    const what = MUTATIONS[kind](m, rng);
    done.push(what ? `${kind}: ${what}` : `${kind}: nothing to do`);
    m.rescan();
  }
  return done;
}
