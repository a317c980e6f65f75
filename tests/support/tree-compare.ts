import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import path from 'node:path';

/**
 * Describes a tree the way a user would check a restore: for every entry its
 * type, mode, owner, size, modification time, content hash, link target,
 * device number and extended attributes (POSIX ACLs and file capabilities
 * included: they are the system.posix_acl_* and security.capability xattrs),
 * and which other paths are hard links to the same file. Two trees are equal
 * when their descriptions are.
 *
 * Times: the modification time is compared to the nanosecond for every entry
 * but the root directory (see compareTrees). The access time only with
 * `{ atime: true }`: reading a live tree changes it, but two read-only trees
 * (a snapshot and its backup) must agree on it too. The change time (ctime)
 * is never compared: the kernel sets it to "now" on every change, and no tool,
 * `btrfs receive` included, can set it.
 */
export interface EntryDescription {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: bigint;
  mtimeNs?: bigint;
  atimeNs?: bigint;
  sha256?: string;
  target?: string;
  rdev?: bigint;
  xattrs: string;
  nlink?: bigint;
  /** For a file with more than one link: all its paths in this tree, sorted. */
  links?: string;
  /**
   * Bytes allocated to a file (st_blocks × 512). Never compared: the same
   * content may be laid out differently (holes, preallocated extents).
   */
  allocated?: bigint;
}

export interface DescribeOptions {
  /** Also record access times (only meaningful for trees nobody reads through a writable mount). */
  atime?: boolean;
  /** Also compare the root directory's times (by default they are not; see compareTrees). */
  rootTimes?: boolean;
  /** Leave out the xattrs the kernel refuses to read (EINVAL), instead of failing. */
  skipUnreadableXattrs?: boolean;
}

/** getfattr writes "\", newline and carriage return in file names as \ooo. */
function unescapeGetfattrName(raw: string): string {
  const bytes = Buffer.from(raw.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))), 'latin1');
  return bytes.toString('utf8');
}

/**
 * The extended attributes of many paths (never following symlinks), with one
 * getfattr per batch of paths rather than one per path: a tree of 10,000
 * entries would otherwise take half a minute.
 */
function xattrsOfAll(paths: string[], skipUnreadable = false): Map<string, string> {
  const out = new Map<string, string>();
  const parse = (stdout: Buffer) => {
    for (const block of stdout.toString('latin1').split('\n\n')) {
      const lines = block.split('\n').filter(Boolean);
      if (lines.length === 0) continue;
      const header = lines[0];
      if (!header.startsWith('# file: ')) throw new Error(`unexpected getfattr output: ${JSON.stringify(block)}`);
      const file = unescapeGetfattrName(header.slice('# file: '.length));
      out.set(file, lines.slice(1).sort().join('\n'));
    }
  };
  let batch: string[] = [];
  let batchBytes = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const r = spawnSync('getfattr', ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', '--', ...batch], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 30,
    });
    const unreadableOnly = skipUnreadable && r.stderr.toString().split('\n').filter(Boolean).every((l) => l.endsWith(': Invalid argument'));
    if (r.status !== 0 && !unreadableOnly) throw new Error(`getfattr failed (${r.status ?? r.error}): ${r.stderr?.toString()}`);
    parse(r.stdout);
    batch = [];
    batchBytes = 0;
  };
  for (const p of paths) {
    batch.push(p);
    batchBytes += Buffer.byteLength(p) + 1;
    if (batchBytes > 512 * 1024) flush();
  }
  flush();
  return out;
}

function sha256Of(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function typeOf(st: BigIntStats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return 'file';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  if (st.isSocket()) return 'socket';
  return 'other';
}

export function describeTree(root: string, options: DescribeOptions = {}): Map<string, EntryDescription> {
  const out = new Map<string, EntryDescription>();
  const fullPaths: string[] = [];
  const byInode = new Map<bigint, string[]>();
  const visit = (rel: string) => {
    const full = path.join(root, rel);
    const st = lstatSync(full, { bigint: true });
    const type = typeOf(st);
    const entry: EntryDescription = {
      type,
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      xattrs: '',
    };
    // Directory mtimes change when receive creates entries in them; btrfs
    // receive sets them afterwards (utimes), so they are compared too.
    entry.mtimeNs = st.mtimeNs;
    if (options.atime) entry.atimeNs = st.atimeNs;
    if (type === 'file') {
      entry.size = st.size;
      entry.nlink = st.nlink;
      entry.allocated = st.blocks * 512n;
      entry.sha256 = sha256Of(full);
      if (st.nlink > 1n) {
        const paths = byInode.get(st.ino) ?? [];
        paths.push(rel);
        byInode.set(st.ino, paths);
      }
    }
    if (type === 'symlink') entry.target = readlinkSync(full);
    if (type === 'chardev' || type === 'blockdev') entry.rdev = st.rdev;
    out.set(rel || '.', entry);
    fullPaths.push(full);
    if (type === 'dir') {
      for (const name of readdirSync(full).sort()) visit(path.join(rel, name));
    }
  };
  visit('');
  const xattrs = xattrsOfAll(fullPaths, options.skipUnreadableXattrs);
  for (const [rel, entry] of out) entry.xattrs = xattrs.get(path.join(root, rel === '.' ? '' : rel)) ?? '';
  for (const paths of byInode.values()) {
    const links = [...paths].sort().join(' | ');
    for (const rel of paths) out.get(rel)!.links = links;
  }
  return out;
}

/**
 * The differences between two trees, one line each; empty when equal. Unless
 * `rootTimes` is set, the root directory's times are not compared, so that a
 * tree can be compared with a copy made in a new directory.
 */
export function compareTrees(expectedRoot: string, actualRoot: string, options: DescribeOptions = {}): string[] {
  return compareDescriptions(describeTree(expectedRoot, options), describeTree(actualRoot, options), options);
}

/** compareTrees for trees already described. */
export function compareDescriptions(
  expected: Map<string, EntryDescription>,
  actual: Map<string, EntryDescription>,
  options: DescribeOptions = {},
): string[] {
  const problems: string[] = [];
  for (const [rel, e] of expected) {
    const a = actual.get(rel);
    if (!a) {
      problems.push(`missing: ${JSON.stringify(rel)}`);
      continue;
    }
    const keys = new Set([...Object.keys(e), ...Object.keys(a)] as (keyof EntryDescription)[]);
    for (const key of keys) {
      if (key === 'allocated') continue;
      if (rel === '.' && !options.rootTimes && (key === 'mtimeNs' || key === 'atimeNs')) continue;
      if (e[key] !== a[key]) problems.push(`${JSON.stringify(rel)}: ${key} ${String(e[key])} != ${String(a[key])}`);
    }
  }
  for (const rel of actual.keys()) if (!expected.has(rel)) problems.push(`unexpected: ${JSON.stringify(rel)}`);
  return problems;
}
