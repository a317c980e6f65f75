import { TransferPipe } from './transfer-pipe';

/**
 * Transfer pipes started ahead (see TransferPipe): one while the run lists
 * and snapshots a source that changed; after each transfer through a local
 * pipe (to a btrfs disk) the next one while more may follow.
 */
export class TransferPipes {
  private ready: TransferPipe | undefined;

  constructor(private left: number) {}

  /** A transfer is coming (a source changed): start its pipe now. */
  startAhead(): void {
    if (this.left > 0) this.ready ??= TransferPipe.start();
  }

  take(): TransferPipe {
    const pipe = this.ready ?? TransferPipe.start();
    this.ready = undefined;
    return pipe;
  }

  /** One transfer through a local pipe is over, whether it sent or not. */
  visited(): void {
    this.left--;
    if (this.left > 0) this.startAhead();
    else this.dispose();
  }

  /** `count` of the transfers counted on will not happen (their destination was skipped). */
  skip(count: number): void {
    this.left = Math.max(0, this.left - count);
    if (this.left === 0) this.dispose();
  }

  dispose(): void {
    this.ready?.dispose();
    this.ready = undefined;
  }
}
