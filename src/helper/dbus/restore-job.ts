import { RewindError } from '../../core/errors';
import type { RestoreProgress } from '../../core/contract/recovery-requests';
import type { RestoreWatch } from '../restore/restore-watch';

/** How often RestoreProgress goes out at most. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * The whole restore RestoreHome runs: one at a time (it holds the run lock
 * too), its progress sent as RestoreProgress, stopped by CancelRestore.
 * The call itself answers when it ends; the signal is only for watching.
 */
export class RestoreJob {
  private abort: AbortController | undefined;

  constructor(private readonly emit: (progress: RestoreProgress) => void) {}

  async run<T>(work: (watch: RestoreWatch) => Promise<T>): Promise<T> {
    if (this.abort) throw new RewindError('Busy', 'A restore is already running.', { advice: 'Wait for it to finish, or cancel it.' });
    const abort = new AbortController();
    this.abort = abort;
    let lastSent = 0;
    const onProgress = (progress: RestoreProgress) => {
      const now = Date.now();
      if (now - lastSent < PROGRESS_INTERVAL_MS && progress.fraction !== 1) return;
      lastSent = now;
      this.emit(progress);
    };
    try {
      return await work({ onProgress, signal: abort.signal });
    } finally {
      this.abort = undefined;
    }
  }

  /** Stops the running restore; false when none runs. */
  cancel(): boolean {
    if (!this.abort) return false;
    this.abort.abort();
    return true;
  }
}
