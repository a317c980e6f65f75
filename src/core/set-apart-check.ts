/**
 * Whether a folder may be set apart (made a subvolume of its own, so every
 * snapshot around it leaves it out) or joined again (made a plain folder),
 * from what the helper found out about it (src/helper/system/set-apart.ts).
 * The answer is a sentence for the person who asked, in plain words: the
 * app shows it as it is.
 */
export type SetApartDirection = 'apart' | 'join';

export interface FolderFacts {
  path: string;
  /** It exists and is a folder (not a link). */
  isFolder: boolean;
  onBtrfs: boolean;
  /** It is the root of a subvolume (already apart). */
  isSubvolumeRoot: boolean;
  /** It is the top level of its filesystem, or a mount point. */
  isMountRoot: boolean;
  /** Mount points inside it (another disk, a share, a bind mount). */
  mountsInside: string[];
  /**
   * Where it, or a folder inside it, is mounted elsewhere too (a bind mount:
   * a container's volume, a sandbox's view): after the swap those would go
   * on showing the old folder, and what is written through them would land
   * where nobody looks.
   */
  mountedElsewhere?: string[];
  /** Subvolumes inside it, other than itself. */
  subvolumesInside: string[];
  /** Programs using it in a way a swap would break (src/core/folder-in-use.ts). */
  programs: string[];
  /** It is backed up on its own (a configured source). */
  configuredSource: boolean;
  /**
   * For a subvolume: whether Rewind made it by setting the folder apart (the
   * helper's own record, src/helper/system/kept-apart.ts). Undefined: not
   * known, not asked. Only what Rewind made is joined again.
   */
  madeByRewind?: boolean;
}

/** Folders of the operating system itself: never swapped under running programs. */
const SYSTEM = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib/rewind'];

export function isSystemFolder(path: string): boolean {
  return path === '/' || SYSTEM.some((s) => path === s || path.startsWith(`${s}/`));
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, 3).join(', ');
  return items.length > 3 ? `${shown} and ${items.length - 3} more` : shown;
}

/** Why `facts.path` cannot be set apart (or joined again) now, or undefined when it can. */
export function setApartProblem(facts: FolderFacts, direction: SetApartDirection): string | undefined {
  const p = facts.path;
  if (isSystemFolder(p)) return `${p} belongs to the operating system; Rewind leaves it as it is.`;
  if (!facts.isFolder) return `${p} is not a folder, or it is not there any more.`;
  if (!facts.onBtrfs) return `${p} is on a disk where Rewind cannot keep folders apart.`;
  if (facts.isMountRoot) return `${p} is a disk or share of its own; Rewind leaves it as it is.`;
  if (direction === 'apart' && facts.isSubvolumeRoot) return undefined;
  if (direction === 'join' && !facts.isSubvolumeRoot) return undefined;
  if (direction === 'join' && facts.madeByRewind === false) {
    return `Rewind did not keep ${p} apart: it came that way with the system or another program (such as a container store or a virtual machine pool), so Rewind leaves it as it is. To back it up, add it to what to back up.`;
  }
  if (direction === 'join' && facts.configuredSource) return `${p} is backed up on its own; remove it from what to back up first.`;
  if (facts.mountsInside.length > 0) return `Another disk or share is mounted inside ${p} (at ${list(facts.mountsInside)}). Unmount it, then try again.`;
  if ((facts.mountedElsewhere ?? []).length > 0) {
    return `${p} is also mounted elsewhere (at ${list(facts.mountedElsewhere ?? [])}), for example as a container's or a sandbox's folder. Unmount it there, then try again.`;
  }
  if (facts.subvolumesInside.length > 0) return `${p} holds folders that are already kept apart (${list(facts.subvolumesInside)}). Include them again first.`;
  if (facts.programs.length > 0) {
    return `${p} is in use by ${list(facts.programs)}. Close ${facts.programs.length > 1 ? 'these programs' : 'it'}, then try again. A folder your desktop itself keeps using, such as your home folder, can be kept apart only while you are logged out (rewind-helper set-apart, from another account).`;
  }
  return undefined;
}

/** True when the folder is already the way asked: nothing to do. */
export function alreadyDone(facts: FolderFacts, direction: SetApartDirection): boolean {
  return facts.isFolder && facts.onBtrfs && facts.isSubvolumeRoot === (direction === 'apart');
}
