/**
 * What the background monitor (`rewind --monitor`) tells the user about
 * (docs/monitor.md). These are each user's own, in GSettings
 * (data/io.github.rewindbackup.Rewind.gschema.xml, read by
 * src/app/notification-prefs.ts), not the helper's configuration: changing
 * them needs no administrator. Kept apart from ./config so the app reads the
 * defaults without bundling the schema library.
 */
export interface NotificationSettings {
  /** Remind, at most once a day, when a destination has not been seen for this many days; 0 never reminds. */
  remindAfterDays: number;
  /** Warn when a backup disk has less than this percentage of its size free; 0 never warns. */
  lowSpacePercent: number;
  /** Say so when a backup succeeded, too. */
  onSuccess: boolean;
}

export const DEFAULT_NOTIFICATIONS: Readonly<NotificationSettings> = Object.freeze({ remindAfterDays: 7, lowSpacePercent: 10, onSuccess: false });

/** The GSettings key of each setting (the schema's `<key name>`). */
export const NOTIFICATION_KEYS: Readonly<Record<keyof NotificationSettings, string>> = Object.freeze({
  remindAfterDays: 'remind-after-days',
  lowSpacePercent: 'low-space-percent',
  onSuccess: 'notify-on-success',
});

/** The allowed range of each number setting (the schema's `<range>`). */
export const NOTIFICATION_RANGES: Readonly<Record<'remindAfterDays' | 'lowSpacePercent', readonly [number, number]>> = Object.freeze({
  remindAfterDays: [0, 365] as const,
  lowSpacePercent: [0, 50] as const,
});

/**
 * The settings `value` names correctly (an object of some of the settings,
 * as the prefs.notifications action receives it); anything else in it, of
 * the wrong type or out of range, is left out.
 */
export function pickNotificationSettings(value: unknown): Partial<NotificationSettings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const given = value as Record<string, unknown>;
  const picked: Partial<NotificationSettings> = {};
  for (const key of ['remindAfterDays', 'lowSpacePercent'] as const) {
    const n = given[key];
    const [min, max] = NOTIFICATION_RANGES[key];
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) picked[key] = n;
  }
  if (typeof given.onSuccess === 'boolean') picked.onSuccess = given.onSuccess;
  return picked;
}
