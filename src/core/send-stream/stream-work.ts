import { SendStreamParser } from './parser';
import { SendStreamProgress } from './progress';

/**
 * The work (./progress's rule 1) that a send will do, from the `--no-data`
 * stream of the same pair: its UPDATE_EXTENT commands stand for the data
 * with the same lengths, so its work is the estimate of the real stream's.
 */
export function streamWork(chunks: readonly Uint8Array[]): number {
  const progress = new SendStreamProgress({ now: () => 0 });
  const parser = new SendStreamParser({ onHeader: (h) => progress.header(h.bytes.length), onCommand: (c) => progress.command(c) });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return progress.snapshot().work;
}
