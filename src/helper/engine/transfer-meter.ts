import { statfs } from 'node:fs/promises';
import { fractionAndEta, RateWindow } from '../../core/send-stream/rate-window';
import { streamWork } from '../../core/send-stream/stream-work';
import type { TransferProgress } from '../../core/status';
import { noDataStream } from '../system/btrfs-send';

/**
 * Progress of a send seen only as a count of bytes (a local pipe watched from
 * outside, a stream to a server or to stream files): the rate, and against an
 * estimate asked for once the transfer lasts, a percentage and the time left. The stream's
 * bytes and the estimate's work (../../core/send-stream/progress.ts, rule 1)
 * differ by a command header per 48 KiB of data, and by compression where
 * data is sent compressed: the percentage is then held below 100 until the end.
 */
export class TransferMeter {
  private estimate: number | undefined;
  private asked = false;
  private readonly startedAt: number;
  private readonly window: RateWindow;

  /**
   * `estimate` is asked for only once the transfer has lasted `askAfterMs`:
   * most incrementals are over before anyone could read a percentage, and
   * need not pay for the --no-data pass.
   */
  constructor(
    private readonly ask: () => Promise<number | undefined>,
    private readonly now: () => number = Date.now,
    private readonly askAfterMs = 400,
  ) {
    this.startedAt = now();
    this.window = new RateWindow(this.startedAt);
  }

  progress(bytes: number, ended = false): TransferProgress {
    const at = this.now();
    if (!this.asked && at - this.startedAt >= this.askAfterMs) {
      this.asked = true;
      void this.ask().then((e) => (this.estimate = e));
    }
    const { bytesPerSecond } = this.window.rates(at, bytes, bytes);
    const { fraction, etaSeconds } = fractionAndEta(bytes, this.estimate, ended, bytesPerSecond);
    return {
      bytesPerSecond: bytesPerSecond === undefined ? undefined : Math.round(bytesPerSecond),
      fraction,
      etaSeconds: etaSeconds === undefined ? undefined : Math.round(etaSeconds),
    };
  }
}

/**
 * The work a send of `snapshot` will do: for a full send the space used on
 * the source filesystem (one statfs, an upper bound when there are other
 * subvolumes or snapshots on it), for an incremental the work of the
 * `--no-data` stream of the same pair (a few hundredths of a second for a
 * small change; run beside the transfer, and stopped by `signal` when the
 * transfer ends first). Undefined when it cannot be had.
 */
export async function estimateWork(snapshot: string, parent: string | undefined, signal?: AbortSignal): Promise<number | undefined> {
  try {
    if (parent) return streamWork(await noDataStream(parent, snapshot, signal));
    const s = await statfs(snapshot);
    return (s.blocks - s.bfree) * s.bsize;
  } catch {
    return undefined;
  }
}
