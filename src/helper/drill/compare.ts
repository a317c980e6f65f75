import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { runCommand } from '../system/run-command';
import { unescapeOctal } from './candidates';

/**
 * One sampled file as it came back from the backup, compared with the same
 * file in the snapshot on this computer that the backup was made from:
 * content byte for byte, then mode, owner, modification time (to the
 * nanosecond) and xattrs. Each difference is a sentence naming the file.
 * The SELinux label is left out: a restore gives files the restoring
 * machine's labels, by design (docs/restore.md).
 */
const CHUNK = 1024 * 1024;
const IGNORED_XATTRS = new Set(['security.selinux']);

/** The first offset where the two files differ, or undefined when they are the same bytes. */
async function firstDifference(a: string, b: string): Promise<number | undefined> {
  const [fa, fb] = await Promise.all([open(a, constants.O_RDONLY | constants.O_NOFOLLOW), open(b, constants.O_RDONLY | constants.O_NOFOLLOW)]);
  try {
    const ba = Buffer.alloc(CHUNK);
    const bb = Buffer.alloc(CHUNK);
    for (let offset = 0; ; ) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, CHUNK, offset), fb.read(bb, 0, CHUNK, offset)]);
      const n = Math.min(ra.bytesRead, rb.bytesRead);
      if (ba.subarray(0, n).compare(bb.subarray(0, n)) !== 0) {
        for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return offset + i;
      }
      if (ra.bytesRead !== rb.bytesRead) return offset + n;
      if (n === 0) return undefined;
      offset += n;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Files per getfattr call: well below any limit on a command line's length. */
const BATCH = 100;

/**
 * The xattrs of each of `files` (absolute paths), name → value in hex,
 * without the SELinux label: one getfattr per hundred files, not one per
 * file (a drill's sample is hundreds). A file without xattrs, or that is
 * not there, has none.
 */
export async function xattrsOfAll(files: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const all = new Map<string, Map<string, string>>(files.map((f) => [f, new Map()]));
  // Only files that are there: getfattr fails for one that is not (a file that did not come back is said by the comparison).
  const present = (await Promise.all(files.map(async (f) => ((await lstat(f).catch(() => undefined))?.isFile() ? f : undefined)))).filter((f) => f !== undefined);
  for (let i = 0; i < present.length; i += BATCH) {
    const out = await runCommand('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', ...present.slice(i, i + BATCH)]);
    let values: Map<string, string> | undefined;
    for (const line of out.split('\n')) {
      if (line.startsWith('# file: ')) values = all.get(unescapeOctal(line.slice(8)));
      else if (line === '' || line.startsWith('#') || !values) continue;
      else {
        const eq = line.indexOf('=');
        const name = eq < 0 ? line : line.slice(0, eq);
        if (!IGNORED_XATTRS.has(name)) values.set(name, eq < 0 ? '' : line.slice(eq + 1));
      }
    }
  }
  return all;
}

const octal = (mode: bigint) => `0${(Number(mode) & 0o7777).toString(8)}`;

function nsTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const rest = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${rest}Z`;
}

/**
 * What differs between `relative` as it came back (`restored`) and as this
 * computer's snapshot has it (`original`); empty when nothing. `xattrs`
 * holds both files' xattrs (xattrsOfAll).
 */
export async function compareRestored(relative: string, original: string, restored: string, xattrs: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<string[]> {
  const back = await lstat(restored, { bigint: true }).catch(() => undefined);
  if (!back) return [`${relative}: it did not come back from the backup`];
  const here = await lstat(original, { bigint: true });
  if (!back.isFile()) return [`${relative}: it came back as something other than a file`];
  const problems: string[] = [];
  if (back.size !== here.size) {
    problems.push(`${relative}: it came back as ${back.size} bytes; on this computer's snapshot it has ${here.size}`);
  } else {
    const at = await firstDifference(original, restored);
    if (at !== undefined) problems.push(`${relative}: its content differs from this computer's snapshot from byte ${at} on`);
  }
  if ((back.mode & 0o7777n) !== (here.mode & 0o7777n)) problems.push(`${relative}: its permissions came back as ${octal(back.mode)}, not ${octal(here.mode)}`);
  if (back.uid !== here.uid || back.gid !== here.gid) problems.push(`${relative}: its owner came back as ${back.uid}:${back.gid}, not ${here.uid}:${here.gid}`);
  if (back.mtimeNs !== here.mtimeNs) problems.push(`${relative}: its modification time came back as ${nsTime(back.mtimeNs)}, not ${nsTime(here.mtimeNs)}`);
  const none = new Map<string, string>();
  const [xa, xb] = [xattrs.get(original) ?? none, xattrs.get(restored) ?? none];
  for (const [name, value] of xa) {
    if (!xb.has(name)) problems.push(`${relative}: its extended attribute ${name} did not come back`);
    else if (xb.get(name) !== value) problems.push(`${relative}: its extended attribute ${name} came back with another value`);
  }
  for (const name of xb.keys()) if (!xa.has(name)) problems.push(`${relative}: it came back with an extended attribute ${name} it does not have`);
  return problems;
}
