import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { shResult } from './exec';

/**
 * Describes a tree the way a user would check a restore: for every entry its
 * type, mode, owner, size, modification time, content hash, link target and
 * extended attributes. Two trees are equal when their descriptions are.
 */
export interface EntryDescription {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: bigint;
  mtimeNs?: bigint;
  sha256?: string;
  target?: string;
  xattrs: string;
  nlink?: bigint;
}

function xattrsOf(file: string): string {
  const r = shResult('getfattr', ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', file]);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .sort()
    .join('\n');
}

export function describeTree(root: string): Map<string, EntryDescription> {
  const out = new Map<string, EntryDescription>();
  const visit = (rel: string) => {
    const full = path.join(root, rel);
    const st = lstatSync(full, { bigint: true });
    const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : 'other';
    const entry: EntryDescription = {
      type,
      mode: Number(st.mode),
      uid: Number(st.uid),
      gid: Number(st.gid),
      xattrs: xattrsOf(full),
    };
    if (type !== 'dir') entry.mtimeNs = st.mtimeNs;
    if (type === 'file') {
      entry.size = st.size;
      entry.nlink = st.nlink;
      entry.sha256 = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
    if (type === 'symlink') entry.target = readlinkSync(full);
    out.set(rel || '.', entry);
    if (type === 'dir') {
      // Directory mtimes change when receive creates entries in them; btrfs
      // receive sets them afterwards (utimes), so compare them too.
      entry.mtimeNs = st.mtimeNs;
      for (const name of readdirSync(full).sort()) visit(path.join(rel, name));
    }
  };
  visit('');
  return out;
}

/** The differences between two trees, one line each; empty when equal. */
export function compareTrees(expectedRoot: string, actualRoot: string): string[] {
  const expected = describeTree(expectedRoot);
  const actual = describeTree(actualRoot);
  const problems: string[] = [];
  for (const [rel, e] of expected) {
    const a = actual.get(rel);
    if (!a) {
      problems.push(`missing: ${rel}`);
      continue;
    }
    for (const key of Object.keys(e) as (keyof EntryDescription)[]) {
      if (rel === '.' && key === 'mtimeNs') continue;
      if (e[key] !== a[key]) problems.push(`${rel}: ${key} ${String(e[key])} != ${String(a[key])}`);
    }
  }
  for (const rel of actual.keys()) if (!expected.has(rel)) problems.push(`unexpected: ${rel}`);
  return problems;
}
