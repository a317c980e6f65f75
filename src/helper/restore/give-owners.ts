import { execFile, spawn } from 'node:child_process';
import { chmod, lchown, lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FolderOwnerIds, IdsInHome, OwnerMapping } from '../../core/owner-mapping';
import { restoreCancelled } from './restore-watch';

/**
 * Gives a restored home's files the owners the mapping says
 * (../../core/owner-mapping.ts), in a writable copy nobody uses yet and
 * nobody else can reach (inside the helper's own folder of snapshots): so
 * a failure or a cancel leaves nothing half-changed in use.
 *
 * - Links are never followed: a symbolic link's own owner changes
 *   (lchown), never its target's.
 * - chown clears the setuid and setgid bits of a file, even for root: they
 *   are put back as they were.
 * - The times stay: chown and chmod change only the change time, and the
 *   copy is on the helper's noatime mount, so reading folders sets no access
 *   time either.
 * - A file with several links is changed once, from the owner it had: with
 *   two people who swap numbers, a second visit would give it back.
 * - POSIX ACLs are kept; entries that name an old number are given the new
 *   one (getfacl/setfacl, when the acl tools are installed; otherwise they
 *   keep the old numbers).
 * - A file capability (security.capability) is dropped by the kernel on any
 *   chown; in a home there is normally none.
 */

/** More top-level folders than any home has; the others are not looked at. */
const MAX_FOLDERS = 10_000;

/** The home's top-level folders and their owners (each NAME stands for the account NAME of the old computer). */
export async function homeFolderOwners(root: string): Promise<FolderOwnerIds[]> {
  const folders: FolderOwnerIds[] = [];
  for await (const entry of await opendir(root)) {
    if (folders.length >= MAX_FOLDERS) break;
    if (!entry.isDirectory()) continue;
    const info = await lstat(path.join(root, entry.name)).catch(() => undefined);
    if (info?.isDirectory()) folders.push({ name: entry.name, uid: info.uid, gid: info.gid });
  }
  return folders;
}

/**
 * Every uid and gid that owns something in the home (`find -printf`, which
 * never follows links), so that nobody is given a number that files in it
 * already have (../../core/owner-mapping.ts, IdsInHome).
 */
export function idsInHome(root: string, signal?: AbortSignal): Promise<IdsInHome> {
  return new Promise((resolve, reject) => {
    const uids = new Set<number>();
    const gids = new Set<number>();
    const child = spawn('find', [root, '-printf', '%U %G\\n'], { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const [uid, gid] = line.split(' ').map(Number);
      uids.add(uid);
      gids.add(gid);
    });
    child.once('error', (error) => reject(signal?.aborted ? restoreCancelled() : error));
    child.once('close', (code) => {
      if (signal?.aborted) reject(restoreCancelled());
      else if (code !== 0) reject(new Error(`find: ${stderr.trim() || `exit ${code}`}`));
      else resolve({ uids, gids });
    });
  });
}

export interface OwnersGiven {
  /** Entries whose owner or group changed. */
  entries: number;
  /** ACLs whose named entries were given the new numbers. */
  acls: number;
}

export async function giveOwners(root: string, mapping: Pick<OwnerMapping, 'uids' | 'gids'>, signal?: AbortSignal): Promise<OwnersGiven> {
  const uids = new Map(mapping.uids);
  const gids = new Map(mapping.gids);
  if (uids.size === 0 && gids.size === 0) return { entries: 0, acls: 0 };
  const seen = new Set<number>();
  let entries = 0;
  const give = async (file: string): Promise<boolean> => {
    if (signal?.aborted) throw restoreCancelled();
    const info = await lstat(file);
    if (!info.isDirectory() && info.nlink > 1) {
      if (seen.has(info.ino)) return false;
      seen.add(info.ino);
    }
    const uid = uids.get(info.uid) ?? info.uid;
    const gid = gids.get(info.gid) ?? info.gid;
    if (uid !== info.uid || gid !== info.gid) {
      await lchown(file, uid, gid);
      if (!info.isSymbolicLink() && info.mode & 0o6000) await chmod(file, info.mode & 0o7777);
      entries += 1;
    }
    return info.isDirectory();
  };
  await give(root);
  const folders = [root];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for await (const entry of await opendir(folder)) {
      const file = path.join(folder, entry.name);
      if (await give(file)) folders.push(file);
    }
  }
  const acls = await giveAclEntries(root, uids, gids, signal);
  return { entries, acls };
}

/** A named ACL entry, as `getfacl -n` writes it: "user:1000:rw-", "default:group:1000:r-x", maybe with "#effective:…". */
const NAMED_ENTRY = /^((?:default:)?(user|group):)(\d+)(:.*)$/;

/**
 * `getfacl -R -P -n --skip-base` lists only the entries with more than the
 * mode's ACL; the listings that name an old number are rewritten and given
 * back to `setfacl --restore`, which reads the same escaped names.
 */
async function giveAclEntries(root: string, uids: Map<number, number>, gids: Map<number, number>, signal?: AbortSignal): Promise<number> {
  let listing: string;
  try {
    listing = await run('getfacl', ['-R', '-P', '-n', '--skip-base', '--absolute-names', '--', root], undefined, signal);
  } catch (error) {
    if (signal?.aborted) throw restoreCancelled();
    // Without the acl tools the ACLs are kept as they are, naming the old numbers.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const changed: string[] = [];
  for (const block of listing.split(/\n\n+/)) {
    let touched = false;
    const lines = block.split('\n').map((line) => {
      const m = NAMED_ENTRY.exec(line);
      if (!m) return line;
      const to = (m[2] === 'user' ? uids : gids).get(Number(m[3]));
      if (to === undefined) return line;
      touched = true;
      return `${m[1]}${to}${m[4]}`;
    });
    if (touched) changed.push(lines.join('\n'));
  }
  if (changed.length === 0) return 0;
  await run('setfacl', ['--restore=-'], `${changed.join('\n\n')}\n`, signal).catch((error: unknown) => {
    if (signal?.aborted) throw restoreCancelled();
    throw new Error(`setfacl: ${(error as Error).message}`);
  });
  return changed.length;
}

function run(file: string, args: string[], input: string | undefined, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(signal ? { signal } : {}) }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { message: stderr.trim() || error.message }));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
