/**
 * What the background monitor (`rewind --monitor`) tells the user about, the
 * `notifications` field of the configuration (docs/config.md,
 * docs/monitor.md). Kept apart from ./config so the app reads the defaults
 * without bundling the schema library.
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
