/**
 * Whose files are whose after a home is restored onto another install.
 *
 * A backup keeps numeric owners. On a fresh install the same person's
 * account may have another number (another account was made first), and
 * then every file of theirs belongs to somebody else, or to nobody, and
 * they cannot log in to a working desktop. Each top-level folder of the
 * restored home, /home/NAME, stands for the account NAME of the old
 * computer: where an account of that name exists here with another uid (or
 * primary gid), the folder owner's old number is given the new one, for
 * every file in the home that has it.
 *
 * What is never done:
 * - root's files (uid or gid 0) are never given to anyone, and nothing is
 *   given to root;
 * - a folder with no account of its name here is left as it is;
 * - two people's files are never merged: a number that would become the
 *   number of another folder's owner who keeps theirs (or of any file's in
 *   the home, when the caller knows them: IdsInHome), or two old numbers
 *   that would become one, or one old number claimed by two accounts, is
 *   refused, and that folder is left as it is.
 * Two people who swap numbers (old alice 1000 and bob 1001; here alice 1001
 * and bob 1000) are both given theirs: each file is mapped once, from the
 * number it had.
 */
export interface FolderOwnerIds {
  /** The folder's name under the home (the old computer's account name). */
  name: string;
  uid: number;
  gid: number;
}

/** An account on this computer: its uid and primary gid. */
export interface AccountIds {
  uid: number;
  gid: number;
}

/**
 * Why a folder's files keep their old owner:
 * - no-account: no account of the folder's name on this computer;
 * - root: the folder is root's, or its name is root's here;
 * - taken: its owner's new number is the number of another folder's owner, who keeps theirs;
 * - ambiguous: two folders claim one number, or two numbers would become one.
 */
export type KeptReason = 'no-account' | 'root' | 'taken' | 'ambiguous';

export interface GivenOwner {
  /** The folder, and the account of that name on this computer. */
  name: string;
  /** Old → new uid, when the uid changes. */
  uid?: [number, number];
  /** Old → new gid, when the gid changes. */
  gid?: [number, number];
  /** Why the group stays the old one although it is another here. */
  groupKept?: KeptReason;
}

export interface OwnerMapping {
  /** Old uid → new uid, for every entry of the home. */
  uids: Array<[number, number]>;
  gids: Array<[number, number]>;
  given: GivenOwner[];
  kept: Array<{ name: string; reason: KeptReason }>;
}

/** What a restore did with the owners: whose files were given to whom, whose kept theirs, and how many entries changed. */
export interface OwnersChange {
  given: GivenOwner[];
  kept: OwnerMapping['kept'];
  entries: number;
}

/** The names that can be an account's; anything else in a backup's home is no account's folder. */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

interface Pair {
  name: string;
  from: number;
  to: number;
}

/**
 * The pairs that may be applied together, and why the others may not.
 * `owners`: every folder's number of this kind (uid or gid), whoever's.
 */
function settle(pairs: Pair[], owners: number[]): { accepted: Pair[]; refused: Map<string, KeptReason> } {
  const refused = new Map<string, KeptReason>();
  const distinct = (values: number[]) => new Set(values).size;
  for (const p of pairs) {
    const sameFrom = pairs.filter((q) => q.from === p.from).map((q) => q.to);
    const sameTo = pairs.filter((q) => q.to === p.to).map((q) => q.from);
    if (distinct(sameFrom) > 1 || distinct(sameTo) > 1) refused.set(p.name, 'ambiguous');
  }
  // A refused pair keeps its number, which may make another pair's target taken: until nothing changes.
  for (;;) {
    const accepted = pairs.filter((p) => !refused.has(p.name));
    const moving = new Set(accepted.map((p) => p.from));
    const staying = new Set(owners.filter((n) => !moving.has(n)));
    const taken = accepted.filter((p) => staying.has(p.to));
    if (taken.length === 0) return { accepted, refused };
    for (const p of taken) refused.set(p.name, 'taken');
  }
}

/** `accounts`: this computer's accounts by name (only those of the folders' names are needed). */
/**
 * The ids that own anything in the home, folders or not. A file of an old
 * account that had no folder (1001, whose folder was deleted) would be
 * mixed with alice's if alice became 1001: with them, that is refused too.
 */
export interface IdsInHome {
  uids: Iterable<number>;
  gids: Iterable<number>;
}

export function ownerMapping(folders: readonly FolderOwnerIds[], accounts: ReadonlyMap<string, AccountIds>, inHome: IdsInHome = { uids: [], gids: [] }): OwnerMapping {
  const sorted = [...folders].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept = new Map<string, KeptReason>();
  const uidPairs: Pair[] = [];
  const gidPairs: Pair[] = [];
  const matched: string[] = [];
  for (const folder of sorted) {
    const account = ACCOUNT_NAME.test(folder.name) ? accounts.get(folder.name) : undefined;
    if (folder.uid === 0) {
      kept.set(folder.name, 'root');
      continue;
    }
    if (!account) {
      kept.set(folder.name, 'no-account');
      continue;
    }
    if (account.uid === 0) {
      kept.set(folder.name, 'root');
      continue;
    }
    matched.push(folder.name);
    if (folder.uid !== account.uid) uidPairs.push({ name: folder.name, from: folder.uid, to: account.uid });
    if (folder.gid !== account.gid && folder.gid !== 0 && account.gid !== 0) gidPairs.push({ name: folder.name, from: folder.gid, to: account.gid });
  }
  const uids = settle(uidPairs, [...sorted.map((f) => f.uid), ...inHome.uids]);
  for (const [name, reason] of uids.refused) kept.set(name, reason);
  // A folder whose files keep their owner keeps their group too.
  const gids = settle(
    gidPairs.filter((p) => !uids.refused.has(p.name)),
    [...sorted.map((f) => f.gid), ...inHome.gids],
  );
  const given: GivenOwner[] = [];
  for (const name of matched) {
    if (kept.has(name)) continue;
    const uid = uids.accepted.find((p) => p.name === name);
    const gid = gids.accepted.find((p) => p.name === name);
    const groupKept = gids.refused.get(name);
    if (uid || gid) given.push({ name, ...(uid ? { uid: [uid.from, uid.to] } : {}), ...(gid ? { gid: [gid.from, gid.to] } : {}), ...(groupKept ? { groupKept } : {}) });
  }
  // A folder of no account here whose owner is given a new number (alice's second folder) is not left as it was: its files follow their owner.
  const moving = new Set(uids.accepted.map((p) => p.from));
  for (const folder of sorted) if (kept.get(folder.name) === 'no-account' && moving.has(folder.uid)) kept.delete(folder.name);
  const pairsOf = (pairs: Pair[]): Array<[number, number]> => [...new Map(pairs.map((p) => [p.from, p.to])).entries()];
  return {
    uids: pairsOf(uids.accepted),
    gids: pairsOf(gids.accepted),
    given,
    kept: sorted.flatMap((f) => {
      const reason = kept.get(f.name);
      return reason ? [{ name: f.name, reason }] : [];
    }),
  };
}
