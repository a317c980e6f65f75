import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, open, rename, symlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import type { NodeMeta } from '../../core/send-stream/node-meta';
import { pathParts, type NodeType } from '../../core/send-stream/tree-model';
import { ExactTimes, type TimesOf } from './exact-times';

/**
 * The files a restore extracted from stream files, put in place: the
 * requested paths with everything below them, and the folders above them up
 * to the subvolume's root (each with its own owner, mode, times and xattrs,
 * so that a user's copy out of it is allowed exactly what the snapshot would
 * have allowed).
 *
 * Nothing here follows a name: each folder is made by this code and then
 * used through a descriptor opened without following links
 * (/proc/self/fd/N/name, so no path is ever longer than one name), and a
 * restored name is given to an entry only at the end. Meanwhile each entry
 * has a hidden ASCII name of this code's choosing, which is what the tools
 * that set what Node cannot set exactly (nanosecond times: ./exact-times,
 * one process for the whole tree; xattrs: setfattr, one run per folder that
 * has any; fifos and devices: mkfifo, mknod) are given, never a name from
 * the stream. Per folder: make the entries (files are hard links to their
 * staged data), fill the subfolders, then owner, mode, xattrs, times, and
 * last the names (a rename changes the folder's own times, which its parent
 * sets afterwards). Sockets are left out, as they mean nothing once their
 * program is gone. xattrs this kernel refuses are left out, as a replay
 * leaves them out (the restoring machine's defaults apply).
 */
export interface TreeSource {
  root: number;
  typeOf(id: number): NodeType;
  entriesOf(id: number): ReadonlyMap<string, number>;
}

interface Entry {
  name: string;
  id: number;
  temp: string;
  full: boolean;
}

export class ExtractedTree {
  /** For each folder above a requested path, the names on the way. */
  private readonly partial = new Map<number, Set<string>>();
  private readonly full = new Set<number>();

  constructor(
    private readonly tree: TreeSource,
    private readonly meta: ReadonlyMap<number, NodeMeta>,
    /** Where each file's data is (./staged-files). */
    private readonly dataOf: (id: number) => string,
    paths: readonly string[],
  ) {
    for (const p of paths) {
      let id = tree.root;
      for (const part of pathParts(p)) {
        let names = this.partial.get(id);
        if (!names) this.partial.set(id, (names = new Set()));
        names.add(part);
        id = tree.entriesOf(id).get(part)!;
      }
      this.full.add(id);
    }
  }

  /** Makes the subvolume's root as `into/name` (into must exist), with what is wanted below it. */
  async build(into: string, name: string): Promise<string> {
    const times = ExactTimes.start();
    const top = await openDir(into).catch(async (error: unknown) => {
      await times.close();
      throw error;
    });
    try {
      await mkdir(at(top, name), { mode: 0o700 });
      const root = await openDir(at(top, name));
      try {
        await this.fill(root, this.tree.root, this.full.has(this.tree.root), times);
      } finally {
        await root.close();
      }
      await this.settle(top, [{ name, id: this.tree.root, temp: name, full: false }], times);
    } finally {
      await times.close();
      await top.close();
    }
    return path.join(into, name);
  }

  /** The entries of the folder `id`, open as `dir`: made, filled, settled and named. */
  private async fill(dir: FileHandle, id: number, full: boolean, times: ExactTimes): Promise<void> {
    const only = full ? undefined : this.partial.get(id);
    const chosen = [...this.tree.entriesOf(id)].filter(([name]) => only === undefined || only.has(name));
    const prefix = hiddenPrefix(chosen.map(([name]) => name));
    const entries: Entry[] = chosen.map(([name, child], k) => ({ name, id: child, temp: `${prefix}${k}`, full: full || this.full.has(child) }));
    const special: Entry[] = [];
    for (const entry of entries) {
      const type = this.tree.typeOf(entry.id);
      const where = at(dir, entry.temp);
      if (type === 'file') await link(this.dataOf(entry.id), where);
      else if (type === 'symlink') await symlink(Buffer.from(this.meta.get(entry.id)?.target ?? new Uint8Array(0)), where);
      else if (type === 'dir') {
        await mkdir(where, { mode: 0o700 });
        const sub = await openDir(where);
        try {
          await this.fill(sub, entry.id, entry.full, times);
        } finally {
          await sub.close();
        }
      } else if (type !== 'socket') special.push(entry);
    }
    if (special.length > 0) await script(dir, special.map((e) => makeSpecial(e.temp, this.tree.typeOf(e.id), this.meta.get(e.id))).join('\n'));
    const made: Entry[] = [];
    for (const entry of entries) if (await lstat(at(dir, entry.temp)).catch(() => undefined)) made.push(entry);
    await this.settle(dir, made, times);
    const here = Buffer.from(`/proc/self/fd/${dir.fd}/`);
    for (const entry of made) await rename(at(dir, entry.temp), Buffer.concat([here, Buffer.from(entry.name, 'latin1')]));
  }

  /** Owner, mode, xattrs and times of the entries of one folder, by their hidden names. */
  private async settle(dir: FileHandle, entries: readonly Entry[], times: ExactTimes): Promise<void> {
    let xattrs = '';
    const timed: TimesOf[] = [];
    for (const entry of entries) {
      const meta = this.meta.get(entry.id);
      if (!meta) continue;
      const where = at(dir, entry.temp);
      const type = this.tree.typeOf(entry.id);
      if (meta.uid !== undefined && meta.gid !== undefined) await lchown(where, meta.uid, meta.gid);
      if (meta.mode !== undefined && type !== 'symlink') await chmod(where, meta.mode);
      if (meta.xattrs.size > 0) {
        xattrs += `# file: /proc/self/fd/3/${entry.temp}\n`;
        for (const [name, value] of meta.xattrs) xattrs += `${quote(Buffer.from(name, 'latin1'))}=0x${Buffer.from(value).toString('hex')}\n`;
        xattrs += '\n';
      }
      timed.push({ path: fromOutside(dir, entry.temp), atime: meta.atime, mtime: meta.mtime });
    }
    // What this kernel refuses (a label its policy does not know, a capability that is not valid) is left out.
    if (xattrs !== '') await run(dir, ['setfattr', '-h', '--restore=-'], xattrs, false);
    await times.set(timed);
  }
}

function at(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** The same for another process. */
function fromOutside(dir: FileHandle, name: string): string {
  return `/proc/${process.pid}/fd/${dir.fd}/${name}`;
}

async function openDir(where: string): Promise<FileHandle> {
  return open(where, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}

/** A prefix no name in the folder starts with. */
function hiddenPrefix(names: readonly string[]): string {
  for (;;) {
    const prefix = `.rewind-${randomBytes(4).toString('hex')}-`;
    if (!names.some((n) => n.startsWith(prefix))) return prefix;
  }
}

/** A name for setfattr's --restore input: bytes it would read otherwise as octal escapes. */
function quote(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b <= 0x20 || b >= 0x7f || b === 0x3d || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  return out;
}

function makeSpecial(temp: string, type: NodeType, meta: NodeMeta | undefined): string {
  if (type === 'fifo') return `mkfifo -m 600 -- ${temp} || true`;
  const rdev = meta?.rdev ?? 0;
  // send encodes device numbers as the kernel's new_encode_dev does.
  const major = (rdev & 0xfff00) >>> 8;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  return `mknod -m 600 -- ${temp} ${type === 'chr' ? 'c' : 'b'} ${major} ${minor} || true`;
}

/** A script of this code's own (hidden names and numbers only), run in the folder. */
async function script(dir: FileHandle, text: string): Promise<void> {
  await run(dir, ['sh', '-s'], `cd /proc/self/fd/3 || exit 1\nset -e\n${text}\n`, true);
}

function run(dir: FileHandle, command: string[], input: string, mustSucceed: boolean): Promise<void> {
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'ignore', 'pipe', dir.fd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 || !mustSucceed) resolve();
      else reject(new RewindError('TransferFailed', `Making the restored files failed: ${stderr.trim() || `exit ${code}`}.`));
    });
  });
}
