/**
 * Which files a restore drill restores and compares (src/helper/drill).
 * Random, so that over many drills every part of a backup is read, but
 * reproducible: the same candidates and the same seed (kept in the drill's
 * record) choose the same files, so a problem found can be looked at again.
 *
 * First one file of each kind that breaks in its own way, when the source
 * has one: with xattrs, hard-linked, sparse, among the smallest, the
 * largest, the oldest and the newest quarter; then files at random until
 * the budget's count or bytes are used. A file larger than what is left of
 * the byte budget is passed over. No two files chosen share a name: they
 * are restored side by side into one scratch folder, as a user's restore
 * into a folder puts them.
 */
export interface DrillCandidate {
  /** Relative to the backed-up folder. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Hard links to the same inode. */
  links: number;
  /** Has extended attributes (besides the SELinux label, which every file has on Fedora). */
  xattrs: boolean;
  /** Occupies fewer blocks than its size needs (holes). */
  sparse: boolean;
}

export interface DrillBudget {
  files: number;
  bytes: number;
  /** The whole drill of one destination, restore included. */
  seconds: number;
}

/** A few minutes and a few hundred MiB: small enough for a laptop each month, large enough to read every kind of file. */
export const DEFAULT_DRILL_BUDGET: DrillBudget = { files: 250, bytes: 256 * 1024 * 1024, seconds: 300 };

export type SampleReason = 'xattrs' | 'hard-link' | 'sparse' | 'small' | 'large' | 'old' | 'new' | 'random';

export interface SampledFile {
  path: string;
  size: number;
  why: SampleReason;
}

/** A 32-bit seed's stream of numbers in [0, 1) (mulberry32): small, fast, and the same in the app, the helper and the tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** A quarter (at least one) of `sorted` from its start. */
const quarter = <T>(sorted: readonly T[]): T[] => sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 4)));

export function chooseSample(candidates: readonly DrillCandidate[], seed: number, budget: Pick<DrillBudget, 'files' | 'bytes'>): SampledFile[] {
  const random = seededRandom(seed);
  // The order they were found in (readdir's) must not matter.
  const all = [...candidates].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chosen: SampledFile[] = [];
  const names = new Set<string>();
  let bytes = 0;
  const fits = (c: DrillCandidate) => c.size <= budget.bytes - bytes && !names.has(baseName(c.path));
  const take = (c: DrillCandidate, why: SampleReason) => {
    chosen.push({ path: c.path, size: c.size, why });
    names.add(baseName(c.path));
    bytes += c.size;
  };
  const pickOne = (pool: readonly DrillCandidate[], why: SampleReason) => {
    if (chosen.length >= budget.files) return;
    const open = pool.filter(fits);
    if (open.length > 0) take(open[Math.floor(random() * open.length)], why);
  };

  const bySize = [...all].sort((a, b) => a.size - b.size);
  const byTime = [...all].sort((a, b) => a.mtimeMs - b.mtimeMs);
  pickOne(all.filter((c) => c.xattrs), 'xattrs');
  pickOne(all.filter((c) => c.links > 1), 'hard-link');
  pickOne(all.filter((c) => c.sparse), 'sparse');
  pickOne(quarter(bySize), 'small');
  // The largest that still fit: the largest quarter may all be over the budget.
  pickOne(quarter(bySize.filter(fits).reverse()), 'large');
  pickOne(quarter(byTime), 'old');
  pickOne(quarter([...byTime].reverse()), 'new');

  // The rest at random: a Fisher–Yates shuffle, taken in order while the budget lasts.
  const rest = all.filter((c) => !chosen.some((s) => s.path === c.path));
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  for (const c of rest) {
    if (chosen.length >= budget.files) break;
    if (fits(c)) take(c, 'random');
  }
  return chosen;
}
