import * as z from 'zod';
import { MAX_COUNT, MAX_KEEP_WITHIN_HOURS, RETENTION_PRESETS, type RetentionPolicy, type RetentionSettings } from './retention-policy';

/**
 * The checks of the configuration's retention policies (./retention-policy
 * defines them and what they mean). Apart from that module so that what
 * applies a policy, a backup run's retention above all, does not load the
 * validator: a run from the timer whose configuration was checked before
 * does not need it (src/helper/config/config-file.ts).
 */
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

/** The config file's "retention" object (RetentionSettings). */
export const retentionSettingsSchema = z.strictObject({
  local: retentionPolicySchema.optional(),
  destinations: retentionPolicySchema.optional(),
});

/** Both ways assignable: the schemas above and the types in ./retention-policy say the same. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchTypes: [Same<z.infer<typeof retentionPolicySchema>, RetentionPolicy>, Same<z.infer<typeof retentionSettingsSchema>, RetentionSettings>] = [true, true];
void schemasMatchTypes;
