import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { folderProblem, foldersOnTheWay } from '../config/config-trust';

/**
 * Giving a restored home's owners walks a copy of it by path, as root
 * (./give-owners.ts): that is safe only while nobody else can reach into the
 * folder that holds the copy, or swap a link in for it or for a folder above
 * it. The helper makes that folder (<top>/.rewind/<subvolume>) root's with
 * mode 700, but only when it is new; one that is there already is checked
 * here. A folder of someone else there was not made by Rewind: it is not
 * made root's behind its owner's back, the restore refuses.
 */
const OTHERS = 0o077;

/** Why `holder` is not root's alone, or undefined when it is. */
export async function rootOnlyProblem(holder: string): Promise<string | undefined> {
  const info = await lstat(holder);
  if (info.isSymbolicLink()) return `${holder} is a symbolic link, not a folder`;
  if (!info.isDirectory()) return `${holder} is not a folder`;
  if (info.uid !== 0) return `${holder} is owned by user ${info.uid}, not by root`;
  if ((info.mode & OTHERS) !== 0) return `${holder} can be entered by users other than root (mode ${(info.mode & 0o7777).toString(8)})`;
  // Above it, a folder others may write could have the holder renamed away and a link put in its place; a sticky one (/tmp) could not.
  for (const folder of await foldersOnTheWay(path.dirname(holder))) {
    const problem = folderProblem(await lstat(folder), false);
    if (problem) return `the folder ${folder} above ${holder} ${problem}`;
  }
  return undefined;
}

/** Refuses unless only root can reach into `holder`. */
export async function checkRootOnly(holder: string): Promise<void> {
  const problem = await rootOnlyProblem(holder);
  if (problem === undefined) return;
  throw new RewindError('InvalidArgs', `The restored files are not given to their owners here: ${problem}.`, {
    advice: 'Rewind keeps its snapshots in a folder only root can enter (mode 700), reached through folders only root can change. Find out who changed that and why, put it right, then restore again. Nothing was replaced.',
  });
}
