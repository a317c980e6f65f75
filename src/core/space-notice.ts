import type { SpaceFreed, TransferRecord } from './status';

/**
 * What a run says in words about the space it had to find: older backups
 * removed to make room on a full destination, local snapshots removed from
 * a source disk that ran low, and the one sentence of a backup that did not
 * fit even so. The helper writes these sentences into the run's record,
 * where the CLI prints them; the app says the same in its own translated
 * words, from the record's fields.
 *
 * No snapshot names, ids or device paths: a destination by its name, a
 * source by its folder, what went by how many.
 */

/** "142.6 MB", "2.1 GB": decimal units with one decimal, as GNOME shows sizes. */
export function sizeText(bytes: number): string {
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  if (bytes < 1000) return `${Math.max(0, Math.round(bytes))} bytes`;
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function oldestBackups(count: number): string {
  return count === 1 ? 'the oldest backup was' : `the ${count} oldest backups were`;
}

/** "To make room on Blue USB disk, the 2 oldest backups were removed." */
export function roomMadeMessage(destination: string, count: number): string {
  return `To make room on ${destination}, ${oldestBackups(count)} removed.`;
}

/** "The disk that holds /home was running out of space, so the 3 oldest snapshots on it were removed; your backups are kept." */
export function sourceThinnedMessage(sources: readonly string[], count: number): string {
  const what = count === 1 ? 'the oldest snapshot on it was' : `the ${count} oldest snapshots on it were`;
  return `The disk that holds ${sources.join(', ')} was running out of space, so ${what} removed; your backups are kept.`;
}

/**
 * A backup that did not fit even after making room, in one sentence that
 * says why and what to do, and who can: on a disk, the person; on a backup
 * server, whoever looks after it (the person may not be able to sign in
 * there). `freeBytes` is the space left once everything that could go went
 * (unknown: not said).
 */
export function noRoomMessage(destination: string, removed: number, freeBytes?: number, place: 'disk' | 'server' = 'disk'): string {
  const name = place === 'server' ? `the backup server ${destination}` : destination;
  const where = freeBytes === undefined ? `on ${name}` : `in the ${sizeText(freeBytes)} free on ${name}`;
  const why =
    removed === 0
      ? 'and no older backup there may be removed to make room'
      : `even after ${oldestBackups(removed)} removed to make room, and the backups left are needed for the next one`;
  const todo =
    place === 'server'
      ? 'whoever looks after the server can free space on the disk that holds its backup folder, or you can add the server again with a folder on a larger disk. The backups already there are kept.'
      : 'delete other files from the disk, or use a larger one.';
  return `This backup does not fit ${where}, ${why}: ${todo}`;
}

/**
 * The destinations' entries of a run's `spaceFreed`: what each transfer
 * removed for space, one entry per destination (several folders may have
 * made room on one disk), in the order the transfers ran.
 */
export function destinationsSpaceFreed(transfers: readonly TransferRecord[], nameOf: (destination: string) => string): SpaceFreed[] {
  const removed = new Map<string, string[]>();
  for (const t of transfers) {
    if (!t.removedForSpace?.length) continue;
    removed.set(t.destination, [...(removed.get(t.destination) ?? []), ...t.removedForSpace]);
  }
  return [...removed].map(([destination, names]) => ({
    side: 'destination',
    destination,
    removed: names,
    message: roomMadeMessage(nameOf(destination), names.length),
  }));
}
