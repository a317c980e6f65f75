import type { Source } from './config';
import type { FolderProblem, SubvolumeSize } from './subvolume-size';

/**
 * What to back up, in a person's terms, and the configuration's sources it
 * means. Rewind backs up whole subvolumes (a snapshot of one leaves out the
 * subvolumes inside it), so each choice becomes the subvolumes that hold
 * exactly what the person chose:
 * - "My home folder": the person's home when it is a subvolume of its own
 *   (systemd-homed's `NAME.homedir`, or one Rewind set apart); else the
 *   subvolume that holds it, when that holds no other folder (a computer with
 *   one user); else it cannot be backed up yet, and the page offers a way
 *   forward (set it apart, or keep the other folders apart).
 * - "All users' home folders": the folder that holds the homes (/home) and
 *   every user's home inside it that is a subvolume of its own.
 * - "The whole system": every subvolume of the system's disk.
 * - folders the person picked, each as above.
 * Subvolumes found inside the chosen ones may be added one by one.
 */
export type ChoiceKind = 'my-home' | 'all-homes' | 'system' | 'folders';

export const CHOICE_KINDS: readonly ChoiceKind[] = ['my-home', 'all-homes', 'system', 'folders'];

/** The person setting it up: their user name and home folder, and the system's root folder ("/" unless given). */
export interface Person {
  user: string;
  home: string;
  /** A stand-in for "/" (the tests' system disk: src/app/what/what-model.ts, currentPerson). */
  systemRoot?: string;
}

export interface SourceChoice {
  kind: ChoiceKind;
  /** The folders picked (kind "folders"). */
  folders: string[];
  /** Subvolumes found inside the chosen folders that are backed up as well. */
  nested: string[];
}

/** One folder a choice backs up, and whether it can be. */
export type PlannedFolder =
  | {
      /** The folder as the person chose it. */
      path: string;
      state: 'ok';
      /** The folder the configuration names: `path`, or the one holding it when that holds no other folder. */
      source: string;
      /** Backing up `source` instead of `path`: the files beside it on the way down, backed up too (files cannot be kept apart). */
      filesBeside?: number;
    }
  | { path: string; state: 'measuring' }
  | {
      path: string;
      state: 'blocked';
      problem: FolderProblem | 'unknown';
      /** For a folder that is not a subvolume: the folder whose subvolume holds it. */
      holder?: string;
      /** What else the holder holds (see SubvolumeSize.others). */
      others?: string[];
      othersMore?: number;
      filesBeside?: number;
    };

export interface SourcePlan {
  folders: PlannedFolder[];
  /** The configuration's sources for this choice, once every folder can be backed up. */
  sources: Source[];
  /** True when the choice can be backed up as it is: setup may go on. */
  ready: boolean;
}

/** The system's root folder: "The whole system" is every subvolume of its filesystem. */
export const SYSTEM_ROOT = '/';

export function systemRoot(person: Person): string {
  return person.systemRoot ?? SYSTEM_ROOT;
}

function parent(folder: string): string {
  const at = folder.lastIndexOf('/');
  return at <= 0 ? '/' : folder.slice(0, at);
}

function inside(folder: string, within: string): boolean {
  return within === '/' ? folder !== '/' : folder.startsWith(`${within}/`);
}

/** The folder that holds the users' homes: the person's home's parent (/home). */
export function homesFolder(person: Person): string {
  return parent(person.home);
}

/**
 * The person's home as Rewind backs it up: a subvolume of the listing that
 * is theirs and lies in the homes folder (systemd-homed keeps
 * /home/NAME.homedir, mounted at /home/NAME only while they are logged in),
 * else their home folder itself.
 */
export function homeFolder(person: Person, listing: readonly SubvolumeSize[] | null): string {
  const own = (listing ?? []).filter((s) => s.subvolume && s.owner?.user === person.user && parent(s.path) === homesFolder(person));
  // Where it always is (inside /home) rather than where it is mounted while they are logged in.
  return (own.find((s) => s.nestedIn !== undefined) ?? own[0])?.path ?? person.home;
}

/** Whether `folder` can be backed up, from the listing (null: not measured yet). */
export function planFolder(folder: string, listing: readonly SubvolumeSize[] | null): PlannedFolder {
  const entry = listing?.find((s) => s.path === folder);
  if (!entry) return { path: folder, state: 'measuring' };
  if (entry.subvolume) return { path: folder, state: 'ok', source: folder };
  if (entry.problem === 'not-subvolume' && entry.holder !== undefined && entry.others?.length === 0 && !entry.othersMore) {
    // Its subvolume holds no other folder: backing that up backs up this folder, and files beside it, which cannot be kept apart.
    return { path: folder, state: 'ok', source: entry.holder, ...(entry.filesBeside ? { filesBeside: entry.filesBeside } : {}) };
  }
  return {
    path: folder,
    state: 'blocked',
    problem: entry.problem ?? 'unknown',
    ...(entry.holder !== undefined ? { holder: entry.holder } : {}),
    ...(entry.others ? { others: entry.others } : {}),
    ...(entry.othersMore ? { othersMore: entry.othersMore } : {}),
    ...(entry.filesBeside ? { filesBeside: entry.filesBeside } : {}),
  };
}

/**
 * "Keep the others apart" sets apart, one SetFolderApart call each, every
 * other folder of the subvolume that holds a folder, so that backing up that
 * subvolume backs up the folder and only the files beside it (files cannot
 * be kept apart; the page says how many). It is offered while they are at most
 * this many, so the work stays bounded and the count the person is shown is
 * exact (the listing names a few and counts the rest); beyond it, keeping
 * the folder itself apart is the way.
 */
export const MAX_KEEP_OTHERS_APART = 100;

/** How many entries "keep the others apart" would set apart, or undefined when it is not offered. */
export function othersToKeepApart(folder: PlannedFolder): number | undefined {
  if (folder.state !== 'blocked' || folder.problem !== 'not-subvolume' || folder.holder === undefined) return undefined;
  const count = (folder.others?.length ?? 0) + (folder.othersMore ?? 0);
  return count > 0 && count <= MAX_KEEP_OTHERS_APART ? count : undefined;
}

/** The users' homes that are subvolumes of their own inside the homes folder, apart from it. */
export function otherHomes(person: Person, listing: readonly SubvolumeSize[] | null): SubvolumeSize[] {
  return (listing ?? []).filter((s) => s.subvolume && s.owner !== undefined && s.nestedIn !== undefined && parent(s.path) === homesFolder(person));
}

/** The folders a choice is made of, before the nested subvolumes added to it. */
export function chosenFolders(choice: SourceChoice, person: Person, listing: readonly SubvolumeSize[] | null): string[] {
  switch (choice.kind) {
    case 'my-home':
      return [homeFolder(person, listing)];
    case 'all-homes':
      return [homesFolder(person), ...otherHomes(person, listing).map((s) => s.path)];
    case 'system':
      return [];
    case 'folders':
      return choice.folders;
  }
}

/** The subvolumes found inside `sources` (the ones a person may add), outermost first. */
export function nestedInside(sources: readonly string[], listing: readonly SubvolumeSize[] | null): SubvolumeSize[] {
  return (listing ?? []).filter((s) => s.subvolume && s.nestedIn !== undefined && sources.some((source) => inside(s.path, source)));
}

/** The whole system can be backed up when its root is on btrfs. */
function systemPlan(root: string, listing: readonly SubvolumeSize[] | null): PlannedFolder {
  const entry = listing?.find((s) => s.path === root);
  if (!entry) return { path: root, state: 'measuring' };
  if (entry.fsUuid !== undefined) return { path: root, state: 'ok', source: root };
  return { path: root, state: 'blocked', problem: entry.problem === 'missing' ? 'missing' : 'not-btrfs' };
}

/** What a choice backs up, and whether it can be backed up now. */
export function planSources(choice: SourceChoice, person: Person, listing: readonly SubvolumeSize[] | null): SourcePlan {
  if (choice.kind === 'system') {
    const folder = systemPlan(systemRoot(person), listing);
    return { folders: [folder], sources: [{ allSubvolumesOf: systemRoot(person) }], ready: folder.state === 'ok' };
  }
  const folders = chosenFolders(choice, person, listing).map((f) => planFolder(f, listing));
  const paths: string[] = [];
  for (const f of folders) if (f.state === 'ok' && !paths.includes(f.source)) paths.push(f.source);
  // A nested subvolume counts only while a chosen folder still holds it.
  for (const n of nestedInside(paths, listing)) if (choice.nested.includes(n.path) && !paths.includes(n.path)) paths.push(n.path);
  const ready = folders.length > 0 && folders.every((f) => f.state === 'ok');
  return { folders, sources: paths.map((path) => ({ path })), ready };
}

function sameSources(a: readonly Source[], b: readonly Source[]): boolean {
  const key = (s: Source) => s.path ?? `*${s.allSubvolumesOf}`;
  return a.length === b.length && a.map(key).sort().join('\n') === b.map(key).sort().join('\n');
}

/**
 * The choice a configuration's sources read as (Preferences, setup run
 * again): the first kind whose plan, with some of the nested subvolumes,
 * gives exactly these sources; else the folders themselves.
 */
export function choiceOf(sources: readonly Source[], person: Person, listing: readonly SubvolumeSize[] | null): SourceChoice {
  if (sources.length === 1 && sources[0].allSubvolumesOf === systemRoot(person)) return { kind: 'system', folders: [], nested: [] };
  const paths = sources.flatMap((s) => (s.path !== undefined ? [s.path] : []));
  for (const kind of ['my-home', 'all-homes'] as const) {
    const base = planSources({ kind, folders: [], nested: [] }, person, listing);
    if (!base.ready) continue;
    const basePaths = base.sources.map((s) => s.path);
    const nested = paths.filter((p) => !basePaths.includes(p));
    const plan = planSources({ kind, folders: [], nested }, person, listing);
    if (sameSources(plan.sources, sources)) return { kind, folders: [], nested };
  }
  // Folders found inside other chosen ones read as added to them.
  const nested = nestedInside(paths, listing).map((s) => s.path).filter((p) => paths.includes(p));
  return { kind: 'folders', folders: paths.filter((p) => !nested.includes(p)), nested };
}

/**
 * A folder typed by a person as an absolute path: "~" and "~/Documents" are
 * their home, a relative path is below it, "." and "//" are tidied; a
 * path that climbs with "..", "~name" and an empty one are refused (undefined).
 */
export function typedFolder(text: string, home: string): string | undefined {
  let t = text.trim();
  if (t === '') return undefined;
  if (t === '~' || t.startsWith('~/')) t = home + t.slice(1);
  // Someone else's home ("~bob") is not looked up: the person names it as /home/bob.
  else if (t.startsWith('~')) return undefined;
  else if (!t.startsWith('/')) t = `${home}/${t}`;
  const parts = t.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  return `/${parts.join('/')}`;
}
