import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { RewindError, ADVICE } from '../../core/errors';
import { programsUsing } from '../../core/folder-in-use';
import { alreadyDone, setApartProblem, type FolderFacts, type SetApartDirection } from '../../core/set-apart-check';
import { isBackupCandidate, locate } from '../engine/sources';
import { deleteSubvolume, listSubvolumes } from './btrfs';
import { writeFileAtomic } from './atomic-write';
import { exchangePaths } from './exchange';
import { isKeptApartByRewind, keptApartList, noteKeptApart, uuidAt } from './kept-apart';
import { readMountTable, type MountEntry } from './mountinfo';
import { processesUsing } from './processes';
import { runCommand } from './run-command';

/**
 * Sets a folder apart: makes it a subvolume of its own, so that every
 * snapshot of the subvolume around it leaves it out (what "Leave out" means,
 * at no cost at backup time), or joins it again (a plain folder once more).
 * Nothing is copied: the contents are cloned by reference into the new
 * subvolume (or folder), with owners, modes, times, xattrs and ACLs
 * (`cp -a --reflink=always`), and the two are swapped in one atomic rename
 * (./exchange.ts). Steps, each safe to be killed after:
 *   1. a new subvolume (or folder) `.NAME.rewind-new` beside the folder;
 *   2. the contents cloned into it;
 *   3. the swap: NAME is now the new one, `.NAME.rewind-new` the old one;
 *   4. the old one deleted.
 * Whenever it stops, NAME is whole: the old folder until step 3, the new one
 * after. What is left named `.NAME.rewind-new` is removed by the next call,
 * and by the next backup before it takes a snapshot: the folders being
 * worked on are listed in `<state>/set-apart-pending` until they are done
 * (the listings never offer a leftover: src/core/nested-subvolume.ts). It refuses a
 * folder in use in a way the swap would break (src/core/folder-in-use.ts),
 * one that holds a mount point or a subvolume, and the system's own folders.
 * With a state folder, the subvolumes it makes are noted there
 * (./kept-apart.ts), before the swap, and only those are joined again: a
 * subvolume that came with the system is left as it is.
 */
export type SetApartStep = 'checked' | 'created' | 'copied' | 'swapped' | 'done';

export interface SetApartOptions {
  /** Called after each step (tests stop the process there). */
  onStep?: (step: SetApartStep) => void;
  /** Folders backed up on their own (the configuration's sources): never joined. */
  sources?: readonly string[];
  /** The helper's state folder, where the folders being worked on are listed. */
  stateDir?: string;
}

/** Cloning a large folder by reference still writes its metadata: minutes for a million files. */
const COPY_TIME_LIMIT_MS = 30 * 60 * 1000;

function leftoverOf(folder: string): string {
  return path.join(path.dirname(folder), `.${path.basename(folder)}.rewind-new`);
}

async function isSubvolumeRoot(folder: string): Promise<boolean> {
  // A subvolume's root folder has inode 256 (BTRFS_FIRST_FREE_OBJECTID).
  return (await lstat(folder).catch(() => undefined))?.ino === 256;
}

const PENDING = 'set-apart-pending';

async function pendingFolders(stateDir: string): Promise<string[]> {
  const text = await readFile(path.join(stateDir, PENDING), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.startsWith('/'));
}

async function markPending(stateDir: string | undefined, folder: string, pending: boolean): Promise<void> {
  if (stateDir === undefined) return;
  const others = (await pendingFolders(stateDir)).filter((f) => f !== folder);
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(path.join(stateDir, PENDING), [...others, ...(pending ? [folder] : [])].map((f) => `${f}\n`).join(''), 0o600);
}

/**
 * Removes what interrupted calls left beside the folders they worked on (a
 * backup run does this first, so that a half-deleted old folder is never
 * backed up); answers those folders.
 */
export async function finishSetApart(stateDir: string): Promise<string[]> {
  const folders = await pendingFolders(stateDir);
  for (const folder of folders) {
    await removeLeftover(folder);
    await markPending(stateDir, folder, false);
  }
  return folders;
}

/** Removes what an interrupted call left beside `folder`. */
export async function removeLeftover(folder: string): Promise<void> {
  const left = leftoverOf(folder);
  const info = await lstat(left).catch(() => undefined);
  if (!info) return;
  if (info.isDirectory() && info.ino === 256) await deleteSubvolume(left);
  else await rm(left, { recursive: true, force: true });
}

async function factsOf(folder: string, sources: readonly string[], stateDir: string | undefined): Promise<FolderFacts & { fsUuid?: string; dev?: number; ino?: number }> {
  const info = await lstat(folder).catch(() => undefined);
  const base: FolderFacts = {
    path: folder,
    isFolder: info?.isDirectory() ?? false,
    onBtrfs: false,
    isSubvolumeRoot: false,
    isMountRoot: false,
    mountsInside: [],
    subvolumesInside: [],
    programs: [],
    configuredSource: sources.includes(folder),
  };
  if (!info?.isDirectory()) return base;
  const location = await locate(folder).catch(() => undefined);
  if (!location) return base;
  const mounts = await readMountTable();
  const below = location.pathBelowTop;
  const subvolumes = await listSubvolumes(folder, { anyFolder: true });
  return {
    ...base,
    onBtrfs: true,
    fsUuid: location.fsUuid,
    dev: info.dev,
    ino: info.ino,
    isSubvolumeRoot: location.isSubvolumeRoot,
    ...(location.isSubvolumeRoot && stateDir !== undefined ? { madeByRewind: await isKeptApartByRewind(await keptApartList(stateDir), folder) } : {}),
    isMountRoot: below === '' || mounts.some((m) => m.target === folder),
    mountsInside: mounts.filter((m) => m.target.startsWith(`${folder}/`)).map((m) => m.target),
    mountedElsewhere: boundElsewhere(mounts, folder, location.device, below),
    subvolumesInside: subvolumes.filter((s) => s.path.startsWith(`${below}/`) && isBackupCandidate(s)).map((s) => path.join(folder, s.path.slice(below.length + 1))),
    programs: programsUsing(await processesUsing(folder), folder),
  };
}

/**
 * Mounts of the same filesystem whose root is `below` (the folder's path
 * from the filesystem's top) or inside it, mounted somewhere outside the
 * folder: bind mounts of it. mountinfo names each mount's root from the top
 * of the filesystem, whichever subvolume or folder it was mounted from.
 */
function boundElsewhere(mounts: readonly MountEntry[], folder: string, device: string, below: string): string[] {
  const root = `/${below}`;
  return mounts
    .filter((m) => m.fstype === 'btrfs' && m.source === device && (m.root === root || m.root.startsWith(`${root}/`)))
    .filter((m) => m.target !== folder && !m.target.startsWith(`${folder}/`))
    .map((m) => m.target);
}

function refuse(detail: string): never {
  throw new RewindError('InvalidArgs', detail, { advice: ADVICE.inDetail });
}

/** Sets `folder` apart (direction "apart") or joins it again ("join"); answers whether it is apart now. */
export async function setApart(folder: string, direction: SetApartDirection, options: SetApartOptions = {}): Promise<{ path: string; apart: boolean }> {
  const step = options.onStep ?? (() => undefined);
  await removeLeftover(folder);
  const facts = await factsOf(folder, options.sources ?? [], options.stateDir);
  if (alreadyDone(facts, direction)) return { path: folder, apart: direction === 'apart' };
  const problem = setApartProblem(facts, direction);
  if (problem) refuse(problem);
  step('checked');

  const fresh = leftoverOf(folder);
  await markPending(options.stateDir, folder, true);
  try {
    if (direction === 'apart') {
      await runCommand('btrfs', ['subvolume', 'create', fresh]);
      // Noted before the swap: a kill after it leaves a subvolume Rewind knows it made.
      if (options.stateDir !== undefined) await noteKeptApart(options.stateDir, folder, await uuidAt(fresh));
    } else await mkdir(fresh, { mode: 0o700 });
    step('created');
    await runCommand('cp', ['-a', '--reflink=always', '--', `${folder}/.`, `${fresh}/`], { timeoutMs: COPY_TIME_LIMIT_MS });
    step('copied');
  } catch (error) {
    // The folder was not touched: what was made beside it goes.
    await removeLeftover(folder).catch(() => undefined);
    throw new RewindError('TransferFailed', `Could not change ${folder}; it is as it was (${(error as Error).message.trim()}). Try again.`, { cause: error, advice: ADVICE.inDetail });
  }

  // What was checked must still be so: the same folder, nobody started using it meanwhile.
  const now = await lstat(folder).catch(() => undefined);
  if (now?.dev !== facts.dev || now?.ino !== facts.ino) refuse(`${folder} changed while Rewind worked on it; nothing was changed. Try again.`);
  const programs = programsUsing(await processesUsing(folder), folder);
  if (programs.length > 0) {
    await removeLeftover(folder);
    refuse(setApartProblem({ ...facts, programs }, direction) ?? `${folder} is in use.`);
  }
  await exchangePaths(folder, fresh);
  step('swapped');
  await removeLeftover(folder);
  if (direction === 'join' && options.stateDir !== undefined) await noteKeptApart(options.stateDir, folder, undefined);
  await markPending(options.stateDir, folder, false);
  step('done');
  return { path: folder, apart: await isSubvolumeRoot(folder) };
}
