import type { StreamEntry } from '../../../core/stream-manifest';
import { checkPart, type StreamStore } from './stream-store';

/**
 * What a run checks of a chain before it adds an incremental to it: every
 * part of every stream of the chain is there, a regular file of the size
 * the manifest records, and the newest stream's parts have their SHA-256.
 * The newest is read once (usually a small incremental); the older links'
 * data is checked by `verify`, not by every run. Returns what is wrong,
 * naming the file, or undefined when the chain may be extended.
 */
export async function chainProblem(store: StreamStore, dirName: string, chain: readonly StreamEntry[]): Promise<string | undefined> {
  const parts = chain.flatMap((s) => s.parts);
  const sizes = await store.sizes(
    dirName,
    parts.map((p) => p.file),
  );
  for (const part of parts) {
    const size = sizes.get(part.file);
    if (size === undefined) return `${part.file} is missing`;
    if (size !== part.size) return `${part.file} is ${size} bytes, the manifest says ${part.size}`;
  }
  for (const part of chain[chain.length - 1].parts) {
    const problem = await checkPart(store, dirName, part);
    if (problem) return `${part.file} ${problem}`;
  }
  return undefined;
}

/** The sentence a transfer's record carries when the chain it would have extended is damaged. */
export function damagedChainNotice(destination: string, parent: StreamEntry, problem: string): string {
  return (
    `The chain of backups that ${parent.name} belongs to on ${destination} is damaged (${problem}), ` +
    `so a new full chain was started. The damaged chain is kept for what can still be restored from it, ` +
    `until retention removes it.`
  );
}
