import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MAX_OTHERS } from '../../core/subvolume-size';

/** A btrfs subvolume's root folder has this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INODE = 256;
/** How many entries a walk looks at in all, so a huge folder answers in bounded time. */
const MAX_SEEN = 5000;

/**
 * For a folder on btrfs that is not a subvolume of its own: the folder of
 * the subvolume that holds it (its nearest parent that is a subvolume root
 * on the same device) and what else that subvolume's snapshot would copy:
 * the entries beside each folder on the way from the holder down to this
 * one. Entries that are subvolumes or mount points (another device) are not
 * in that snapshot and are not named. Only folders can be kept apart, so
 * `others` names folders; files (and links, sockets…) are counted in
 * `files`: they stay in the holder's snapshot whatever is done.
 */
export async function holderOf(folder: string): Promise<{ holder: string; others: string[]; othersMore: number; files: number } | undefined> {
  const own = await lstat(folder);
  let holder = folder;
  for (;;) {
    const up = path.dirname(holder);
    if (up === holder) return undefined;
    const info = await lstat(up);
    if (info.dev !== own.dev) return undefined;
    holder = up;
    if (info.ino === SUBVOLUME_ROOT_INODE) break;
  }
  const others: string[] = [];
  let more = 0;
  let files = 0;
  let seen = 0;
  const steps = path.relative(holder, folder).split('/');
  let level = holder;
  for (const step of steps) {
    for (const name of await readdir(level)) {
      if (name === step) continue;
      if (++seen > MAX_SEEN) return { holder, others, othersMore: more + 1, files };
      const entry = path.join(level, name);
      const info = await lstat(entry).catch(() => undefined);
      if (!info || info.dev !== own.dev) continue;
      if (!info.isDirectory()) files++;
      else if (others.length < MAX_OTHERS) others.push(entry);
      else more++;
    }
    level = path.join(level, step);
  }
  return { holder, others, othersMore: more, files };
}
