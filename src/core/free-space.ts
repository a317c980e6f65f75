import { DEFAULT_NOTIFICATIONS } from './notification-settings';

/**
 * How full a destination is, for the main page and the monitor alike, so
 * that the page says "almost full" exactly when the monitor notifies:
 * - unknown: no figure (the disk is not mounted, a backup server);
 * - full: less than FULL_BYTES (100 MiB) free, or less than 1 % of the disk:
 *   a backup of any size is likely to fail;
 * - low: less than `lowPercent` of the disk free (the Notifications
 *   preference, 10 % unless changed); with the disk's size unknown, less than
 *   LOW_BYTES (2 GiB). Backups still work, but retention will soon have to
 *   remove older ones for room;
 * - ok: anything more.
 */
export type SpaceState = 'unknown' | 'ok' | 'low' | 'full';

export const FULL_BYTES = 100 * 1024 * 1024;
export const LOW_BYTES = 2 * 1024 * 1024 * 1024;

export function spaceState(freeBytes: number | undefined, sizeBytes?: number, lowPercent = DEFAULT_NOTIFICATIONS.lowSpacePercent): SpaceState {
  if (freeBytes === undefined || !Number.isFinite(freeBytes)) return 'unknown';
  const size = sizeBytes !== undefined && sizeBytes > 0 ? sizeBytes : undefined;
  if (freeBytes < FULL_BYTES || (size !== undefined && freeBytes < size / 100)) return 'full';
  if (size === undefined ? freeBytes < LOW_BYTES : freeBytes * 100 < size * lowPercent) return 'low';
  return 'ok';
}
