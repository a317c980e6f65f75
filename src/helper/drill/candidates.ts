import { runCommand } from '../system/run-command';
import type { DrillCandidate } from '../../core/drill-sample';

/**
 * Every regular file of a local snapshot, as the drill's sample chooses
 * from them (src/core/drill-sample): two processes for the whole tree, not
 * one per file. `find` gives size, time, links and blocks; `getfattr -R`
 * (names only) which files carry xattrs. The snapshot is read-only and
 * root's: nothing in it is followed (-P, find never follows links), and a
 * name that is not UTF-8 is left out (it could not be named again exactly).
 */
const IGNORED_XATTRS = new Set(['security.selinux']);

/** getfattr writes a name's unusual bytes as \ooo (octal): undone, as UTF-8. */
export function unescapeOctal(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const m = /^\\([0-7]{3})/.exec(text.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1], 8));
      i += 3;
    } else if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Paths (relative to `root`) of files with an xattr other than their SELinux label. */
async function filesWithXattrs(root: string, timeoutMs: number): Promise<Set<string>> {
  const out = await runCommand('getfattr', ['-R', '-P', '--absolute-names', '-m', '-', '--', root], { timeoutMs }).catch(() => '');
  const found = new Set<string>();
  let file: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeOctal(line.slice(8));
    else if (line !== '' && file !== undefined && !IGNORED_XATTRS.has(line) && file.startsWith(`${root}/`)) found.add(file.slice(root.length + 1));
  }
  return found;
}

export async function listCandidates(root: string, timeoutMs: number): Promise<DrillCandidate[]> {
  const [listing, xattrs] = await Promise.all([
    runCommand('find', [root, '-xdev', '-type', 'f', '-printf', '%P\\0%s\\0%T@\\0%n\\0%b\\0'], { timeoutMs }),
    filesWithXattrs(root, timeoutMs),
  ]);
  const fields = listing.split('\0');
  const candidates: DrillCandidate[] = [];
  for (let i = 0; i + 5 <= fields.length; i += 5) {
    const [relative, size, mtime, links, blocks] = fields.slice(i, i + 5);
    if (relative.includes('\uFFFD')) continue;
    const bytes = Number(size);
    candidates.push({
      path: relative,
      size: bytes,
      mtimeMs: Number(mtime) * 1000,
      links: Number(links),
      xattrs: xattrs.has(relative),
      // A file stored inline or compressed may also use fewer blocks; it is still a file worth reading.
      sparse: Number(blocks) * 512 < bytes,
    });
  }
  return candidates;
}
