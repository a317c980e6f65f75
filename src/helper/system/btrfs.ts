import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SNAPSHOT_DIR } from '../../core/ids';
import type { Subvolume } from '../../core/subvolume';
import { isAlive } from './process-alive';
import { randomUuid } from './random-id';
import { CommandError, runCommand } from './run-command';

/** The btrfs-progs commands Rewind uses, with their output parsed. */

const LIST_LINE =
  /^ID (\d+) gen (\d+) cgen (\d+) top level \d+ parent_uuid (\S+)\s+received_uuid (\S+)\s+uuid (\S+) path (.*)$/;

function uuidOrUndefined(value: string): string | undefined {
  return value === '-' ? undefined : value;
}

/**
 * The two listings a subvolume list needs (every subvolume with its UUIDs and
 * generations; the read-only ones), side by side in one bash: a process Node
 * starts blocks the helper's event loop while it forks; a process bash
 * starts does not.
 */
const LIST_SCRIPT = [
  'exec 3< <(btrfs subvolume list $3 -r "$1")',
  'btrfs subvolume list $3 -c -u -q -R "$1" || exit',
  'mapfile -t readOnly <&3',
  'wait $! || exit',
  'printf "%s\\n" "$2" "${readOnly[@]}"',
].join('\n');
const READ_ONLY_MARK = '-- read-only --';

/** Waits before each further try of a listing, in milliseconds. */
const LIST_RETRY_MS = [100, 400];

/**
 * The listing (two btrfs-progs 6.2 processes under one bash) now and then
 * exits 255 with nothing on stderr: seen in the system tests, after
 * subvolumes of the filesystem had just been deleted, and in bench/helper-ab;
 * 420 tries of deleting, remounting and listing did not bring it about on
 * their own. A listing only reads, so it is asked again before its failure
 * counts; a filesystem that cannot be listed fails the same way three times.
 */
async function listedAgainOnFailure(list: () => Promise<string>): Promise<string> {
  for (const wait of LIST_RETRY_MS) {
    try {
      return await list();
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return list();
}

/**
 * Every subvolume of the filesystem mounted (top level) at `mountPoint`.
 * `anyFolder`: `mountPoint` is any folder of the filesystem (a subvolume
 * mounted on its own): `-a` makes every path start at the top level, some
 * with a "<FS_TREE>/" in front, which is taken off.
 */
export async function listSubvolumes(mountPoint: string, options: { anyFolder?: boolean } = {}): Promise<Subvolume[]> {
  const list = () => runCommand('bash', ['-c', LIST_SCRIPT, 'rewind-list', mountPoint, READ_ONLY_MARK, options.anyFolder ? '-a' : '']);
  const out = await listedAgainOnFailure(list).catch((error: unknown) => {
    // Named as what failed, not as the script that ran it.
    if (!(error instanceof CommandError)) throw error;
    throw new CommandError(`btrfs subvolume list ${mountPoint}`, error.exitCode, error.stderr, { cause: error });
  });
  const lines = out.split('\n');
  const mark = lines.indexOf(READ_ONLY_MARK);
  if (mark < 0) throw new Error(`unexpected output from btrfs subvolume list ${mountPoint}`);
  const readOnlyIds = new Set(
    lines
      .slice(mark + 1)
      .map((line) => /^ID (\d+) /.exec(line)?.[1])
      .filter((id): id is string => id !== undefined),
  );
  const result: Subvolume[] = [];
  for (const line of lines.slice(0, mark)) {
    if (!line) continue;
    const m = LIST_LINE.exec(line);
    if (!m) throw new Error(`unexpected line from btrfs subvolume list: ${line}`);
    result.push({
      id: Number(m[1]),
      generation: Number(m[2]),
      createdGeneration: Number(m[3]),
      parentUuid: uuidOrUndefined(m[4]),
      receivedUuid: uuidOrUndefined(m[5]),
      uuid: m[6],
      path: options.anyFolder ? m[7].replace(/^<FS_TREE>\//, '') : m[7],
      readOnly: readOnlyIds.has(m[1]),
    });
  }
  return result;
}

export interface SubvolumeShow {
  /** Path below the top level ("home"); "" for the top level itself. */
  path: string;
  id: number;
  uuid: string;
  /** Set by `btrfs receive`; what a send of this subvolume names it by. */
  receivedUuid?: string;
  /**
   * The transaction in which a receive finished ("Receive transid"): 0 for
   * a subvolume no receive finished, set for one that was received and
   * later made writable (which clears its Received UUID).
   */
  receiveTransid: number;
}

/**
 * `btrfs subvolume show`: its first line, the subvolume's ID and UUID (its
 * output is refused without them), and any other "Name: value" field.
 */
async function showFields(path: string): Promise<{ first: string; id: number; uuid: string; field: (name: string) => string | undefined }> {
  const out = await runCommand('btrfs', ['subvolume', 'show', path]);
  const lines = out.split('\n');
  const field = (name: string) => {
    const line = lines.find((l) => l.trimStart().startsWith(`${name}:`));
    return line?.slice(line.indexOf(':') + 1).trim();
  };
  const id = Number(field('Subvolume ID'));
  const uuid = field('UUID');
  if (!uuid || !Number.isInteger(id)) throw new Error(`unexpected output from btrfs subvolume show ${path}`);
  return { first: lines[0].trim(), id, uuid, field };
}

/** Details of the subvolume whose root is `path`; fails when `path` is not a subvolume root. */
export async function showSubvolume(path: string): Promise<SubvolumeShow> {
  const { first, id, uuid, field } = await showFields(path);
  // The first line is the path below the top level, or "/" for the top level.
  const receivedUuid = uuidOrUndefined(field('Received UUID') ?? '-');
  const receiveTransid = Number(field('Receive transid') ?? '0');
  return { path: id === 5 ? '' : first, id, uuid, ...(receivedUuid ? { receivedUuid } : {}), receiveTransid: Number.isInteger(receiveTransid) ? receiveTransid : 0 };
}

/**
 * The subvolume at `below` on the filesystem whose top level is mounted at
 * `top`, as the listing would give it: one command instead of the listing's
 * two, for a subvolume the run has just made.
 */
export async function subvolumeAt(top: string, below: string): Promise<Subvolume> {
  const { id, uuid, field } = await showFields(join(top, below));
  const generation = Number(field('Generation'));
  const createdGeneration = Number(field('Gen at creation'));
  if (![generation, createdGeneration].every(Number.isInteger)) throw new Error(`unexpected output from btrfs subvolume show ${join(top, below)}`);
  return {
    id,
    generation,
    createdGeneration,
    parentUuid: uuidOrUndefined(field('Parent UUID') ?? '-'),
    receivedUuid: uuidOrUndefined(field('Received UUID') ?? '-'),
    uuid,
    path: below,
    readOnly: (field('Flags') ?? '').split(/[\s,]+/).includes('readonly'),
  };
}

/** Commits the filesystem's running transaction (and the data written before it). */
export async function syncFilesystem(path: string): Promise<void> {
  await runCommand('btrfs', ['filesystem', 'sync', path]);
}

/**
 * What `btrfs filesystem usage -b` says of the filesystem at `path`: its free
 * space (estimated) and its size, each undefined when it printed none.
 */
export async function filesystemUsage(path: string): Promise<{ freeBytes?: number; totalBytes?: number }> {
  const out = await runCommand('btrfs', ['filesystem', 'usage', '-b', path]);
  const number = (line: RegExp) => {
    const m = line.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  return { freeBytes: number(/Free \(estimated\):\s+(\d+)/), totalBytes: number(/Device size:\s+(\d+)/) };
}

export async function snapshotReadOnly(source: string, target: string): Promise<void> {
  await runCommand('btrfs', ['subvolume', 'snapshot', '-r', source, target]);
}

export async function deleteSubvolume(path: string): Promise<void> {
  await deleteSubvolumes([path]);
}

/** Deletes several subvolumes with one transaction commit at the end. */
export async function deleteSubvolumes(paths: readonly string[]): Promise<void> {
  if (paths.length > 0) await runCommand('btrfs', ['subvolume', 'delete', '--commit-after', ...paths]);
}

/**
 * A new scratch folder in the snapshot folder of the filesystem mounted at
 * `top`, for a point received or replayed there. Named after this process,
 * so that a later run knows the folders a killed helper left.
 */
export function scratchFolder(top: string): string {
  return join(top, SNAPSHOT_DIR, `.restore-${process.pid}-${randomUuid()}`);
}

/** Removes the scratch folders of processes that died (a helper killed during a restore or while a point was browsed). */
export async function removeStaleScratchFolders(top: string): Promise<string[]> {
  const names = await readdir(join(top, SNAPSHOT_DIR)).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = /^\.restore-(\d+)-[0-9a-f-]{36}$/.exec(name)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  });
  for (const name of stale) await removeScratchFolder(join(top, SNAPSHOT_DIR, name));
  return stale;
}

/** Removes a restore's scratch folder and the subvolumes received into it; best effort, so that cleaning up never hides the restore's own result. */
export async function removeScratchFolder(dir: string): Promise<void> {
  const left = await readdir(dir).catch(() => [] as string[]);
  await deleteSubvolumes(left.map((name) => join(dir, name))).catch(() => undefined);
  // Files extracted from stream files are plain files and folders (never followed: rm does not follow links).
  await rmdir(dir).catch(() => rm(dir, { recursive: true, force: true })).catch(() => undefined);
}

/** Filesystem UUID of a block device, read from the device itself (works without udev). */
export async function filesystemUuidOfDevice(device: string): Promise<string> {
  return runCommand('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]);
}
