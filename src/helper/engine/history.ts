import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HistoryPage, RunRecord } from '../../core/status';
import { writeFileAtomic } from '../system/atomic-write';

/** The record of every run, newest last, in <state-dir>/history.json. */
const KEEP = 1000;

export class History {
  private readonly file: string;

  constructor(private readonly stateDir: string) {
    this.file = path.join(stateDir, 'history.json');
  }

  async read(): Promise<RunRecord[]> {
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(data) ? (data as RunRecord[]) : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The newest `limit` runs, newest first (GetHistory). */
  async page(limit: number): Promise<HistoryPage> {
    const runs = await this.read();
    return { runs: runs.slice(-limit).reverse(), total: runs.length };
  }

  async append(run: RunRecord): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o755 });
    const runs = [...(await this.read()), run].slice(-KEEP);
    await writeFileAtomic(this.file, `${JSON.stringify(runs, null, 1)}\n`);
  }
}
