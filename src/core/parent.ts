import type { Subvolume } from './subvolume';

/**
 * Parent choice for an incremental send.
 *
 * Rules:
 * 1. A source snapshot belongs to the subvolume when its parent UUID is the
 *    subvolume's UUID; its name and folder do not matter.
 * 2. A destination backup is complete when it is read-only and carries a
 *    received UUID. Anything else is left over from an interrupted receive.
 * 3. The parent is the newest (highest creation generation) read-only source
 *    snapshot whose UUID is the received UUID of a complete destination backup.
 * 4. No such snapshot: the send is full.
 * 6. A backup is a parent only when it is complete and its received UUID is
 *    its own: one that is not read-only (made writable, so it may have
 *    changed), one without a received UUID, and two that carry the same
 *    received UUID (one copied from the other, so which holds what the
 *    stream says cannot be told) are never parents (`checkParents`, used
 *    by every destination that keeps received backups).
 * 5. A snapshot that was itself received (a restore brought it back from a
 *    backup) is sent under its received UUID, as `btrfs send` names it, so
 *    its pairing key is its received UUID; and a subvolume made from such a
 *    snapshot (the restored home) counts that snapshot, its origin, among its
 *    own. Backups made before the restore are then parents after it.
 * 7. A backup a restore drill found damaged (its UUID in `damaged`, kept by
 *    the helper in its state, never on the destination) is never a parent,
 *    and neither is any backup of that folder older than it: an incremental
 *    receive starts from a snapshot of its parent, so unchanged files share
 *    their data with every older backup, and damage found in the newest may
 *    lie in blocks the older ones hold too (the drill read only the
 *    newest). The next backup is therefore full; incrementals go on from it.
 *
 * Renaming snapshots, wiping the destination, or deleting the newest source
 * snapshot by hand therefore never leads to a wrong parent, only to a full send.
 */
export type SendPlan =
  | { kind: 'full'; refused?: ParentRefusal[] }
  | { kind: 'incremental'; parent: Subvolume; parentBackup: Subvolume; refused?: ParentRefusal[] };

/** A backup that is never a parent (rule 6), and why, in words. */
export interface ParentRefusal {
  backup: Subvolume;
  reason: string;
}

/** Read-only snapshots of the subvolume, oldest first, with its origin when that is a read-only snapshot (rule 5). */
export function snapshotsOf(subvolumeUuid: string, all: readonly Subvolume[]): Subvolume[] {
  const origin = all.find((s) => s.uuid === subvolumeUuid)?.parentUuid;
  return all
    .filter((s) => s.readOnly && (s.parentUuid === subvolumeUuid || (origin !== undefined && s.uuid === origin)))
    .sort((a, b) => a.createdGeneration - b.createdGeneration);
}

/** The UUID a receive of this snapshot's stream gets as Received UUID (rule 5). */
export function streamUuid(snapshot: Subvolume): string {
  return snapshot.receivedUuid ?? snapshot.uuid;
}

export function isCompleteBackup(backup: Subvolume): boolean {
  return backup.readOnly && backup.receivedUuid !== undefined;
}

/**
 * The newest of `ownSnapshots` when the subvolume has not changed since it
 * was taken (its generation is not above the snapshot's creation generation):
 * a run then sends that snapshot wherever it is missing instead of taking an
 * identical new one. Undefined when the subvolume changed, or when its
 * generation is unknown.
 */
export function unchangedSnapshot(generation: number | undefined, ownSnapshots: readonly Subvolume[]): Subvolume | undefined {
  if (generation === undefined) return undefined;
  let newest: Subvolume | undefined;
  for (const s of ownSnapshots) if (s.readOnly && (!newest || s.createdGeneration > newest.createdGeneration)) newest = s;
  return newest && generation <= newest.createdGeneration ? newest : undefined;
}

/** Rule 7's words for a backup older than one a drill found damaged. */
export const OLDER_THAN_DAMAGED = 'it is older than a backup a check found damaged, and may hold the same damaged data';
const FOUND_DAMAGED = 'a check restored files from it and they did not come back as they were backed up';

/** Rules 6 and 7: the backups that may be parents, and those that may not with why. */
export function checkParents(backups: readonly Subvolume[], damaged: ReadonlySet<string> = new Set()): { usable: Subvolume[]; refused: ParentRefusal[] } {
  // Rule 7: the newest damaged backup bounds the usable ones from below.
  const barrier = Math.max(-Infinity, ...backups.filter((b) => damaged.has(b.uuid)).map((b) => b.createdGeneration));
  const byReceived = new Map<string, Subvolume[]>();
  for (const b of backups) if (b.receivedUuid) byReceived.set(b.receivedUuid, [...(byReceived.get(b.receivedUuid) ?? []), b]);
  const usable: Subvolume[] = [];
  const refused: ParentRefusal[] = [];
  for (const backup of backups) {
    const twins = backup.receivedUuid ? byReceived.get(backup.receivedUuid)!.filter((b) => b !== backup) : [];
    if (!backup.readOnly) refused.push({ backup, reason: 'it is not read-only, so it may have changed since it was received' });
    else if (!backup.receivedUuid) refused.push({ backup, reason: 'it has no Received UUID, so what it holds cannot be told' });
    else if (twins.length > 0) refused.push({ backup, reason: `its Received UUID is also that of ${twins.map((t) => baseName(t.path)).join(', ')}` });
    else if (damaged.has(backup.uuid)) refused.push({ backup, reason: FOUND_DAMAGED });
    else if (backup.createdGeneration < barrier) refused.push({ backup, reason: OLDER_THAN_DAMAGED });
    else usable.push(backup);
  }
  return { usable, refused };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What a transfer's record says when backups newer than its parent were refused (rule 6). */
export function refusedParentsNotice(destination: string, plan: SendPlan): string | undefined {
  if (!plan.refused?.length) return undefined;
  // The backups before a damaged one are counted, not listed: there may be hundreds.
  const older = plan.refused.filter((r) => r.reason === OLDER_THAN_DAMAGED).length;
  const named = plan.refused.filter((r) => r.reason !== OLDER_THAN_DAMAGED).map((r) => `${baseName(r.backup.path)} (${r.reason})`);
  const before = older === 0 ? [] : [`${older === 1 ? 'the backup' : `the ${older} backups`} before it (${older === 1 ? 'it' : 'they'} may hold the same damaged data)`];
  const which = [...named, ...before].join('; ');
  const sent = plan.kind === 'full' ? 'a full backup was sent instead' : `this backup was made on the older ${baseName(plan.parentBackup.path)} instead`;
  return `A backup on ${destination} is damaged and never built on: ${which}. So ${sent}; the damaged backup is kept.`;
}

export function choosePlan(
  sourceSnapshots: readonly Subvolume[],
  destinationBackups: readonly Subvolume[],
  exclude?: string,
  damaged: ReadonlySet<string> = new Set(),
): SendPlan {
  const { usable, refused } = checkParents(destinationBackups, damaged);
  const received = new Map<string, Subvolume>();
  for (const backup of usable) received.set(backup.receivedUuid as string, backup);
  let best: { parent: Subvolume; parentBackup: Subvolume } | undefined;
  for (const snapshot of sourceSnapshots) {
    if (!snapshot.readOnly || snapshot.uuid === exclude) continue;
    const parentBackup = received.get(streamUuid(snapshot));
    if (!parentBackup) continue;
    if (!best || snapshot.createdGeneration > best.parent.createdGeneration) {
      best = { parent: snapshot, parentBackup };
    }
  }
  // Only refusals newer than the parent matter: older ones would not have been chosen anyway.
  const newer = refused.filter((r) => !best || r.backup.createdGeneration > best.parentBackup.createdGeneration);
  const plan: SendPlan = best ? { kind: 'incremental', ...best } : { kind: 'full' };
  return newer.length ? { ...plan, refused: newer } : plan;
}

/**
 * Rule 7's other half: a damaged backup is kept (by retention and when room
 * is made) until a backup that may be a parent has landed after it in its
 * folder, the fresh full backup; it still holds every file the drill did
 * not find damaged. Returns those still waiting for one.
 */
export function damagedAwaitingFull(backups: readonly Subvolume[], damaged: ReadonlySet<string>): Subvolume[] {
  if (damaged.size === 0) return [];
  const { usable } = checkParents(backups, damaged);
  return backups.filter((b) => damaged.has(b.uuid) && !usable.some((u) => u.createdGeneration > b.createdGeneration));
}
