import { streamUuid } from './parent';
import { planRetention } from './retention';
import type { RetentionRules } from './retention-policy';
import { parseSnapshotName } from './snapshot-name';
import type { StreamEntry } from './stream-manifest';
import type { Subvolume } from './subvolume';

/**
 * Chains of stream files: a full stream and the incrementals that apply on
 * it, one after another. Restoring a point replays its chain from the full
 * stream, so:
 * 1. A stream's chain is found by following parentUuid to a full stream; a
 *    stream whose parent is not in the manifest is broken and never a parent.
 * 2. The next send is incremental from the newest stream whose snapshot still
 *    exists at the source (paired by UUID, as for btrfs destinations), unless
 *    that chain already holds `maxIncrementals` incrementals or its full
 *    stream is `maxDays` days old or more: then a new chain starts, so a
 *    restore never replays more than maxIncrementals + 1 streams, and one
 *    damaged file loses at most one chain.
 * 3. Retention is applied to the streams as to backups, and then a chain is
 *    deleted only when it keeps no stream at all: never a file that a kept
 *    stream depends on. The chain of the next parent is always kept.
 * 4. When the destination is full, the oldest whole chain (by its full
 *    stream's creation) is removed to make room, as the oldest backup is on
 *    a btrfs disk, except: the chain of the next send's parent, the chain
 *    that holds the newest stream, and streams of broken chains (never
 *    understood, so never touched). One chain at a time; the caller tries
 *    again after each.
 * 5. A stream a restore drill found damaged (its UUID in `damaged`), and
 *    every stream listed before it, is never a parent, as for received
 *    backups (./parent, rule 7): the next send starts a new chain. Until a
 *    stream of a whole chain is listed after it, its chain is kept by
 *    retention and when room is made.
 */
export interface ChainPolicy {
  maxIncrementals: number;
  maxDays: number;
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = Object.freeze({ maxIncrementals: 30, maxDays: 30 });

export interface Chain {
  /** Oldest (the full stream) first. */
  streams: StreamEntry[];
}

/** The chain ending at each stream, or undefined when its parents do not lead to a full stream. */
export function chainTo(entries: readonly StreamEntry[], target: StreamEntry): StreamEntry[] | undefined {
  const byReceived = new Map(entries.map((e) => [e.receivedUuid, e]));
  const chain: StreamEntry[] = [];
  const seen = new Set<string>();
  for (let at: StreamEntry | undefined = target; at; at = at.parentUuid ? byReceived.get(at.parentUuid) : undefined) {
    if (seen.has(at.receivedUuid)) return undefined;
    seen.add(at.receivedUuid);
    chain.unshift(at);
    if (at.kind === 'full') return chain;
    if (!at.parentUuid) return undefined;
  }
  return undefined;
}

/** Every whole chain, each with the streams built on its full stream, oldest first. */
export function chainsOf(entries: readonly StreamEntry[]): Chain[] {
  const chains = new Map<string, Chain>();
  for (const entry of entries) {
    const chain = chainTo(entries, entry);
    if (!chain) continue;
    const head = chain[0].receivedUuid;
    if (!chains.has(head)) chains.set(head, { streams: [] });
    chains.get(head)!.streams.push(entry);
  }
  return [...chains.values()];
}

export type StreamPlan = { kind: 'full'; reason: string } | { kind: 'incremental'; parent: Subvolume; parentStream: StreamEntry };

/** Rule 2: full or incremental, and from which snapshot. */
export function planStreamSend(
  entries: readonly StreamEntry[],
  sourceSnapshots: readonly Subvolume[],
  policy: ChainPolicy,
  now: Date,
  exclude?: string,
  damaged: ReadonlySet<string> = new Set(),
): StreamPlan {
  // Paired as backups are (src/core/parent.ts): the stream's UUID is the snapshot's received UUID, or its own.
  const byStreamUuid = new Map<string, StreamEntry>();
  const barrier = lastDamaged(entries, damaged);
  for (const entry of entries) {
    const chain = chainTo(entries, entry);
    // Rule 5: only chains whose full stream is listed after the last damaged one.
    if (chain && entries.indexOf(chain[0]) > barrier) byStreamUuid.set(entry.receivedUuid, entry);
  }
  let best: { parent: Subvolume; parentStream: StreamEntry } | undefined;
  for (const snapshot of sourceSnapshots) {
    if (!snapshot.readOnly || snapshot.uuid === exclude) continue;
    const stream = byStreamUuid.get(streamUuid(snapshot));
    if (stream && (!best || snapshot.createdGeneration > best.parent.createdGeneration)) best = { parent: snapshot, parentStream: stream };
  }
  if (!best) {
    const reason = barrier >= 0 ? `a check found ${entries[barrier].name} damaged` : entries.length ? 'no stream shares a snapshot with the source' : 'first backup';
    return { kind: 'full', reason };
  }
  const chain = chainTo(entries, best.parentStream)!;
  if (chain.length - 1 >= policy.maxIncrementals) return { kind: 'full', reason: `the chain holds ${policy.maxIncrementals} incrementals` };
  const age = now.getTime() - Date.parse(chain[0].created);
  if (age >= policy.maxDays * 86_400_000) return { kind: 'full', reason: `the chain started ${policy.maxDays} or more days ago` };
  return { kind: 'incremental', ...best };
}

export interface ChainPruneDecision {
  keep: Array<{ stream: StreamEntry; reasons: string[] }>;
  /** Streams of chains that keep nothing, oldest first. */
  remove: StreamEntry[];
}

/** Rule 3. Streams without a time in their name, and broken ones, are left alone. */
export function planChainPrune(
  entries: readonly StreamEntry[],
  sourceSnapshots: readonly Subvolume[],
  context: { rules: RetentionRules; now: Date; timeZone: string },
  damaged: ReadonlySet<string> = new Set(),
): ChainPruneDecision {
  const timed = entries.filter((e) => parseSnapshotName(e.name) !== undefined && chainTo(entries, e));
  const protect = new Set<string>(damagedAwaitingFull(entries, damaged).map((e) => e.receivedUuid));
  const next = planStreamSend(entries, sourceSnapshots, { maxIncrementals: Infinity, maxDays: Infinity }, context.now, undefined, damaged);
  if (next.kind === 'incremental') protect.add(next.parentStream.receivedUuid);
  const plan = planRetention(
    timed.map((e) => ({ id: e.receivedUuid, time: parseSnapshotName(e.name)! })),
    context.rules,
    { now: context.now, timeZone: context.timeZone, protect },
  );
  const reasons = new Map(plan.keep.map((k) => [k.id, k.reasons.map((r) => (r === 'protected' ? (damaged.has(k.id) ? 'damaged, kept until a full backup has landed after it' : 'next parent') : r))]));
  const keep: ChainPruneDecision['keep'] = [];
  const remove: StreamEntry[] = [];
  const chained = new Set<string>();
  for (const chain of chainsOf(entries)) {
    const kept = chain.streams.some((s) => reasons.has(s.receivedUuid) || !timed.includes(s));
    for (const stream of chain.streams) {
      chained.add(stream.receivedUuid);
      if (kept) keep.push({ stream, reasons: reasons.get(stream.receivedUuid) ?? ['needed by a kept stream'] });
      else remove.push(stream);
    }
  }
  for (const entry of entries) if (!chained.has(entry.receivedUuid)) keep.push({ stream: entry, reasons: ['broken chain'] });
  return { keep, remove };
}

/** Rule 4: the streams of the chain to remove for space, or undefined when none may go. */
export function chainToFreeSpace(entries: readonly StreamEntry[], plan: StreamPlan, damaged: ReadonlySet<string> = new Set()): StreamEntry[] | undefined {
  const chains = chainsOf(entries);
  const newest = entries.reduce<StreamEntry | undefined>((a, e) => (!a || Date.parse(e.created) > Date.parse(a.created) ? e : a), undefined);
  const protect = new Set([
    ...(plan.kind === 'incremental' ? [plan.parentStream.receivedUuid] : []),
    ...(newest ? [newest.receivedUuid] : []),
    ...damagedAwaitingFull(entries, damaged).map((e) => e.receivedUuid),
  ]);
  const removable = chains.filter((c) => !c.streams.some((s) => protect.has(s.receivedUuid)));
  const started = (c: Chain) => Date.parse((c.streams.find((s) => s.kind === 'full') ?? c.streams[0]).created);
  removable.sort((a, b) => started(a) - started(b));
  return removable[0]?.streams;
}

/**
 * Streams of whole chains in the shape of received backups, for the rules
 * that pair backups with source snapshots (local pruning's next parent).
 */
export function streamsAsBackups(entries: readonly StreamEntry[]): Subvolume[] {
  return entries
    .filter((e) => chainTo(entries, e))
    .map((e, index) => ({ id: 0, path: e.name, uuid: e.receivedUuid, receivedUuid: e.receivedUuid, createdGeneration: index, readOnly: true }));
}

/** Rule 5: the index of the last stream listed that a drill found damaged, or -1. */
function lastDamaged(entries: readonly StreamEntry[], damaged: ReadonlySet<string>): number {
  let last = -1;
  for (const [index, entry] of entries.entries()) if (damaged.has(entry.receivedUuid)) last = index;
  return last;
}

/** Rule 5: the damaged streams, while no whole chain started after the last of them. */
function damagedAwaitingFull(entries: readonly StreamEntry[], damaged: ReadonlySet<string>): StreamEntry[] {
  const barrier = lastDamaged(entries, damaged);
  if (barrier < 0) return [];
  const after = entries.slice(barrier + 1);
  const followed = after.some((e) => after.includes(chainTo(entries, e)?.[0] as StreamEntry));
  return followed ? [] : entries.filter((e) => damaged.has(e.receivedUuid));
}
