/**
 * A number setting offered as a few plain choices instead of a spin button
 * (the Preferences' low-space warning, the reminder): the usual values,
 * the value the configuration has when it is not one of them (written by
 * hand, it is shown as it is, not silently changed), and 0, "never", last.
 */
export function settingChoices(usual: readonly number[], current: number): number[] {
  const values = [...new Set([...usual.filter((v) => v > 0), ...(current > 0 ? [current] : [])])].sort((a, b) => a - b);
  return [...values, 0];
}

/** Warn when a backup disk has less than this percentage free (0: never). */
export const LOW_SPACE_CHOICES: readonly number[] = [5, 10, 20, 30];

/** Remind after this many days without the backup disk (0: never). */
export const REMIND_DAYS_CHOICES: readonly number[] = [1, 3, 7, 14, 30];
