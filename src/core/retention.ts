import type { RetentionRules } from './retention-policy';

/**
 * Which snapshots retention keeps. Applied on its own to the local snapshots
 * of a subvolume and to the backups at each destination; docs/retention.md is
 * the user-facing version of these rules, with a worked example.
 *
 * Rules:
 * 1. A snapshot's time is its creation time, an instant. `now` is the
 *    reference clock; periods are read on the wall clock of `timeZone` (an
 *    IANA name such as "Europe/Berlin"), never on the machine's own settings.
 * 2. Periods. A day, month and year are local calendar ones; a week is an ISO
 *    week, Monday to Sunday, labelled with its ISO week-year ("2026-W53" holds
 *    1 January 2027). An hour is a local wall-clock hour *together with its UTC
 *    offset*: when clocks go back, 01:30 EDT and 01:30 EST are in two different
 *    hours; when clocks go forward, the skipped hour simply has no snapshots.
 *    Days are therefore 23 or 25 hours long around a change, and changing the
 *    time zone moves every day boundary.
 * 3. First of period: the oldest snapshot in a period represents it (ties in
 *    time are broken by id). It keeps representing it while newer snapshots
 *    arrive, so pruning often or rarely makes no difference.
 * 4. Counts: with `daily: N`, the N most recent days *that have a snapshot*
 *    keep their first snapshot; days without one do not use up a slot, so a
 *    laptop that was off for two weeks still keeps N daily snapshots (the same
 *    as `borg prune` and `restic forget`, unlike btrbk's calendar days). Periods
 *    are ordered by their first snapshot. Likewise hourly, weekly, monthly and
 *    yearly, each on its own: one snapshot may be kept for several reasons.
 * 5. keepWithinHours: H keeps every snapshot younger than H hours
 *    (now − time < H h; a snapshot exactly H hours old is not kept by this rule).
 * 6. A snapshot newer than `now` (the clock was wrong when it was taken, or is
 *    wrong now) is kept ("newer than now") and takes part in no period, so it
 *    cannot push real periods out of their slots.
 * 7. `keepAll` keeps everything.
 * 8. Snapshots in `protect` are kept ("protected"): the engine passes the
 *    newest snapshot a destination shares with the source, the next parent.
 * 9. Never delete everything: when neither the rules nor `protect` keep any
 *    snapshot, the newest one is kept ("newest").
 * Every snapshot ends in exactly one of `keep` (with all its reasons, e.g.
 * "within 24 h", "daily 2026-11-25", "weekly 2026-W47", "hourly
 * 2026-11-01T01:00-05:00") or `remove`, both ordered oldest first; a dry run
 * shows them as they are.
 */
export interface RetentionPoint {
  readonly id: string;
  readonly time: Date;
}

export interface RetentionOptions {
  readonly now: Date;
  readonly timeZone: string;
  /** Ids that are kept whatever the rules say; unknown ids are ignored. */
  readonly protect: ReadonlySet<string>;
}

export interface RetentionPlan {
  keep: Array<{ id: string; reasons: string[] }>;
  remove: Array<{ id: string }>;
}

export type PeriodKind = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const PERIOD_KINDS: readonly PeriodKind[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Wall-clock reading of an instant in a time zone. */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  /** Local time minus UTC, in seconds (3600 for CET). */
  readonly offsetSeconds: number;
}

function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, years 0–99 stay as they are
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

export type PeriodLabels = Readonly<Record<PeriodKind, string>>;

interface Clock {
  /** The wall clock at an instant. */
  readonly read: (instant: Date) => LocalTime;
  /**
   * Period labels by epoch ms. Only an optimisation, bounded: a label never
   * changes, and the same snapshots are planned again at every prune.
   */
  readonly memo: Map<number, PeriodLabels>;
}
const clocks = new Map<string, Clock>();
const MEMO_LIMIT = 200_000;

/**
 * The zone of the JavaScript engine's own local time, when the process names
 * it in TZ (the helper does: src/helper/system/time-zone.ts). Its Date
 * methods then read that zone's wall clock without an Intl formatter, whose
 * locale data costs a short backup run more than its whole retention plan.
 */
function engineZone(): string | undefined {
  const tz = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TZ;
  return tz && !tz.startsWith(':') ? tz : undefined;
}

function engineLocalTime(instant: Date): LocalTime {
  return {
    year: instant.getFullYear(),
    month: instant.getMonth() + 1,
    day: instant.getDate(),
    hour: instant.getHours(),
    offsetSeconds: instant.getTimezoneOffset() * -60 || 0,
  };
}

function clockFor(timeZone: string): Clock {
  // Asked each time: a process may change its TZ, and each zone has its own labels.
  const key = timeZone === engineZone() ? `engine:${timeZone}` : timeZone;
  let clock = clocks.get(key);
  if (clock) return clock;
  if (key !== timeZone) {
    clock = { read: engineLocalTime, memo: new Map() };
    clocks.set(key, clock);
    return clock;
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new RangeError(`retention: unknown time zone ${JSON.stringify(timeZone)}; expected an IANA name such as "Europe/Berlin"`);
  }
  clock = { read: (instant) => formattedLocalTime(format, instant), memo: new Map() };
  clocks.set(timeZone, clock);
  return clock;
}

/** The wall clock in `timeZone` at `instant`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  return clockFor(timeZone).read(instant);
}

function formattedLocalTime(format: Intl.DateTimeFormat, instant: Date): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  // Some engines write midnight as 24 even with h23; it is hour 0 of the same day.
  const hour = parts.hour % 24;
  const wall = utcMs(parts.year, parts.month, parts.day, hour, parts.minute, parts.second);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour,
    offsetSeconds: Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 1000),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const hm = `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}`;
  return abs % 60 === 0 ? hm : `${hm}:${pad(abs % 60)}`;
}

/** ISO 8601 week of a calendar date: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = utcMs(year, month, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = date + (3 - weekday) * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - utcMs(weekYear, 1, 1)) / DAY_MS / 7) + 1;
  return { year: weekYear, week };
}

/** The label of the period of `kind` that holds `t`; equal labels mean the same period. */
export function periodLabel(kind: PeriodKind, t: LocalTime): string {
  const date = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
  switch (kind) {
    case 'hourly':
      return `${date}T${pad(t.hour)}:00${formatOffset(t.offsetSeconds)}`;
    case 'daily':
      return date;
    case 'weekly': {
      const w = isoWeek(t.year, t.month, t.day);
      return `${pad(w.year, 4)}-W${pad(w.week)}`;
    }
    case 'monthly':
      return `${pad(t.year, 4)}-${pad(t.month)}`;
    case 'yearly':
      return pad(t.year, 4);
  }
}

/** The labels of every period that holds `instant`. */
export function periodLabels(instant: Date, timeZone: string): PeriodLabels {
  const clock = clockFor(timeZone);
  const ms = instant.getTime();
  let labels = clock.memo.get(ms);
  if (!labels) {
    const t = localTime(instant, timeZone);
    labels = Object.freeze({
      hourly: periodLabel('hourly', t),
      daily: periodLabel('daily', t),
      weekly: periodLabel('weekly', t),
      monthly: periodLabel('monthly', t),
      yearly: periodLabel('yearly', t),
    });
    if (clock.memo.size >= MEMO_LIMIT) clock.memo.clear();
    clock.memo.set(ms, labels);
  }
  return labels;
}

function checkInput(points: readonly RetentionPoint[], now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError('retention: "now" is not a valid time');
  const seen = new Set<string>();
  for (const p of points) {
    if (seen.has(p.id)) throw new RangeError(`retention: the snapshot id ${JSON.stringify(p.id)} appears twice`);
    seen.add(p.id);
    if (!(p.time instanceof Date) || Number.isNaN(p.time.getTime())) {
      throw new RangeError(`retention: the snapshot ${JSON.stringify(p.id)} has no valid time`);
    }
  }
}

export function planRetention(
  points: readonly RetentionPoint[],
  rules: RetentionRules,
  options: RetentionOptions,
): RetentionPlan {
  const { now, timeZone, protect } = options;
  checkInput(points, now);
  // Only periods need the wall clock (and making the formatter loads ICU's locale data).
  const countsPeriods = PERIOD_KINDS.some((kind) => rules[kind] > 0);
  if (countsPeriods) clockFor(timeZone); // an unknown zone is an error even with nothing to plan
  const sorted = points
    .map((point) => ({ point, ms: point.time.getTime() }))
    .sort((a, b) => a.ms - b.ms || (a.point.id < b.point.id ? -1 : a.point.id > b.point.id ? 1 : 0));
  const reasons = new Map<RetentionPoint, string[]>();
  const keep = (point: RetentionPoint, reason: string) => {
    const list = reasons.get(point);
    if (list) list.push(reason);
    else reasons.set(point, [reason]);
  };

  const nowMs = now.getTime();
  const past: Array<{ point: RetentionPoint; labels?: PeriodLabels }> = [];
  for (const { point, ms } of sorted) {
    if (rules.keepAll) keep(point, 'keep all');
    if (ms > nowMs) {
      keep(point, 'newer than now');
      continue;
    }
    if (nowMs - ms < rules.keepWithinHours * HOUR_MS) keep(point, `within ${rules.keepWithinHours} h`);
    past.push({ point, labels: countsPeriods ? periodLabels(point.time, timeZone) : undefined });
  }

  for (const kind of PERIOD_KINDS) {
    const n = rules[kind];
    if (!(n > 0)) continue;
    // Oldest first, so the first point seen in a period is its representative
    // and periods come out ordered by their first point.
    const firsts = new Map<string, RetentionPoint>();
    for (const { point, labels } of past) {
      const label = (labels as PeriodLabels)[kind];
      if (!firsts.has(label)) firsts.set(label, point);
    }
    const periods = [...firsts];
    for (const [label, point] of periods.slice(Math.max(0, periods.length - n))) keep(point, `${kind} ${label}`);
  }

  for (const { point } of sorted) if (protect.has(point.id)) keep(point, 'protected');
  if (reasons.size === 0 && sorted.length > 0) keep(sorted[sorted.length - 1].point, 'newest');

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const { point } of sorted) {
    const why = reasons.get(point);
    if (why) plan.keep.push({ id: point.id, reasons: why });
    else plan.remove.push({ id: point.id });
  }
  return plan;
}
