import { constants } from 'node:fs';
import { lstat, mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryPage, RunRecord } from '../../core/status';
import { writeFileAtomic } from '../system/atomic-write';
import { logStateRepair, readProblem } from '../system/state-log';

/**
 * The record of every run, newest last, in <state-dir>/history.json: the one
 * file in the state folder that is not a cache. A history that cannot be read
 * (empty, not JSON, not a list of runs, not a plain file) is read as empty;
 * the next run sets it aside whole, renamed with the time
 * (history.json.unreadable-<YYYYMMDDTHHMMSSZ>, never deleted), starts a new
 * one, and its record says so (historySetAside), so the user is told once.
 * Nothing here stops a run: a record that cannot be written is logged.
 */
const KEEP = 1000;
/** Far above KEEP records; a larger file is not a history of ours. */
const MAX_BYTES = 64 * 1024 * 1024;

interface Damage {
  problem: string;
  /** dev:ino of the file found damaged, so that only that file is set aside. */
  identity?: string;
}

interface Loaded {
  runs: RunRecord[];
  damage?: Damage;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `data` has the shape every reader of the history relies on. */
function isRunList(data: unknown): data is RunRecord[] {
  return (
    Array.isArray(data) &&
    data.every(
      (r) =>
        isObject(r) &&
        typeof r.id === 'string' &&
        typeof r.started === 'string' &&
        typeof r.finished === 'string' &&
        typeof r.ok === 'boolean' &&
        Array.isArray(r.transfers) &&
        r.transfers.every((t) => isObject(t) && typeof t.source === 'string' && typeof t.destination === 'string' && typeof t.ok === 'boolean'),
    )
  );
}

async function load(file: string): Promise<Loaded> {
  let handle;
  try {
    // Not followed if a link, without waiting if a FIFO.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [] };
    return { runs: [], damage: { problem: readProblem(error) } };
  }
  let identity: string | undefined;
  try {
    const info = await handle.stat();
    identity = `${info.dev}:${info.ino}`;
    if (!info.isFile()) return { runs: [], damage: { problem: 'it is not a plain file', identity } };
    if (info.size === 0) return { runs: [], damage: { problem: 'it is empty', identity } };
    if (info.size > MAX_BYTES) return { runs: [], damage: { problem: `it is too large (${info.size} bytes)`, identity } };
    const data = JSON.parse(await handle.readFile('utf8')) as unknown;
    return isRunList(data) ? { runs: data } : { runs: [], damage: { problem: 'it is not a list of runs', identity } };
  } catch (error) {
    return { runs: [], damage: { problem: readProblem(error), identity } };
  } finally {
    await handle.close();
  }
}

/** The time as in snapshot names: 20250102T030405Z. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class History {
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = path.join(stateDir, 'history.json');
  }

  /** Every run recorded; none when the history cannot be read (the next run sets it aside). */
  async read(): Promise<RunRecord[]> {
    return (await load(this.file)).runs;
  }

  /** The newest `limit` runs, newest first (GetHistory). */
  async page(limit: number): Promise<HistoryPage> {
    const runs = await this.read();
    return { runs: runs.slice(-limit).reverse(), total: runs.length };
  }

  /** Adds a run; never throws (the run is over, whatever happens to its record). */
  async append(run: RunRecord): Promise<void> {
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o755 });
      const { runs: found, damage } = await load(this.file);
      let runs = found;
      let record = run;
      if (damage) {
        const kept = await this.setAside(damage);
        if (kept) {
          logStateRepair(`the history ${this.file} could not be read (${damage.problem}); it was kept as ${kept} and a new history started.`);
          record = { ...run, historySetAside: kept };
        } else {
          // Another process set it aside first; add to what stands there now.
          const now = await load(this.file);
          if (now.damage) throw new Error(`it cannot be read (${now.damage.problem})`);
          runs = now.runs;
        }
      }
      await writeFileAtomic(this.file, `${JSON.stringify([...runs, record].slice(-KEEP), null, 1)}\n`);
    } catch (error) {
      logStateRepair(`could not record the run of ${run.started} in ${this.file}: ${(error as Error).message}`);
    }
  }

  /**
   * Renames the damaged file out of the way, under a name no other file has.
   * Undefined when it is no longer there to set aside (another process did);
   * throws when it cannot be moved, and is then kept where it is, unwritten.
   */
  private async setAside(damage: Damage): Promise<string | undefined> {
    const now = await lstat(this.file).catch(() => undefined);
    if (now === undefined || (damage.identity !== undefined && `${now.dev}:${now.ino}` !== damage.identity)) return undefined;
    const base = `${this.file}.unreadable-${stamp(new Date())}`;
    for (let n = 0; ; n++) {
      const target = n === 0 ? base : `${base}-${n}`;
      if (await lstat(target).catch(() => undefined)) continue;
      await rename(this.file, target);
      return target;
    }
  }
}
