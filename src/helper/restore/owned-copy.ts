import { lstat, rename } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { ownerMapping, type OwnersChange } from '../../core/owner-mapping';
import { accountsLivingIn } from '../system/accounts';
import { runCommand } from '../system/run-command';
import { giveOwners, homeFolderOwners, idsInHome } from './give-owners';
import { checkRootOnly } from './root-only-folder';

/**
 * The writable subvolume a whole restore swaps in, made at `target` from
 * the received read-only one (`restored`), with the files of the people
 * who have an account here given to that account (../../core/owner-mapping.ts).
 *
 * `homes`: the folder the home comes back to (/home), whose accounts are
 * looked up; undefined where this computer's accounts are not the ones the
 * home is for (a live system restoring a backup by path), and then the
 * owners stay as they were.
 *
 * The owners are changed in a copy beside the received one, in the
 * helper's folder of snapshots that only root can enter (checked first,
 * ./root-only-folder.ts: the folder may be older than the restore): nobody
 * can reach it or swap a link into it while it is walked, and only a
 * complete copy is moved to `target`. A failure or cancel deletes the copy.
 */
/** A failure of the owners step itself (looking up whose files are whose, changing them), not of making the copy. */
export class OwnersNotGiven extends Error {
  constructor(cause: unknown) {
    super((cause as Error).message, { cause });
    this.name = 'OwnersNotGiven';
  }
}

/** Runs one part of the owners step, its failure marked as the owners step's. */
async function ownersStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof RewindError ? error : new OwnersNotGiven(error);
  }
}

/**
 * Why the copy to swap in could not be made, in words: only a failure of
 * the owners step says that the files could not be given to their owners; a
 * failed snapshot (also in a restore whose owners stay, `homes` undefined)
 * names its own cause.
 */
export function copyFailure(error: unknown): RewindError {
  const advice = 'Nothing was replaced. Try again; if it keeps failing, report it with the system log.';
  if (error instanceof OwnersNotGiven) {
    return new RewindError('Internal', `The restored files could not be given to their owners on this computer: ${error.message}`, { cause: error, advice });
  }
  if (error instanceof RewindError) return error;
  return new RewindError('Internal', `The restored copy to use could not be made from the received backup: ${(error as Error).message}`, { cause: error, advice });
}

export async function ownedCopy(restored: string, target: string, homes: string | undefined, signal?: AbortSignal): Promise<OwnersChange | undefined> {
  if (homes === undefined) {
    await runCommand('btrfs', ['subvolume', 'snapshot', restored, target]);
    return undefined;
  }
  await checkRootOnly(path.dirname(restored));
  const folders = await ownersStep(() => homeFolderOwners(restored));
  const accounts = await ownersStep(() => accountsLivingIn(homes, folders.map((f) => f.name)));
  let mapping = ownerMapping(folders, accounts);
  // Only when someone is to be given a number: whether files of the home have it already (a walk of the whole tree).
  if (mapping.uids.length > 0 || mapping.gids.length > 0) mapping = ownerMapping(folders, accounts, await ownersStep(() => idsInHome(restored, signal)));
  const change = (entries: number): OwnersChange => ({ given: mapping.given, kept: mapping.kept, entries });
  if (mapping.uids.length === 0 && mapping.gids.length === 0) {
    await runCommand('btrfs', ['subvolume', 'snapshot', restored, target]);
    return change(0);
  }
  const copy = `${restored}.giving-owners`;
  // One left by a restore stopped hard (the helper killed) is half-changed: btrfs would make the new copy inside it.
  if (await lstat(copy).catch(() => undefined)) await runCommand('btrfs', ['subvolume', 'delete', copy]);
  await runCommand('btrfs', ['subvolume', 'snapshot', restored, copy]);
  try {
    const given = await ownersStep(() => giveOwners(copy, mapping, signal));
    await rename(copy, target);
    return change(given.entries);
  } catch (error) {
    await runCommand('btrfs', ['subvolume', 'delete', copy]).catch(() => undefined);
    throw error;
  }
}
