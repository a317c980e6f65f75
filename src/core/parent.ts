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
 * 5. A snapshot that was itself received (a restore brought it back from a
 *    backup) is sent under its received UUID, as `btrfs send` names it, so
 *    its pairing key is its received UUID; and a subvolume made from such a
 *    snapshot (the restored home) counts that snapshot, its origin, among its
 *    own. Backups made before the restore are then parents after it.
 *
 * Renaming snapshots, wiping the destination, or deleting the newest source
 * snapshot by hand therefore never leads to a wrong parent, only to a full send.
 */
export type SendPlan =
  | { kind: 'full' }
  | { kind: 'incremental'; parent: Subvolume; parentBackup: Subvolume };

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

export function choosePlan(
  sourceSnapshots: readonly Subvolume[],
  destinationBackups: readonly Subvolume[],
  exclude?: string,
): SendPlan {
  const received = new Map<string, Subvolume>();
  for (const backup of destinationBackups) {
    if (isCompleteBackup(backup)) received.set(backup.receivedUuid as string, backup);
  }
  let best: { parent: Subvolume; parentBackup: Subvolume } | undefined;
  for (const snapshot of sourceSnapshots) {
    if (!snapshot.readOnly || snapshot.uuid === exclude) continue;
    const parentBackup = received.get(streamUuid(snapshot));
    if (!parentBackup) continue;
    if (!best || snapshot.createdGeneration > best.parent.createdGeneration) {
      best = { parent: snapshot, parentBackup };
    }
  }
  return best ? { kind: 'incremental', ...best } : { kind: 'full' };
}
