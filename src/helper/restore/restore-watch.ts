import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../core/errors';
import type { RestoreProgress } from '../../core/contract/recovery-requests';

/**
 * Who watches a whole restore (RestoreHome): told how far it is, and able
 * to stop it. A stopped restore deletes what it received and leaves the
 * current folder as it was.
 */
export interface RestoreWatch {
  onProgress?: (progress: RestoreProgress) => void;
  signal?: AbortSignal;
}

export function restoreCancelled(): RewindError {
  return new RewindError('Cancelled', 'The restore was cancelled; what was received so far was deleted and nothing was replaced.', {
    advice: 'Start the restore again when you are ready.',
  });
}

/**
 * `input` passed through, its bytes counted to `onBytes`; a cancel
 * (`signal`) destroys the whole pipe back to the processes that make
 * `input`, so none of them is left writing to nobody.
 */
export function countedStream(input: Readable, onBytes: (bytes: number) => void, signal?: AbortSignal): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  void pipeline(input, counter, signal ? { signal } : {}).catch(() => undefined);
  return counter;
}
