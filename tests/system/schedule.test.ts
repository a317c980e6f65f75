import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { nextRun, onCalendar, WEEKDAYS, type Schedule } from '../../src/core/schedule';
import { bundleInto } from '../support/bundle';
import { sh } from '../support/exec';
import { mulberry32 } from '../support/prng';
import { REPO } from '../support/system-bus';

/**
 * The schedule against systemd itself: the next run Rewind shows is
 * the elapse `systemd-analyze calendar` computes, in many time zones, across
 * clock changes; `rewind-helper schedule` sets the packaged timer to the
 * schedule with a drop-in that systemd accepts and enables or disables it. The seed is printed; REWIND_SCHEDULE_SEED replays.
 */
jest.setTimeout(300_000);

const seed = Number(process.env.REWIND_SCHEDULE_SEED ?? Date.now() % 1_000_000);
let dir: string;
let helper: string;

beforeAll(() => {
  console.log(`schedule test: REWIND_SCHEDULE_SEED=${seed}`);
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-schedule-'));
  bundleInto(dir);
  helper = path.join(dir, 'dist/helper/rewind-helper.cjs');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** systemd's elapses of `spec` after `base`, in UTC, as ISO strings without milliseconds. */
function systemdElapses(spec: string, base: Date, timeZone: string, count: number): string[] {
  const baseText = base.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const out = sh('systemd-analyze', ['calendar', `--base-time=${baseText}`, `--iterations=${count}`, spec], { env: { ...process.env, TZ: timeZone } });
  // With TZ=UTC the local lines are the UTC ones, and there is no "(in UTC)" line.
  const pattern = /\(in UTC\): \w+ (\S+) (\S+) UTC/.test(out) ? /\(in UTC\): \w+ (\S+) (\S+) UTC/g : /(?:Next elapse|Iter\. #\d+): \w+ (\S+) (\S+) UTC/g;
  return [...out.matchAll(pattern)].map((m) => `${m[1]}T${m[2]}Z`);
}

function ours(schedule: Schedule, base: Date, timeZone: string, count: number): string[] {
  const out: string[] = [];
  let t = base;
  for (let i = 0; i < count; i++) {
    t = nextRun(schedule, t, timeZone) as Date;
    out.push(t.toISOString().replace(/\.\d+Z$/, 'Z'));
  }
  return out;
}

// Zones with clock changes in both hemispheres, half-hour and odd offsets, and none.
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns'];
// Bases just before clock changes of 2026 (and random ones).
const CHANGES = ['2026-03-08T05:30:00Z', '2026-03-29T00:30:00Z', '2026-10-25T00:15:00Z', '2026-11-01T05:45:00Z', '2026-04-05T14:00:00Z', '2026-09-27T13:00:00Z'];

describe('the next run equals systemd-analyze calendar', () => {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  const time = () => `${String(Math.floor(rng() * 24)).padStart(2, '0')}:${pick(['00', '15', '30', '45', String(Math.floor(rng() * 60)).padStart(2, '0')])}`;
  const cases: Array<[string, Schedule, string, string]> = [];
  for (let i = 0; i < 40; i++) {
    const schedule: Schedule = pick([{ kind: 'hourly' }, { kind: 'daily', at: time() }, { kind: 'weekly', day: pick(WEEKDAYS), at: time() }] as Schedule[]);
    const base = i % 2 === 0 ? pick(CHANGES) : new Date(Date.UTC(2026, 0, 1) + Math.floor(rng() * 365 * 86_400_000)).toISOString();
    const zone = pick(ZONES);
    cases.push([`${onCalendar(schedule)} in ${zone} after ${base}`, schedule, zone, base]);
  }
  // The clock changes themselves, always.
  cases.push(['daily 02:30 across spring forward in Berlin', { kind: 'daily', at: '02:30' }, 'Europe/Berlin', '2026-03-28T12:00:00Z']);
  cases.push(['daily 02:30 across fall back in Berlin', { kind: 'daily', at: '02:30' }, 'Europe/Berlin', '2026-10-24T12:00:00Z']);
  cases.push(['hourly across fall back in New York', { kind: 'hourly' }, 'America/New_York', '2026-11-01T04:30:00Z']);

  test.each(cases)('%s', (_name, schedule, zone, base) => {
    expect(ours(schedule, new Date(base), zone, 6)).toEqual(systemdElapses(onCalendar(schedule) as string, new Date(base), zone, 6));
  });
});

describe('rewind-helper schedule', () => {
  function configure(schedule: Schedule): string {
    const config = path.join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ version: 1, sources: [{ path: '/home' }], destinations: [], schedule }));
    return config;
  }

  function helperRun(args: string[], env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [helper, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('sets the packaged timer to the schedule with a drop-in systemd accepts, enables it, and disables it for manual', () => {
    const root = path.join(dir, 'root');
    const unitDir = path.join(root, 'etc/systemd/system');
    const packagedDir = path.join(root, 'usr/lib/systemd/system');
    mkdirSync(unitDir, { recursive: true });
    mkdirSync(packagedDir, { recursive: true });
    // What the package installs: the timer, and the service it starts.
    const packagedTimer = readFileSync(path.join(REPO, 'data/rewind-backup.timer'), 'utf8');
    writeFileSync(path.join(packagedDir, 'rewind-backup.timer'), packagedTimer);
    const helperPath = path.join(dir, 'rewind-helper');
    writeFileSync(helperPath, '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(
      path.join(packagedDir, 'rewind-backup.service'),
      readFileSync(path.join(REPO, 'data/rewind-backup.service.in'), 'utf8').replaceAll('@LIBEXECDIR@/rewind-helper', helperPath),
    );
    // A whole timer an earlier version wrote over the packaged one goes.
    const oldWhole = path.join(unitDir, 'rewind-backup.timer');
    writeFileSync(oldWhole, '# Written by rewind-helper from /etc/rewind/config.json ("schedule"); changes here are replaced.\n[Timer]\nOnCalendar=daily\n');

    const config = configure({ kind: 'weekly', day: 'sat', at: '21:15' });
    const r = helperRun(['schedule', '--json', '--config', config, '--unit-dir', unitDir, '--systemd-root', root]);
    expect(r.status).toBe(0);
    const dropIn = path.join(unitDir, 'rewind-backup.timer.d/schedule.conf');
    const timer = readFileSync(dropIn, 'utf8');
    // The packaged OnCalendar is cleared before ours is added.
    expect(timer).toContain('[Timer]\nOnCalendar=\nOnCalendar=Sat *-*-* 21:15:00\n');
    expect(timer).toContain('Persistent=true\n');
    expect(timer).toMatch(/^RandomizedDelaySec=\d+$/m);
    expect(existsSync(oldWhole)).toBe(false);
    expect(readFileSync(path.join(packagedDir, 'rewind-backup.timer'), 'utf8')).toBe(packagedTimer);
    const wants = path.join(unitDir, 'timers.target.wants/rewind-backup.timer');
    expect(readlinkSync(wants)).toBe('/usr/lib/systemd/system/rewind-backup.timer');

    // systemd-analyze verify reads the packaged timer with the drop-in (it refuses
    // a drop-in that leaves no OnCalendar); the trailing ':' keeps systemd's own units.
    const verify = spawnSync('systemd-analyze', ['verify', '--man=no', 'rewind-backup.timer'], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:${packagedDir}:` },
    });
    const problems = `${verify.stdout}\n${verify.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/^\/(usr\/)?lib\/systemd\/system\/|^\/etc\/systemd\//.test(l));
    expect({ status: verify.status, problems }).toEqual({ status: 0, problems: [] });

    const json = JSON.parse(r.stdout) as { nextRun: string; onCalendar: string; unitFile: string };
    expect(json.onCalendar).toBe('Sat *-*-* 21:15:00');
    expect(json.unitFile).toBe(dropIn);

    const off = helperRun(['schedule', '--config', configure({ kind: 'manual' }), '--unit-dir', unitDir, '--systemd-root', root]);
    expect(off.status).toBe(0);
    expect(existsSync(path.join(unitDir, 'rewind-backup.timer.d'))).toBe(false);
    expect(existsSync(wants)).toBe(false);
    expect(readFileSync(path.join(packagedDir, 'rewind-backup.timer'), 'utf8')).toBe(packagedTimer);
  });

  test('status shows the next run systemd computes', () => {
    const config = configure({ kind: 'daily', at: '03:00' });
    const status = JSON.parse(helperRun(['status', '--json', '--config', config, '--state-dir', path.join(dir, 'state')]).stdout) as { nextRun: string; onCalendar: string };
    const [expected] = systemdElapses(status.onCalendar, new Date(), Intl.DateTimeFormat().resolvedOptions().timeZone, 1);
    expect(status.nextRun.replace(/\.\d+Z$/, 'Z')).toBe(expected);
  });

  test('a wrong schedule is refused with the field, what was expected and what was found', () => {
    const config = path.join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ version: 1, destinations: [], schedule: { kind: 'daily', at: '25:00' } }));
    const r = helperRun(['schedule', '--config', config, '--unit-dir', path.join(dir, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('schedule.at');
    expect(r.stderr).toContain('09:30');
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });
});
