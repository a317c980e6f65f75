import { localTime } from './retention';

/**
 * When automatic backups run. The helper turns a schedule into the
 * OnCalendar= of rewind-backup.timer, and the app shows the next run, which
 * must be the time systemd will use. So `nextRun` follows systemd's calendar
 * rules (systemd.time(7)), checked against `systemd-analyze calendar` in
 * tests/system/schedule.test.ts:
 * 1. The spec is read on the local wall clock of the time zone.
 * 2. The next elapse is the first wall-clock time matching the spec that is
 *    later than the wall-clock reading of `after`.
 * 3. A wall-clock time that does not exist that day (clocks go forward) is
 *    skipped; one that happens twice (clocks go back) elapses once, the first
 *    time.
 * The timer also has Persistent=true (a run missed while the machine was off
 * happens at the next boot) and a randomised delay of up to 5 minutes, which
 * the time shown does not include.
 */
export type Schedule =
  | { kind: 'manual' }
  | { kind: 'hourly' }
  | { kind: 'daily'; at: string }
  | { kind: 'weekly'; day: Weekday; at: string };

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const DEFAULT_SCHEDULE: Schedule = Object.freeze({ kind: 'hourly' });
export const TIMER_RANDOM_DELAY_SECONDS = 300;

const SYSTEMD_DAY: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
/** Date.getUTCDay() numbering. */
const DAY_NUMBER: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function parseTime(at: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (!m) throw new RangeError(`schedule: ${JSON.stringify(at)} is not a time such as 09:30`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The OnCalendar= value, in systemd's normalized form; undefined for manual. */
export function onCalendar(schedule: Schedule): string | undefined {
  switch (schedule.kind) {
    case 'manual':
      return undefined;
    case 'hourly':
      return '*-*-* *:00:00';
    case 'daily':
      return `*-*-* ${schedule.at}:00`;
    case 'weekly':
      return `${SYSTEMD_DAY[schedule.day]} *-*-* ${schedule.at}:00`;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The wall-clock reading at `instant`, as milliseconds of a naive (UTC-labelled) date. */
function wallClock(instant: number, timeZone: string): number {
  const t = Math.floor(instant / 1000) * 1000;
  return t + localTime(new Date(t), timeZone).offsetSeconds * 1000;
}

/** Every instant whose wall-clock reading is `wall`: none in a gap, two in an overlap. */
function instantsAt(wall: number, timeZone: string): number[] {
  const offsets = new Set([wallClock(wall - DAY, timeZone) - (wall - DAY), wallClock(wall + DAY, timeZone) - (wall + DAY)]);
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((t) => wallClock(t, timeZone) === wall)
    .sort((a, b) => a - b);
}

/** Wall-clock times matching the schedule, after `wall`, in order. */
function* candidates(schedule: Exclude<Schedule, { kind: 'manual' }>, wall: number): Generator<number> {
  if (schedule.kind === 'hourly') {
    for (let t = Math.floor(wall / HOUR) * HOUR + HOUR; ; t += HOUR) yield t;
  }
  const { hour, minute } = parseTime(schedule.at);
  for (let day = Math.floor(wall / DAY) * DAY; ; day += DAY) {
    if (schedule.kind === 'weekly' && new Date(day).getUTCDay() !== DAY_NUMBER[schedule.day]) continue;
    const t = day + hour * HOUR + minute * MINUTE;
    if (t > wall) yield t;
  }
}

/** When the timer elapses next after `after`; undefined for manual. */
export function nextRun(schedule: Schedule, after: Date, timeZone: string): Date | undefined {
  if (schedule.kind === 'manual') return undefined;
  const from = Math.floor(after.getTime() / 1000) * 1000;
  const wall = wallClock(from, timeZone);
  let tries = 0;
  for (const candidate of candidates(schedule, wall)) {
    // Skipped days, at most one a year per change of offset; a year of hours is plenty.
    if (++tries > 24 * 400) break;
    const [first] = instantsAt(candidate, timeZone);
    if (first !== undefined && first > from) return new Date(first);
  }
  throw new RangeError(`schedule: no next run found for ${JSON.stringify(schedule)} in ${timeZone}`);
}
