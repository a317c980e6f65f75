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
 *
 * Renaming snapshots, wiping the destination, or deleting the newest source
 * snapshot by hand therefore never leads to a wrong parent, only to a full send.
 */
export type SendPlan =
  | { kind: 'full' }
  | { kind: 'incremental'; parent: Subvolume; parentBackup: Subvolume };

export function snapshotsOf(subvolumeUuid: string, all: readonly Subvolume[]): Subvolume[] {
  return all
    .filter((s) => s.parentUuid === subvolumeUuid && s.readOnly)
    .sort((a, b) => a.createdGeneration - b.createdGeneration);
}

export function isCompleteBackup(backup: Subvolume): boolean {
  return backup.readOnly && backup.receivedUuid !== undefined;
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
    const parentBackup = received.get(snapshot.uuid);
    if (!parentBackup) continue;
    if (!best || snapshot.createdGeneration > best.parent.createdGeneration) {
      best = { parent: snapshot, parentBackup };
    }
  }
  return best ? { kind: 'incremental', ...best } : { kind: 'full' };
}
