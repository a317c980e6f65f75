/**
 * How full a destination is, for the main page and the monitor. The rules:
 * - unknown: no figure (the disk is not mounted, a backup server);
 * - full: less than FULL_BYTES (100 MiB) free, or less than 1 % of the disk:
 *   a backup of any size is likely to fail;
 * - low: less than LOW_BYTES (2 GiB) free, or less than 10 % of the disk: backups
 *   still work, but retention will soon have to remove older ones for room;
 * - ok: anything more.
 * Absolute floors matter for small disks, percentages for large ones.
 */
export type SpaceState = 'unknown' | 'ok' | 'low' | 'full';

export const FULL_BYTES = 100 * 1024 * 1024;
export const LOW_BYTES = 2 * 1024 * 1024 * 1024;

export function spaceState(freeBytes: number | undefined, sizeBytes?: number): SpaceState {
  if (freeBytes === undefined || !Number.isFinite(freeBytes)) return 'unknown';
  const size = sizeBytes !== undefined && sizeBytes > 0 ? sizeBytes : undefined;
  if (freeBytes < FULL_BYTES || (size !== undefined && freeBytes < size / 100)) return 'full';
  if (freeBytes < LOW_BYTES || (size !== undefined && freeBytes < size / 10)) return 'low';
  return 'ok';
}
