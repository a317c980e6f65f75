/**
 * Retention policies as the configuration file spells them, and the rules
 * they resolve to. docs/retention.md defines every preset; ./retention applies
 * the rules.
 *
 * Presets:
 * - "time-machine" (the default): every snapshot younger than 24 hours, the
 *   first of each of the last 31 days, of the last 52 ISO weeks and of the last
 *   60 months. The 60 months are the bound: nothing older than five years of
 *   snapshots is kept, and at most 31 + 52 + 60 = 143 snapshots older than
 *   24 hours exist at any time.
 * - "frugal": every snapshot younger than 24 hours, then 7 daily, 4 weekly and
 *   6 monthly, for a small disk.
 * - "keep-all": nothing is ever deleted by retention. When the disk fills up,
 *   the engine may still delete the oldest snapshots to make room; that is
 *   space pressure, decided elsewhere, not retention.
 * - "custom": any of keepWithinHours, hourly, daily, weekly, monthly and
 *   yearly; missing fields are 0. A custom policy that keeps nothing is refused
 *   rather than read as "delete everything".
 */
export const RETENTION_PRESETS = ['time-machine', 'frugal', 'keep-all', 'custom'] as const;
export type RetentionPreset = (typeof RETENTION_PRESETS)[number];

/** Largest count of one kind (10000 hourly snapshots are more than a year). */
export const MAX_COUNT = 10000;
/** Largest keepWithinHours: ten years. */
export const MAX_KEEP_WITHIN_HOURS = 87600;

/** A retention policy as the configuration spells it (checked by ./retention-policy-schema). */
export type RetentionPolicy = { preset: 'time-machine' } | { preset: 'frugal' } | { preset: 'keep-all' } | CustomRetentionPolicy;

export interface CustomRetentionPolicy {
  preset: 'custom';
  /** Keep every snapshot younger than this many hours. */
  keepWithinHours?: number;
  /** Keep the first snapshot of each of this many most recent hours that have one. */
  hourly?: number;
  daily?: number;
  /** ISO weeks, Monday to Sunday. */
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

/**
 * The config file's "retention" object: one policy for local snapshots and a
 * default for every destination; a destination may override it with its own
 * "retention" field.
 */
export interface RetentionSettings {
  local?: RetentionPolicy;
  destinations?: RetentionPolicy;
}

export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ preset: 'time-machine' });

/**
 * Local snapshots default to "frugal": they live on the disk being backed up,
 * where every snapshot holds on to deleted files, and the backups on the
 * destinations keep the long history.
 */
export const DEFAULT_LOCAL_RETENTION: RetentionPolicy = Object.freeze({ preset: 'frugal' });

/** What the planner applies: resolved counts, 0 meaning "none of this kind". */
export interface RetentionRules {
  /** Keep every snapshot; the other fields are then irrelevant. */
  readonly keepAll: boolean;
  /** Keep every snapshot younger than this many hours. */
  readonly keepWithinHours: number;
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
}

const NONE: RetentionRules = { keepAll: false, keepWithinHours: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };

export const PRESET_RULES: Readonly<Record<Exclude<RetentionPreset, 'custom'>, RetentionRules>> = Object.freeze({
  'time-machine': Object.freeze({ ...NONE, keepWithinHours: 24, daily: 31, weekly: 52, monthly: 60 }),
  frugal: Object.freeze({ ...NONE, keepWithinHours: 24, daily: 7, weekly: 4, monthly: 6 }),
  'keep-all': Object.freeze({ ...NONE, keepAll: true }),
});

export function policyRules(policy: RetentionPolicy): RetentionRules {
  if (policy.preset !== 'custom') return PRESET_RULES[policy.preset];
  return {
    keepAll: false,
    keepWithinHours: policy.keepWithinHours ?? 0,
    hourly: policy.hourly ?? 0,
    daily: policy.daily ?? 0,
    weekly: policy.weekly ?? 0,
    monthly: policy.monthly ?? 0,
    yearly: policy.yearly ?? 0,
  };
}

/**
 * The policy for local snapshots (target "local") or for one destination,
 * whose own override wins over the settings' default for destinations.
 */
export function policyFor(
  settings: RetentionSettings | undefined,
  target: 'local' | { retention?: RetentionPolicy },
): RetentionPolicy {
  if (target === 'local') return settings?.local ?? DEFAULT_LOCAL_RETENTION;
  return target.retention ?? settings?.destinations ?? DEFAULT_RETENTION;
}
