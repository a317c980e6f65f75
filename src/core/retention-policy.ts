import * as z from 'zod';

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

const countError = `must be a whole number from 0 to ${MAX_COUNT}`;
const count = z.number({ error: countError }).int(countError).min(0, countError).max(MAX_COUNT, countError);
const hoursError = `must be a whole number of hours from 0 to ${MAX_KEEP_WITHIN_HOURS}`;
const hours = z
  .number({ error: hoursError })
  .int(hoursError)
  .min(0, hoursError)
  .max(MAX_KEEP_WITHIN_HOURS, hoursError);

const COUNT_FIELDS = ['keepWithinHours', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

const customSchema = z
  .strictObject({
    preset: z.literal('custom'),
    /** Keep every snapshot younger than this many hours. */
    keepWithinHours: hours.optional(),
    /** Keep the first snapshot of each of this many most recent hours that have one. */
    hourly: count.optional(),
    daily: count.optional(),
    /** ISO weeks, Monday to Sunday. */
    weekly: count.optional(),
    monthly: count.optional(),
    yearly: count.optional(),
  })
  .refine((p) => COUNT_FIELDS.some((field) => (p[field] ?? 0) > 0), {
    message:
      'a custom policy must keep something: set at least one of keepWithinHours, hourly, daily, weekly, ' +
      'monthly or yearly above 0 (to never delete, use { "preset": "keep-all" })',
    // Only judge a policy whose fields are otherwise valid, so a bad count is reported once.
    when: (payload) => payload.issues.length === 0,
  });

const presetError = `must be one of ${RETENTION_PRESETS.map((p) => `"${p}"`).join(', ')}`;

export const retentionPolicySchema = z.discriminatedUnion(
  'preset',
  [
    z.strictObject({ preset: z.literal('time-machine') }),
    z.strictObject({ preset: z.literal('frugal') }),
    z.strictObject({ preset: z.literal('keep-all') }),
    customSchema,
  ],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const input = issue.input;
      const missing = typeof input === 'object' && input !== null && (input as { preset?: unknown }).preset === undefined;
      return missing ? `is missing; it ${presetError}` : presetError;
    },
  },
);

export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;
export type CustomRetentionPolicy = Extract<RetentionPolicy, { preset: 'custom' }>;

export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({ preset: 'time-machine' });

/**
 * Local snapshots default to "frugal": they live on the disk being backed up,
 * where every snapshot holds on to deleted files, and the backups on the
 * destinations keep the long history.
 */
export const DEFAULT_LOCAL_RETENTION: RetentionPolicy = Object.freeze({ preset: 'frugal' });

/**
 * The config file's "retention" object: one policy for local snapshots and a
 * default for every destination; a destination may override it with its own
 * "retention" field.
 */
export const retentionSettingsSchema = z.strictObject({
  local: retentionPolicySchema.optional(),
  destinations: retentionPolicySchema.optional(),
});
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

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
