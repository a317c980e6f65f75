import { randomUUID } from 'node:crypto';
import { errorReport, RewindError, toRewindError } from '../../core/errors';
import type { Progress } from '../../core/status';
import { runBackup, type EngineOptions } from '../engine/engine';

/**
 * The backup the daemon runs (BackUpNow): at most one at a time, reported
 * through the Progress and Completed signals, stopped by CancelBackup.
 */
const PROGRESS_INTERVAL_MS = 200;

export type SignalSender = (member: 'Progress' | 'Completed', signature: string, body: unknown[]) => void;

export class BackupJob {
  private _running: string | undefined;
  private _abort: AbortController | undefined;

  constructor(
    private readonly options: Omit<EngineOptions, 'onProgress'>,
    private readonly emit: SignalSender,
    /** Called when a run ended and Completed went out. */
    private readonly onEnd: () => void,
  ) {}

  /** The running job's id, if one runs. */
  get running(): string | undefined {
    return this._running;
  }

  /** Starts a run and returns its job id at once; Busy when one runs. */
  start(): string {
    if (this._running) throw new RewindError('Busy', 'A backup is already running.');
    const job = randomUUID();
    this._running = job;
    this._abort = new AbortController();
    const progress = this.progressSender(job);
    // `running` is cleared before Completed goes out, so a client that
    // refreshes its status on Completed never sees the finished job as running.
    void runBackup({ ...this.options, onProgress: progress.onProgress, signal: this._abort.signal })
      .then((run) => {
        progress.flush();
        this._running = undefined;
        this.emit('Completed', 'sbs', [job, run.ok, JSON.stringify(run)]);
      })
      .catch((error: unknown) => {
        this._running = undefined;
        const failure = toRewindError(error);
        this.emit('Completed', 'sbs', [job, false, JSON.stringify({ error: errorReport(failure) })]);
      })
      .finally(this.onEnd);
    return job;
  }

  /** Stops the running job; false when none runs. */
  cancel(): boolean {
    if (!this._running || !this._abort) return false;
    this._abort.abort();
    return true;
  }

  /** Every change of phase is sent; byte counts within a phase at most every PROGRESS_INTERVAL_MS. */
  private progressSender(job: string): { onProgress: (progress: Progress) => void; flush: () => void } {
    let lastSent = 0;
    let lastPhase = '';
    let pending: Progress | undefined;
    const onProgress = (progress: Progress) => {
      pending = progress;
      const now = Date.now();
      const phase = `${progress.phase}:${progress.source}:${progress.destination ?? ''}`;
      if (phase !== lastPhase || now - lastSent >= PROGRESS_INTERVAL_MS) {
        lastSent = now;
        lastPhase = phase;
        this.emit('Progress', 'ss', [job, JSON.stringify(progress)]);
        pending = undefined;
      }
    };
    const flush = () => {
      if (pending) this.emit('Progress', 'ss', [job, JSON.stringify(pending)]);
    };
    return { onProgress, flush };
  }
}
