import type { RestoreRequest } from '../../core/restore-request';
import { MountSet } from '../system/mount-set';
import { openPoint } from './user-restore';

/**
 * Restore points the helper cannot read where they are: a backup server's
 * (received over SSH) and stream files (their chain replayed). Fetching one
 * takes as long as a restore of the whole point, so the restore browser must
 * not pay it for every folder it opens: the copy, in a scratch folder on the
 * source's filesystem, is kept while the browser uses it and for KEEP_MS
 * after, then deleted. The daemon deletes every copy before it exits.
 */
export const KEEP_MS = 10 * 60 * 1000;

interface Paths {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

type Point = Pick<RestoreRequest, 'from' | 'snapshot' | 'source' | 'recoveryKey'>;

interface Fetched {
  root: string;
  sourcePath: string;
  putAway(): Promise<void>;
}

interface Entry {
  fetching: Promise<Fetched>;
  users: number;
  timer?: NodeJS.Timeout;
}

export class FetchedPoints {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly keepMs = KEEP_MS) {}

  /** Runs `fn` on the point's fetched copy, fetching it first unless a recent one is kept. */
  async use<T>(paths: Paths, point: Point, fn: (fetched: { root: string; sourcePath: string }) => Promise<T>): Promise<T> {
    const key = JSON.stringify([paths.configPath, point.from, point.source ?? '', point.snapshot]);
    let entry = this.entries.get(key);
    if (!entry) {
      const created: Entry = { fetching: fetch(paths, point), users: 0 };
      entry = created;
      this.entries.set(key, created);
      // A failed fetch is not kept: the next call tries again (the server may be back).
      created.fetching.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
    }
    entry.users++;
    clearTimeout(entry.timer);
    try {
      return await fn(await entry.fetching);
    } finally {
      entry.users--;
      const kept = entry;
      if (kept.users === 0 && this.entries.get(key) === kept) {
        kept.timer = setTimeout(() => void this.evict(key, kept), this.keepMs);
        // The daemon's own idle timer decides when it exits; this one must not keep it alive.
        kept.timer.unref();
      }
    }
  }

  /** Deletes every kept copy; the daemon calls it before it exits. */
  async putAwayAll(): Promise<void> {
    // One after another: several deletions of scratch subvolumes on one filesystem at once, each
    // waiting for its commit, were seen to hang (and the daemon with them, as it exits).
    for (const key of [...this.entries.keys()]) {
      const entry = this.entries.get(key);
      if (entry) await this.evict(key, entry);
    }
  }

  private async evict(key: string, entry: Entry): Promise<void> {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    clearTimeout(entry.timer);
    const fetched = await entry.fetching.catch(() => undefined);
    await fetched?.putAway();
  }
}

async function fetch(paths: Paths, point: Point): Promise<Fetched> {
  const mounts = MountSet.forReader(paths.runtimeDir, 'fetched');
  try {
    const opened = await openPoint(paths, point, mounts);
    return {
      root: opened.root,
      sourcePath: opened.sourcePath,
      async putAway() {
        await opened.done();
        await mounts.releaseAll();
      },
    };
  } catch (error) {
    await mounts.releaseAll();
    throw error;
  }
}
