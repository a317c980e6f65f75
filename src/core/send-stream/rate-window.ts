/**
 * The rate of a transfer over its recent past: samples at least a second
 * apart, kept for the last 20 seconds (the whole run before that), so the
 * rate follows changes of speed without jumping with every chunk. There is no
 * rate until a second has passed. Work and stream bytes are sampled together
 * (./progress's rule 1 says what work is; a caller that only sees bytes
 * passes them as both).
 */
const WINDOW_MS = 20_000;
const SAMPLE_MS = 1_000;

export interface Rates {
  /** Units of work per second. */
  workRate?: number;
  bytesPerSecond?: number;
}

export class RateWindow {
  private readonly samples: Array<{ at: number; work: number; bytes: number }>;

  constructor(startedAt: number) {
    this.samples = [{ at: startedAt, work: 0, bytes: 0 }];
  }

  /** The rates at `at`, given the work and bytes done by then. */
  rates(at: number, work: number, bytes: number): Rates {
    const last = this.samples[this.samples.length - 1];
    if (at - last.at >= SAMPLE_MS) this.samples.push({ at, work, bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const span = (at - first.at) / 1000;
    if (span < 1) return {};
    return { workRate: (work - first.work) / span, bytesPerSecond: (bytes - first.bytes) / span };
  }
}

/** Done over estimate, below 1 until the end; the time left at the current rate. */
export function fractionAndEta(done: number, estimate: number | undefined, ended: boolean, rate: number | undefined): { fraction?: number; etaSeconds?: number } {
  if (estimate === undefined) return {};
  if (ended) return { fraction: 1, etaSeconds: 0 };
  const fraction = Math.min(done / estimate, 0.999);
  return rate !== undefined && rate > 0 ? { fraction, etaSeconds: Math.max(0, estimate - done) / rate } : { fraction };
}
