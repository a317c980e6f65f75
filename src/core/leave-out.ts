import type { SubvolumeSize } from './subvolume-size';

/**
 * Folders a person would expect a backup to leave out, and what leaving one
 * out means here. A snapshot leaves out the subvolumes inside it, so a
 * folder is left out by making it a subvolume of its own ("set apart":
 * src/helper/system/set-apart.ts): nothing to filter at backup time, nothing
 * copied. Including it again turns it back into a plain folder, but only
 * when Rewind made it (the helper keeps a record). A folder that is already
 * a subvolume Rewind did not make (a container store, a virtual machine
 * pool) is left out already; including it backs it up as a source of its
 * own and leaves the disk as it is (under the whole system: it leaves
 * `exclude`).
 */
export type LeaveOutId = 'cache' | 'trash' | 'downloads' | 'vm-images' | 'containers';

export interface LeaveOutCandidate {
  id: LeaveOutId;
  path: string;
  /** Ticked when first offered; Downloads is offered but kept. */
  byDefault: boolean;
}

/** The folders offered for leaving out in a home, `downloads` being the person's own Downloads folder (it has a name in their language). */
export function leaveOutCandidates(home: string, downloads = `${home}/Downloads`): LeaveOutCandidate[] {
  return [
    { id: 'cache', path: `${home}/.cache`, byDefault: true },
    { id: 'trash', path: `${home}/.local/share/Trash`, byDefault: true },
    { id: 'downloads', path: downloads, byDefault: false },
    { id: 'vm-images', path: `${home}/.local/share/gnome-boxes/images`, byDefault: true },
    { id: 'containers', path: `${home}/.local/share/containers`, byDefault: true },
  ];
}

/** Where a candidate stands now. */
export type LeaveOutState =
  /** Not there, or not measured yet: not offered. */
  | 'absent'
  /** A plain folder, backed up with the folder around it. */
  | 'included'
  /** A subvolume Rewind made (the helper's record: keptApartByRewind): left out; including it again makes it a folder. */
  | 'set-apart'
  /**
   * A subvolume Rewind did not make (a container store, a virtual machine
   * pool): left out unless chosen as a source of its own. Including it
   * never changes the disk: Rewind does not know what relies on it being so.
   */
  | 'apart';

/** `_exclude` is not read: the configuration's `exclude` also names subvolumes Rewind did not make (the whole system's). */
export function leaveOutState(path: string, listing: readonly SubvolumeSize[] | null, _exclude?: readonly string[]): LeaveOutState {
  const entry = listing?.find((s) => s.path === path);
  if (!entry || entry.problem === 'missing') return 'absent';
  if (!entry.subvolume) return entry.problem === 'not-subvolume' ? 'included' : 'absent';
  return entry.keptApartByRewind === true ? 'set-apart' : 'apart';
}

/** What to do so that exactly `wanted` of the candidates are left out. */
export interface LeaveOutChanges {
  /** Plain folders to make subvolumes of their own (and add to `exclude`). */
  setApart: string[];
  /** Subvolumes Rewind made to turn back into folders (and drop from `exclude`). */
  joinAgain: string[];
  /** Subvolumes Rewind did not make that are to be backed up: sources of their own (and dropped from `exclude`). */
  backUpApart: string[];
  /** Subvolumes backed up as sources of their own, to be left out again: no longer sources. */
  backUpNoMore: string[];
  /** The whole system: subvolumes already, to add to `exclude` (nothing changes on the disk). */
  excludeApart: string[];
  /** The whole system: subvolumes to drop from `exclude`, left as they are on the disk. */
  excludeNoMore: string[];
}

/**
 * `sources`: the folders the choice backs up (a subvolume among them is
 * not left out). `everySubvolume`: the choice is the whole system, which
 * backs up a subvolume unless `exclude` names it.
 */
export function leaveOutChanges(
  candidates: readonly LeaveOutCandidate[],
  wanted: readonly string[],
  listing: readonly SubvolumeSize[] | null,
  exclude: readonly string[],
  everySubvolume = false,
  sources: readonly string[] = [],
): LeaveOutChanges {
  const changes: LeaveOutChanges = { setApart: [], joinAgain: [], backUpApart: [], backUpNoMore: [], excludeApart: [], excludeNoMore: [] };
  for (const c of candidates) {
    const state = leaveOutState(c.path, listing);
    const leave = wanted.includes(c.path);
    if (state === 'included') {
      if (leave) changes.setApart.push(c.path);
    } else if (state === 'absent') {
      continue;
    } else if (everySubvolume) {
      if (leave && !exclude.includes(c.path)) changes.excludeApart.push(c.path);
      else if (!leave && exclude.includes(c.path)) changes.excludeNoMore.push(c.path);
    } else if (sources.includes(c.path)) {
      if (leave) changes.backUpNoMore.push(c.path);
    } else if (!leave) {
      (state === 'set-apart' ? changes.joinAgain : changes.backUpApart).push(c.path);
    }
  }
  return changes;
}

/**
 * The candidates left out now, or left out when first offered (`fresh`:
 * setup, nothing chosen yet). `everySubvolume`: the choice is the whole
 * system, which backs up a subvolume unless `exclude` names it.
 */
export function leftOutNow(
  candidates: readonly LeaveOutCandidate[],
  listing: readonly SubvolumeSize[] | null,
  exclude: readonly string[],
  sources: readonly string[],
  fresh: boolean,
  everySubvolume = false,
): string[] {
  return candidates
    .filter((c) => {
      const state = leaveOutState(c.path, listing);
      if (state === 'absent') return false;
      if (state === 'included') return fresh && c.byDefault;
      if (everySubvolume) return exclude.includes(c.path) || (fresh && (state === 'set-apart' || c.byDefault));
      return !sources.includes(c.path);
    })
    .map((c) => c.path);
}
