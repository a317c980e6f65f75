import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildSync } from 'esbuild';
import { isoWeek, localTime, periodLabel, planRetention, type RetentionPoint } from '../../src/core/retention';
import {
  DEFAULT_LOCAL_RETENTION,
  DEFAULT_RETENTION,
  PRESET_RULES,
  policyFor,
  policyRules,
  type RetentionRules,
} from '../../src/core/retention-policy';
import { retentionPolicySchema, retentionSettingsSchema } from '../../src/core/retention-policy-schema';
import { parseSnapshotName, snapshotName } from '../../src/core/snapshot-name';

const HOUR = 3_600_000;
const NONE: RetentionRules = { keepAll: false, keepWithinHours: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
const rules = (r: Partial<RetentionRules>): RetentionRules => ({ ...NONE, ...r });

/** Points named by their ISO time, so plans read as times. */
const points = (...isos: string[]): RetentionPoint[] => isos.map((iso) => ({ id: iso, time: new Date(iso) }));

function plan(
  pts: readonly RetentionPoint[],
  r: Partial<RetentionRules>,
  now: string,
  timeZone = 'UTC',
  protect: string[] = [],
) {
  return planRetention(pts, rules(r), { now: new Date(now), timeZone, protect: new Set(protect) });
}

/** The plan as { id: reasons } for kept points and a list of removed ids. */
function decisions(p: ReturnType<typeof planRetention>) {
  return { keep: Object.fromEntries(p.keep.map((k) => [k.id, k.reasons])), remove: p.remove.map((r) => r.id) };
}

describe('periods', () => {
  test.each([
    [2025, 12, 29, '2026-W01'], // Monday of the week holding the first Thursday of 2026
    [2026, 1, 1, '2026-W01'],
    [2026, 1, 4, '2026-W01'], // Sunday
    [2026, 1, 5, '2026-W02'],
    [2026, 12, 31, '2026-W53'], // 2026 starts on a Thursday: 53 weeks
    [2027, 1, 1, '2026-W53'],
    [2027, 1, 3, '2026-W53'],
    [2027, 1, 4, '2027-W01'],
    [2024, 12, 30, '2025-W01'],
    [2021, 1, 3, '2020-W53'],
  ])('ISO week of %i-%i-%i is %s', (y, m, d, label) => {
    const w = isoWeek(y, m, d);
    expect(`${w.year}-W${String(w.week).padStart(2, '0')}`).toBe(label);
  });

  test.each([
    ['2026-11-25T13:20:00Z', 'Europe/Berlin', ['2026-11-25T14:00+01:00', '2026-11-25', '2026-W48', '2026-11', '2026']],
    ['2026-12-31T23:30:00Z', 'Europe/Berlin', ['2027-01-01T00:00+01:00', '2027-01-01', '2026-W53', '2027-01', '2027']],
    ['2026-12-31T23:30:00Z', 'UTC', ['2026-12-31T23:00+00:00', '2026-12-31', '2026-W53', '2026-12', '2026']],
    ['2026-01-01T00:00:00Z', 'Asia/Kathmandu', ['2026-01-01T05:00+05:45', '2026-01-01', '2026-W01', '2026-01', '2026']],
    ['2026-06-10T22:30:00Z', 'America/New_York', ['2026-06-10T18:00-04:00', '2026-06-10', '2026-W24', '2026-06', '2026']],
  ])('%s in %s is in hour, day, week, month and year %j', (iso, zone, labels) => {
    const t = localTime(new Date(iso), zone);
    expect((['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((k) => periodLabel(k, t))).toEqual(labels);
  });
});

describe("the engine's own local time, when TZ names the zone", () => {
  // A process of its own: Node follows a change of TZ, the test's sandboxed process.env does not reach it.
  const script = `
    const { localTime } = require('./retention.cjs');
    const zone = process.argv[1];
    const instants = Array.from({ length: 366 * 24 }, (_, h) => new Date(Date.UTC(2026, 0, 1) + h * 3600000 + 1800000));
    process.env.TZ = 'Etc/GMT+12' === zone ? 'UTC' : 'Etc/GMT+12';
    const formatted = instants.map((i) => localTime(i, zone));
    process.env.TZ = zone;
    const engine = instants.map((i) => localTime(i, zone));
    const differ = engine.findIndex((t, k) => JSON.stringify(t) !== JSON.stringify(formatted[k]));
    console.log(JSON.stringify({ differ, at: instants[differ], engine: engine[differ], formatted: formatted[differ], sample: engine[2000] }));
  `;
  const dir = mkdtempSync(path.join(tmpdir(), 'rewind-retention-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    buildSync({ entryPoints: [fileURLToPath(new URL('../../src/core/retention.ts', import.meta.url))], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'retention.cjs'), logLevel: 'error' });
  });

  test.each(['Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'])(
    'agrees with the formatter in %s, hour by hour across a year and its daylight saving changes',
    (zone) => {
      const out = execFileSync(process.execPath, ['-e', script, zone], { cwd: dir, encoding: 'utf8' });
      const result = JSON.parse(out) as { differ: number; sample: { offsetSeconds: number } };
      expect(result).toMatchObject({ differ: -1 });
    },
  );
});

describe('planRetention at fixed instants', () => {
  test('the first (oldest) snapshot of each period represents it', () => {
    const p = plan(
      points('2026-11-24T08:00:00Z', '2026-11-24T12:00:00Z', '2026-11-24T20:00:00Z', '2026-11-25T07:00:00Z', '2026-11-25T09:00:00Z'),
      { daily: 2 },
      '2026-11-26T12:00:00Z',
    );
    expect(decisions(p)).toEqual({
      keep: { '2026-11-24T08:00:00Z': ['daily 2026-11-24'], '2026-11-25T07:00:00Z': ['daily 2026-11-25'] },
      remove: ['2026-11-24T12:00:00Z', '2026-11-24T20:00:00Z', '2026-11-25T09:00:00Z'],
    });
  });

  test('periods without snapshots use no slot (1, 2, 3 and 10 January, daily 3)', () => {
    const p = plan(
      points('2026-01-01T12:00:00Z', '2026-01-02T12:00:00Z', '2026-01-03T12:00:00Z', '2026-01-10T12:00:00Z'),
      { daily: 3 },
      '2026-01-10T18:00:00Z',
    );
    expect(decisions(p).remove).toEqual(['2026-01-01T12:00:00Z']);
  });

  test.each<[string, Partial<RetentionRules>, string[], string[]]>([
    [
      'hourly: the hour without snapshots is skipped',
      { hourly: 3 },
      ['2026-05-01T10:05:00Z', '2026-05-01T10:55:00Z', '2026-05-01T11:30:00Z', '2026-05-01T13:00:00Z'],
      ['2026-05-01T10:05:00Z', '2026-05-01T11:30:00Z', '2026-05-01T13:00:00Z'],
    ],
    [
      'weekly: Sunday and the next Monday are in different ISO weeks',
      { weekly: 2 },
      ['2026-11-22T10:00:00Z', '2026-11-23T10:00:00Z', '2026-11-25T10:00:00Z'],
      ['2026-11-22T10:00:00Z', '2026-11-23T10:00:00Z'],
    ],
    [
      'monthly: the first of each of the last 2 months',
      { monthly: 2 },
      ['2026-08-31T10:00:00Z', '2026-09-30T10:00:00Z', '2026-10-15T10:00:00Z', '2026-10-16T10:00:00Z'],
      ['2026-09-30T10:00:00Z', '2026-10-15T10:00:00Z'],
    ],
    [
      'yearly: the first of each of the last 2 years',
      { yearly: 2 },
      ['2023-07-01T00:00:00Z', '2024-02-01T00:00:00Z', '2024-12-31T00:00:00Z', '2025-03-01T00:00:00Z'],
      ['2024-02-01T00:00:00Z', '2025-03-01T00:00:00Z'],
    ],
    [
      'kinds are independent; a snapshot can be kept for several',
      { daily: 1, weekly: 1, monthly: 1 },
      ['2026-10-31T10:00:00Z', '2026-11-02T09:00:00Z', '2026-11-04T09:00:00Z', '2026-11-04T10:00:00Z'],
      ['2026-11-02T09:00:00Z', '2026-11-04T09:00:00Z'],
    ],
  ])('%s', (_name, r, pts, kept) => {
    const p = plan(points(...pts), r, '2026-12-01T00:00:00Z');
    expect(p.keep.map((k) => k.id)).toEqual(kept);
  });

  test('reasons name every rule that keeps a snapshot', () => {
    const p = plan(points('2026-11-02T09:00:00Z', '2026-11-04T09:00:00Z'), { keepWithinHours: 48, daily: 1, weekly: 1, monthly: 1 }, '2026-11-04T12:00:00Z');
    expect(decisions(p).keep).toEqual({
      '2026-11-02T09:00:00Z': ['weekly 2026-W45', 'monthly 2026-11'],
      '2026-11-04T09:00:00Z': ['within 48 h', 'daily 2026-11-04'],
    });
  });

  test('keepWithinHours keeps what is younger; exactly that old is not', () => {
    const p = plan(
      points('2026-11-25T12:00:00Z', '2026-11-25T12:00:01Z', '2026-11-26T12:00:00Z'),
      { keepWithinHours: 24 },
      '2026-11-26T12:00:00Z',
    );
    expect(decisions(p)).toEqual({
      keep: { '2026-11-25T12:00:01Z': ['within 24 h'], '2026-11-26T12:00:00Z': ['within 24 h'] },
      remove: ['2026-11-25T12:00:00Z'],
    });
  });

  test('a snapshot from the future is kept and takes no period slot', () => {
    const p = plan(points('2026-11-24T10:00:00Z', '2026-11-25T10:00:00Z', '2027-03-01T10:00:00Z'), { daily: 1 }, '2026-11-26T00:00:00Z');
    expect(decisions(p)).toEqual({
      keep: { '2026-11-25T10:00:00Z': ['daily 2026-11-25'], '2027-03-01T10:00:00Z': ['newer than now'] },
      remove: ['2026-11-24T10:00:00Z'],
    });
  });

  test('protected snapshots are kept whatever the rules say; unknown ids are ignored', () => {
    const pts = points('2026-11-24T10:00:00Z', '2026-11-25T10:00:00Z', '2026-11-25T18:00:00Z');
    const p = plan(pts, { daily: 1 }, '2026-11-26T00:00:00Z', 'UTC', ['2026-11-24T10:00:00Z', 'gone']);
    expect(decisions(p)).toEqual({
      keep: { '2026-11-24T10:00:00Z': ['protected'], '2026-11-25T10:00:00Z': ['daily 2026-11-25'] },
      remove: ['2026-11-25T18:00:00Z'],
    });
  });

  test('never deletes everything: the newest is kept when nothing else is', () => {
    const pts = points('2020-01-01T00:00:00Z', '2020-01-02T00:00:00Z');
    expect(decisions(plan(pts, { keepWithinHours: 1 }, '2026-01-01T00:00:00Z'))).toEqual({
      keep: { '2020-01-02T00:00:00Z': ['newest'] },
      remove: ['2020-01-01T00:00:00Z'],
    });
    // A protected snapshot already means not everything goes.
    expect(decisions(plan(pts, { keepWithinHours: 1 }, '2026-01-01T00:00:00Z', 'UTC', ['2020-01-01T00:00:00Z']))).toEqual({
      keep: { '2020-01-01T00:00:00Z': ['protected'] },
      remove: ['2020-01-02T00:00:00Z'],
    });
    expect(plan([], { daily: 1 }, '2026-01-01T00:00:00Z')).toEqual({ keep: [], remove: [] });
  });

  test('keep-all keeps everything', () => {
    const p = planRetention(points('2001-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), policyRules({ preset: 'keep-all' }), {
      now: new Date('2026-06-01T00:00:00Z'),
      timeZone: 'UTC',
      protect: new Set(),
    });
    expect(p.remove).toEqual([]);
    expect(p.keep.map((k) => k.reasons)).toEqual([['keep all'], ['keep all']]);
  });

  test('output is oldest first whatever the input order; equal times are ordered by id', () => {
    const t = new Date('2026-11-25T10:00:00Z');
    const pts = [
      { id: 'c', time: new Date('2026-11-25T11:00:00Z') },
      { id: 'b', time: t },
      { id: 'a', time: t },
    ];
    const p = planRetention(pts, rules({ daily: 1 }), { now: new Date('2026-11-26T00:00:00Z'), timeZone: 'UTC', protect: new Set() });
    expect(decisions(p)).toEqual({ keep: { a: ['daily 2026-11-25'] }, remove: ['b', 'c'] });
  });

  test('refuses input that is a bug in the caller', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const ok = { now, timeZone: 'UTC', protect: new Set<string>() };
    expect(() => planRetention([], rules({ daily: 1 }), { ...ok, timeZone: 'Mars/Olympus_Mons' })).toThrow(
      /unknown time zone "Mars\/Olympus_Mons"/,
    );
    expect(() => planRetention([...points('2025-01-01T00:00:00Z'), ...points('2025-01-01T00:00:00Z')], rules({ daily: 1 }), ok)).toThrow(
      /id "2025-01-01T00:00:00Z" appears twice/,
    );
    expect(() => planRetention([{ id: 'x', time: new Date('nonsense') }], rules({ daily: 1 }), ok)).toThrow(/"x" has no valid time/);
    expect(() => planRetention([], rules({ daily: 1 }), { ...ok, now: new Date(Number.NaN) })).toThrow(/"now" is not a valid time/);
  });
});

describe('time zones and daylight saving time', () => {
  test('Europe/Berlin, spring forward (29 March 2026, 02:00 → 03:00): the skipped hour is no period, the day has 23 hours', () => {
    const hourly = plan(points('2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z'), { hourly: 10 }, '2026-03-29T03:00:00Z', 'Europe/Berlin');
    expect(hourly.keep.map((k) => k.reasons)).toEqual([['hourly 2026-03-29T01:00+01:00'], ['hourly 2026-03-29T03:00+02:00']]);

    const daily = plan(
      points('2026-03-28T22:59:00Z', '2026-03-28T23:00:00Z', '2026-03-29T21:59:00Z', '2026-03-29T22:00:00Z'),
      { daily: 10 },
      '2026-03-30T12:00:00Z',
      'Europe/Berlin',
    );
    expect(decisions(daily)).toEqual({
      keep: {
        '2026-03-28T22:59:00Z': ['daily 2026-03-28'], // 23:59 CET
        '2026-03-28T23:00:00Z': ['daily 2026-03-29'], // 00:00 CET
        '2026-03-29T22:00:00Z': ['daily 2026-03-30'], // 00:00 CEST
      },
      remove: ['2026-03-29T21:59:00Z'], // 23:59 CEST, 23 hours into 29 March
    });
  });

  test('Europe/Berlin, fall back (25 October 2026, 03:00 → 02:00): 02:30 happens twice, in two hours of one 25-hour day', () => {
    const pts = points('2026-10-24T22:00:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T22:59:00Z', '2026-10-25T23:00:00Z');
    const hourly = plan(pts, { hourly: 10 }, '2026-10-26T12:00:00Z', 'Europe/Berlin');
    expect(hourly.keep.map((k) => k.reasons[0])).toEqual([
      'hourly 2026-10-25T00:00+02:00',
      'hourly 2026-10-25T02:00+02:00',
      'hourly 2026-10-25T02:00+01:00',
      'hourly 2026-10-25T23:00+01:00',
      'hourly 2026-10-26T00:00+01:00',
    ]);
    const daily = plan(pts, { daily: 10 }, '2026-10-26T12:00:00Z', 'Europe/Berlin');
    expect(decisions(daily).keep).toEqual({
      '2026-10-24T22:00:00Z': ['daily 2026-10-25'],
      '2026-10-25T23:00:00Z': ['daily 2026-10-26'],
    });
  });

  test('America/New_York, spring forward (8 March 2026, 02:00 → 03:00)', () => {
    const p = plan(points('2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z'), { hourly: 10, daily: 10 }, '2026-03-08T12:00:00Z', 'America/New_York');
    expect(decisions(p).keep).toEqual({
      '2026-03-08T06:30:00Z': ['hourly 2026-03-08T01:00-05:00', 'daily 2026-03-08'],
      '2026-03-08T07:30:00Z': ['hourly 2026-03-08T03:00-04:00'],
    });
  });

  test('America/New_York, fall back (1 November 2026, 02:00 → 01:00): 01:00 EDT and 01:00 EST are two hours', () => {
    const p = plan(
      points('2026-11-01T05:10:00Z', '2026-11-01T05:40:00Z', '2026-11-01T06:10:00Z', '2026-11-01T06:40:00Z'),
      { hourly: 2 },
      '2026-11-01T12:00:00Z',
      'America/New_York',
    );
    expect(decisions(p)).toEqual({
      keep: {
        '2026-11-01T05:10:00Z': ['hourly 2026-11-01T01:00-04:00'],
        '2026-11-01T06:10:00Z': ['hourly 2026-11-01T01:00-05:00'],
      },
      remove: ['2026-11-01T05:40:00Z', '2026-11-01T06:40:00Z'],
    });
    // The day runs 25 hours, to 05:00 UTC the next morning.
    const day = plan(points('2026-11-01T04:00:00Z', '2026-11-02T04:59:00Z', '2026-11-02T05:00:00Z'), { daily: 5 }, '2026-11-03T00:00:00Z', 'America/New_York');
    expect(decisions(day).remove).toEqual(['2026-11-02T04:59:00Z']);
  });

  test('America/Sao_Paulo 2019, clocks back at midnight: both 23:30s are in the same day', () => {
    const p = plan(points('2019-02-17T01:30:00Z', '2019-02-17T02:30:00Z'), { daily: 5, hourly: 5 }, '2019-02-18T00:00:00Z', 'America/Sao_Paulo');
    expect(decisions(p).keep).toEqual({
      '2019-02-17T01:30:00Z': ['hourly 2019-02-16T23:00-02:00', 'daily 2019-02-16'],
      '2019-02-17T02:30:00Z': ['hourly 2019-02-16T23:00-03:00'],
    });
  });

  test.each([
    ['UTC', ['2026-06-11T01:00:00Z'], 'daily 2026-06-11'],
    ['Europe/Berlin', ['2026-06-10T22:30:00Z'], 'daily 2026-06-11'],
    ['America/New_York', ['2026-06-10T22:30:00Z'], 'daily 2026-06-10'],
  ])('the same snapshots in %s: day boundaries move with the time zone', (zone, kept, reason) => {
    const p = plan(points('2026-06-10T22:30:00Z', '2026-06-11T01:00:00Z'), { daily: 1 }, '2026-06-12T00:00:00Z', zone);
    expect(p.keep).toEqual([{ id: kept[0], reasons: [reason] }]);
  });
});

describe('presets and the worked example', () => {
  test('time-machine is the default and resolves to its documented counts', () => {
    expect(DEFAULT_RETENTION).toEqual({ preset: 'time-machine' });
    expect(policyRules(DEFAULT_RETENTION)).toEqual(rules({ keepWithinHours: 24, daily: 31, weekly: 52, monthly: 60 }));
    expect(policyRules({ preset: 'frugal' })).toEqual(rules({ keepWithinHours: 24, daily: 7, weekly: 4, monthly: 6 }));
    expect(policyRules({ preset: 'keep-all' })).toEqual(rules({ keepAll: true }));
    expect(policyRules({ preset: 'custom', daily: 3, yearly: 2 })).toEqual(rules({ daily: 3, yearly: 2 }));
  });

  test('docs/retention.md: the worked example is what the planner decides', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/retention.md', import.meta.url), 'utf8');
    const table = doc.split('<!-- retention-example')[1].split('\n\n')[0];
    const rows = [...table.matchAll(/^\| `(\w+)` \| [^|]+ \| (keep|remove) \|([^|]*)\|$/gm)].map((m) => ({
      id: m[1],
      decision: m[2],
      reasons: m[3].trim() === '' ? [] : m[3].trim().split(', '),
    }));
    expect(rows).toHaveLength(14);
    const pts = rows.map((r) => ({ id: r.id, time: parseSnapshotName(r.id) as Date }));
    const p = planRetention(pts, policyRules({ preset: 'custom', keepWithinHours: 24, daily: 3, weekly: 2, monthly: 2 }), {
      now: new Date('2026-11-26T11:00:00Z'),
      timeZone: 'Europe/Berlin',
      protect: new Set(['20261124T160000Z']),
    });
    expect(p.keep).toEqual(rows.filter((r) => r.decision === 'keep').map((r) => ({ id: r.id, reasons: r.reasons })));
    expect(p.remove).toEqual(rows.filter((r) => r.decision === 'remove').map((r) => ({ id: r.id })));
  });
});

/** Wall-clock date and hour, read independently of the module under test. */
const walls = new Map<string, Intl.DateTimeFormat>();
function wall(t: Date, timeZone: string): { date: string; hour: number } {
  let format = walls.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' });
    walls.set(timeZone, format);
  }
  const s = format.format(t); // "2026-11-26 12:00:00"
  return { date: s.slice(0, 10), hour: Number(s.slice(11, 13)) };
}
function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 24 * HOUR).toISOString().slice(0, 10);
}

interface Simulation {
  all: RetentionPoint[];
  alive: RetentionPoint[];
  now: Date;
  maxAlive: number;
}

/**
 * Snapshots every hour from `start` for `hours` hours when `taken` says so; a
 * prune every 6 hours, 5 minutes after the hour, deletes what the planner
 * removes, protecting the newest snapshot (the next parent).
 */
function simulate(start: string, hours: number, r: RetentionRules, timeZone: string, taken: (t: Date) => boolean): Simulation {
  const t0 = Date.parse(start);
  const all: RetentionPoint[] = [];
  let alive: RetentionPoint[] = [];
  let now = new Date(t0);
  let maxAlive = 0;
  let newestRemoved = 0;
  for (let i = 0; i < hours; i++) {
    const time = new Date(t0 + i * HOUR);
    if (taken(time)) {
      const p = { id: snapshotName(time), time };
      all.push(p);
      alive.push(p);
    }
    if (i % 6 === 5 || i === hours - 1) {
      now = new Date(time.getTime() + 5 * 60_000);
      const protect = new Set(alive.length ? [alive[alive.length - 1].id] : []);
      const removed = new Set(planRetention(alive, r, { now, timeZone, protect }).remove.map((x) => x.id));
      if (alive.length > 0 && removed.has(alive[alive.length - 1].id)) newestRemoved++;
      alive = alive.filter((p) => !removed.has(p.id));
      maxAlive = Math.max(maxAlive, alive.length);
    }
  }
  expect(newestRemoved).toBe(0);
  return { all, alive, now, maxAlive };
}

describe('simulated years with an injected clock', () => {
  test('time-machine, six years of hourly snapshots in Europe/Berlin, pruned every 6 hours', () => {
    const zone = 'Europe/Berlin';
    const r = PRESET_RULES['time-machine'];
    // From local midnight, 1 January 2021, to the evening of 31 December 2026.
    const sim = simulate('2020-12-31T23:00:00Z', 6 * 365 * 24 + 23, r, zone, () => true);
    const { all, alive, now } = sim;
    const ids = (pts: readonly { id: string }[]) => pts.map((p) => p.id);

    // Pruning 8760 times gives what one prune of all the snapshots would.
    const once = planRetention(all, r, { now, timeZone: zone, protect: new Set([all[all.length - 1].id]) });
    expect(ids(alive)).toEqual(ids(once.keep));
    // And it is stable: pruning what is left removes nothing.
    expect(planRetention(alive, r, { now, timeZone: zone, protect: new Set() }).remove).toEqual([]);

    // The definition, computed independently: the last 24 hours, then the first
    // snapshot (local 00:00) of the last 31 days, of the last 52 Mondays, and of
    // the last 60 months' first days.
    const today = wall(now, zone).date;
    const monday = addDays(today, -((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7));
    const dates = new Set<string>();
    for (let k = 0; k < 31; k++) dates.add(addDays(today, -k));
    for (let k = 0; k < 52; k++) dates.add(addDays(monday, -7 * k));
    for (let k = 0; k < 60; k++) {
      const d = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() - k);
      dates.add(d.toISOString().slice(0, 10));
    }
    const expected = all.filter((p) => {
      const w = wall(p.time, zone);
      return now.getTime() - p.time.getTime() < 24 * HOUR || (w.hour === 0 && dates.has(w.date));
    });
    expect(ids(alive)).toEqual(ids(expected));

    // The bound: 60 months and no more, so nothing from 2021 is left.
    expect(alive[0].id).toBe('20211231T230000Z'); // 1 January 2022, 00:00 CET
    expect(alive.filter((p) => now.getTime() - p.time.getTime() >= 24 * HOUR).length).toBeLessThanOrEqual(143);
    expect(sim.maxAlive).toBeLessThanOrEqual(24 + 143);
  });

  test('frugal, a laptop in America/New_York used on weekday office hours with holidays, three years', () => {
    const zone = 'America/New_York';
    const r = PRESET_RULES.frugal;
    const holiday = (t: Date) => {
      const { date } = wall(t, zone);
      return date.slice(5) >= '07-20' && date.slice(5) < '08-10'; // three weeks away each summer
    };
    const taken = (t: Date) => {
      const { date, hour } = wall(t, zone);
      const day = new Date(`${date}T00:00:00Z`).getUTCDay();
      return day >= 1 && day <= 5 && hour >= 9 && hour < 18 && !holiday(t);
    };
    const sim = simulate('2024-01-01T05:00:00Z', 3 * 365 * 24, r, zone, taken);
    const { all, alive, now } = sim;
    const once = planRetention(all, r, { now, timeZone: zone, protect: new Set([all[all.length - 1].id]) });
    expect(alive.map((p) => p.id)).toEqual(once.keep.map((k) => k.id));
    expect(planRetention(alive, r, { now, timeZone: zone, protect: new Set() }).remove).toEqual([]);

    const reasons = once.keep.flatMap((k) => k.reasons.map((x) => x.split(' ')[0]));
    expect(reasons.filter((x) => x === 'daily')).toHaveLength(7);
    expect(reasons.filter((x) => x === 'weekly')).toHaveLength(4);
    expect(reasons.filter((x) => x === 'monthly')).toHaveLength(6);
    // Each kept day's snapshot is the first of its day: 09:00 on a working day.
    for (const k of once.keep.filter((k) => k.reasons.some((x) => x.startsWith('daily')))) {
      expect(wall(new Date(k.id.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')), zone).hour).toBe(9);
    }
    // At most 9 snapshots of the last 24 hours, 7 + 4 + 6 firsts and the protected newest.
    expect(sim.maxAlive).toBeLessThanOrEqual(9 + 17 + 1);
  });
});

describe('the config schema', () => {
  test.each([
    { preset: 'time-machine' },
    { preset: 'frugal' },
    { preset: 'keep-all' },
    { preset: 'custom', daily: 7 },
    { preset: 'custom', keepWithinHours: 48, hourly: 0, daily: 14, weekly: 8, monthly: 24, yearly: 10 },
  ])('accepts %j', (policy) => {
    expect(retentionPolicySchema.parse(policy)).toEqual(policy);
  });

  test.each<[unknown, Array<[string, RegExp]>]>([
    [{ preset: 'tm' }, [['preset', /^must be one of "time-machine", "frugal", "keep-all", "custom"$/]]],
    [{}, [['preset', /^is missing; it must be one of "time-machine"/]]],
    [{ preset: 'custom' }, [['', /^a custom policy must keep something: set at least one of keepWithinHours, .* "keep-all"/]]],
    [{ preset: 'custom', daily: 0, weekly: 0 }, [['', /must keep something/]]],
    [{ preset: 'custom', daily: -1 }, [['daily', /^must be a whole number from 0 to 10000$/]]],
    [{ preset: 'custom', daily: 1.5 }, [['daily', /^must be a whole number from 0 to 10000$/]]],
    [{ preset: 'custom', monthly: 10001 }, [['monthly', /^must be a whole number from 0 to 10000$/]]],
    [{ preset: 'custom', weekly: '4' }, [['weekly', /^must be a whole number from 0 to 10000$/]]],
    [{ preset: 'custom', keepWithinHours: 1e6 }, [['keepWithinHours', /^must be a whole number of hours from 0 to 87600$/]]],
    [{ preset: 'custom', daily: 3, dayly: 3 }, [['', /unrecognized key.*"dayly"/i]]],
    [{ preset: 'time-machine', daily: 3 }, [['', /unrecognized key.*"daily"/i]]],
  ])('refuses %j with a message that names the field', (policy, problems) => {
    const result = retentionPolicySchema.safeParse(policy);
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual(problems.map(([path, message]) => [path, expect.stringMatching(message)]));
  });

  test('settings: local and destinations policies, with a per-destination override', () => {
    const settings = retentionSettingsSchema.parse({ local: { preset: 'frugal' }, destinations: { preset: 'custom', daily: 5 } });
    expect(policyFor(settings, 'local')).toEqual({ preset: 'frugal' });
    expect(policyFor(settings, {})).toEqual({ preset: 'custom', daily: 5 });
    expect(policyFor(settings, { retention: { preset: 'keep-all' } })).toEqual({ preset: 'keep-all' });
    expect(policyFor(undefined, 'local')).toBe(DEFAULT_LOCAL_RETENTION);
    expect(DEFAULT_LOCAL_RETENTION).toEqual({ preset: 'frugal' });
    expect(policyFor({}, {})).toBe(DEFAULT_RETENTION);
    expect(retentionSettingsSchema.safeParse({ remote: {} }).success).toBe(false);
  });
});
