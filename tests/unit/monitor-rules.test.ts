import { describe, expect, test } from '@jest/globals';
import { afterRestart, decideNotifications, EMPTY_MONITOR_STATE, scheduleDue, type MonitorState } from '../../src/core/monitor-rules';
import type { DrillRecord } from '../../src/core/drill';
import type { NotificationSettings } from '../../src/core/notification-settings';
import type { DestinationSummary, HelperStatus, RunRecord } from '../../src/core/status';

const at = (iso: string) => new Date(iso);
const NOW = '2026-03-10T12:00:00.000Z';

function run(id: string, ok: boolean, finished: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    started: finished,
    finished,
    ok,
    transfers: ok ? [{ source: '/home', destination: 'usb', snapshot: 's', kind: 'full', bytes: 1, seconds: 1, ok: true }] : [],
    ...extra,
  };
}

function disk(extra: Partial<DestinationSummary> = {}): DestinationSummary {
  return { id: 'usb', kind: 'btrfs', label: 'My disk', enabled: true, connected: true, ...extra };
}

function status(extra: Partial<HelperStatus> = {}, destinations: DestinationSummary[] = [disk()]): HelperStatus {
  return { configured: true, sources: ['/home'], destinations, running: false, schedule: { kind: 'hourly' }, timeZone: 'UTC', ...extra };
}

/** Runs the checks in order, each from the state the previous one left, with the user's `settings` (defaults when absent). */
function checks(steps: Array<[string, HelperStatus]>, from: MonitorState = EMPTY_MONITOR_STATE, settings?: NotificationSettings) {
  let state = from;
  return steps.map(([now, s]) => {
    const decision = decideNotifications(state, s, at(now), settings);
    state = decision.state;
    return { show: decision.show.map((n) => n.id), withdraw: decision.withdraw, startScheduled: decision.startScheduled, decision };
  });
}

describe('backup failed', () => {
  const failed = run('r2', false, '2026-03-10T11:00:00Z', { error: { code: 'DestinationMissing', message: 'The backup disk is not connected. Connect it, then try again.' } });

  test('shows the reason once, and withdraws it after a successful run', () => {
    // The disk is still away: the failure stands.
    const away = [disk({ connected: false })];
    const [first, again, fixed] = checks([
      [NOW, status({ lastRun: failed }, away)],
      ['2026-03-10T12:05:00Z', status({ lastRun: failed }, away)],
      ['2026-03-10T12:10:00Z', status({ lastRun: run('r3', true, '2026-03-10T12:08:00Z') })],
    ]);
    // The English sentence, and the first error for the app to word in the user's language.
    expect(first.decision.show).toEqual([
      {
        kind: 'backup-failed',
        id: 'backup-failed',
        message: 'The backup disk is not connected. Connect it, then try again.',
        error: { code: 'DestinationMissing', message: 'The backup disk is not connected. Connect it, then try again.' },
      },
    ]);
    expect(again.show).toEqual([]);
    expect(again.withdraw).toEqual([]);
    expect(fixed.withdraw).toEqual(['backup-failed']);
  });

  test('a newer failure replaces the notification; a cancelled run changes nothing', () => {
    const other = run('r4', false, '2026-03-10T12:01:00Z', { transfers: [{ source: '/home', destination: 'usb', snapshot: 's', kind: 'full', bytes: 0, seconds: 1, ok: false, error: { code: 'DestinationFull', message: 'The disk is full.' } }] });
    const cancelled = run('r5', false, '2026-03-10T12:02:00Z', { error: { code: 'Cancelled', message: 'Cancelled.' } });
    const [, second, third] = checks([
      [NOW, status({ lastRun: failed }, [disk({ connected: false })])],
      ['2026-03-10T12:05:00Z', status({ lastRun: other }, [disk({ connected: false })])],
      ['2026-03-10T12:10:00Z', status({ lastRun: cancelled }, [disk({ connected: false })])],
    ]);
    expect(second.decision.show).toMatchObject([{ id: 'backup-failed', message: 'The disk is full.' }]);
    expect(third.show).toEqual([]);
    expect(third.withdraw).toEqual([]);
  });
});

describe('a destination that is away is no failure', () => {
  const stopped = run('r2', false, '2026-03-10T11:00:00Z', {
    transfers: [{ source: '/home', destination: 'usb', snapshot: 's', kind: 'full', bytes: 0, seconds: 1, ok: false, error: { code: 'DestinationMissing', message: 'The backup disk stopped responding.' } }],
  });
  const skipped = run('r3', false, '2026-03-10T11:30:00Z', {
    outcome: 'skipped',
    skipped: [{ destination: 'usb', reason: { code: 'DestinationMissing', message: 'The backup disk My disk is not connected.' } }],
  });

  test('a run skipped because the disk was away posts nothing, and takes nothing down', () => {
    const [first, second] = checks([
      [NOW, status({ lastRun: skipped }, [disk({ connected: false })])],
      ['2026-03-10T12:05:00Z', status({ lastRun: skipped }, [disk({ connected: false })])],
    ]);
    expect(first.show).toEqual([]);
    expect(second.show).toEqual([]);
    expect(second.withdraw).toEqual([]);
  });

  test('a failure caused only by the disk going away is withdrawn the moment it is attached again', () => {
    const [first, back] = checks([
      [NOW, status({ lastRun: stopped }, [disk({ connected: false })])],
      ['2026-03-10T12:05:00Z', status({ lastRun: stopped }, [disk({ connected: true })])],
    ]);
    expect(first.show).toEqual(['backup-failed']);
    expect(back.withdraw).toContain('backup-failed');
  });

  test('any other failure stays while the disk is attached', () => {
    const full = run('r4', false, NOW, {
      transfers: [{ source: '/home', destination: 'usb', snapshot: 's', kind: 'full', bytes: 0, seconds: 1, ok: false, error: { code: 'DestinationFull', message: 'Full.' } }],
    });
    const [first, later] = checks([
      [NOW, status({ lastRun: full })],
      ['2026-03-10T12:05:00Z', status({ lastRun: full })],
    ]);
    expect(first.show).toEqual(['backup-failed']);
    expect(later.withdraw).toEqual([]);
  });
});

describe('backup succeeded', () => {
  test('is off by default', () => {
    const [, after] = checks([
      [NOW, status({ lastRun: run('r1', true, NOW) })],
      ['2026-03-10T13:00:00Z', status({ lastRun: run('r2', true, '2026-03-10T12:59:00Z') })],
    ]);
    expect(after.show).toEqual([]);
  });

  test('with onSuccess, only for a run that ended while the monitor watched', () => {
    const on = { remindAfterDays: 7, lowSpacePercent: 10, onSuccess: true };
    const steps: Array<[string, HelperStatus]> = [
      [NOW, status({ lastRun: run('r1', true, NOW) })],
      ['2026-03-10T13:00:00Z', status({ lastRun: run('r2', true, '2026-03-10T12:59:00Z') })],
    ];
    const [start, after] = checks(steps, EMPTY_MONITOR_STATE, on);
    expect(start.show).toEqual([]);
    expect(after.show).toEqual(['backup-succeeded']);
    // Off by default.
    expect(checks(steps)[1].show).toEqual([]);
  });
});

describe('destination not seen', () => {
  const away = (lastBackup: string) => status({}, [disk({ connected: false, lastBackup })]);

  test('reminds after N days, at most once a day, and withdraws when the disk is back', () => {
    const [d6, d7, d7later, d8, back] = checks([
      ['2026-03-07T12:00:00Z', away('2026-03-01T11:00:00Z')],
      ['2026-03-08T12:00:00Z', away('2026-03-01T11:00:00Z')],
      ['2026-03-09T11:00:00Z', away('2026-03-01T11:00:00Z')],
      ['2026-03-09T12:00:00Z', away('2026-03-01T11:00:00Z')],
      ['2026-03-09T12:05:00Z', status({}, [disk({ connected: true, lastBackup: '2026-03-01T11:00:00Z' })])],
    ]);
    expect(d6.show).toEqual([]);
    expect(d7.decision.show).toEqual([{ kind: 'not-seen', id: 'not-seen-usb', destination: 'usb', label: 'My disk', destinationKind: 'btrfs', days: 7 }]);
    expect(d7later.show).toEqual([]);
    expect(d7later.withdraw).toEqual([]);
    expect(d8.decision.show).toMatchObject([{ id: 'not-seen-usb', days: 8 }]);
    expect(back.withdraw).toEqual(['not-seen-usb']);
  });

  test('counts from when the monitor last saw the disk, not only from its last backup', () => {
    const [, gone] = checks([
      ['2026-03-05T12:00:00Z', status({}, [disk({ connected: true, lastBackup: '2026-02-01T00:00:00Z' })])],
      ['2026-03-11T12:00:00Z', away('2026-02-01T00:00:00Z')],
    ]);
    expect(gone.show).toEqual([]);
  });

  test('N is configurable, and 0 never reminds', () => {
    const away = status({}, [disk({ connected: false, lastBackup: '2026-03-08T12:00:00Z' })]);
    const withDays = (remindAfterDays: number) => checks([[NOW, away]], EMPTY_MONITOR_STATE, { remindAfterDays, lowSpacePercent: 10, onSuccess: false })[0].show;
    expect(withDays(2)).toEqual(['not-seen-usb']);
    expect(withDays(0)).toEqual([]);
    expect(checks([[NOW, away]])[0].show).toEqual([]);
  });

  test('a server, which the helper does not probe, counts from its last backup', () => {
    const server = disk({ id: 'nas', kind: 'ssh', connected: undefined, lastBackup: '2026-02-01T00:00:00Z' });
    expect(checks([[NOW, status({}, [server])]])[0].decision.show).toMatchObject([{ id: 'not-seen-nas', destinationKind: 'ssh', days: 37 }]);
  });

  test('a destination removed from the configuration takes its notifications along', () => {
    const [, removed] = checks([
      [NOW, away('2026-03-01T11:00:00Z')],
      ['2026-03-10T12:05:00Z', status({}, [])],
    ]);
    expect(removed.withdraw).toEqual(['not-seen-usb']);
  });
});

describe('disk connected', () => {
  const detached = status({}, [disk({ connected: false, lastBackup: '2026-03-10T11:30:00Z' })]);

  test('says nothing about a disk already attached when the monitor starts', () => {
    expect(checks([[NOW, status()]])[0].show).toEqual([]);
  });

  test('offers Back Up Now when no run was missed, and goes when a backup reached the disk', () => {
    const [, connected, still, backedUp] = checks([
      ['2026-03-10T11:50:00Z', detached],
      ['2026-03-10T11:55:00Z', status({}, [disk({ lastBackup: '2026-03-10T11:30:00Z' })])],
      ['2026-03-10T11:56:00Z', status({}, [disk({ lastBackup: '2026-03-10T11:30:00Z' })])],
      ['2026-03-10T11:58:00Z', status({}, [disk({ lastBackup: '2026-03-10T11:57:00Z' })])],
    ]);
    expect(connected.decision.show).toEqual([{ kind: 'disk-connected', id: 'disk-connected-usb', destination: 'usb', label: 'My disk', backingUp: false }]);
    expect(connected.startScheduled).toBe(false);
    expect(still.show).toEqual([]);
    expect(still.withdraw).toEqual([]);
    expect(backedUp.withdraw).toEqual(['disk-connected-usb']);
  });

  test('starts the backup when a scheduled run was missed while it was away', () => {
    const [, connected] = checks([
      [NOW, detached],
      ['2026-03-10T12:01:00Z', status({}, [disk({ lastBackup: '2026-03-10T11:30:00Z' })])],
    ]);
    expect(connected.decision.show).toMatchObject([{ id: 'disk-connected-usb', backingUp: true }]);
    expect(connected.startScheduled).toBe(true);
  });

  test('does not start a second backup while one runs, and withdraws when detached', () => {
    const [, connected, gone] = checks([
      [NOW, detached],
      ['2026-03-10T12:01:00Z', status({ running: true }, [disk({ lastBackup: '2026-03-10T11:30:00Z' })])],
      ['2026-03-10T12:02:00Z', detached],
    ]);
    expect(connected.startScheduled).toBe(false);
    expect(gone.withdraw).toEqual(['disk-connected-usb']);
  });

  test('on battery, asks for the scheduled run, which the helper postpones, and says it waits for power', () => {
    const [, connected] = checks([
      [NOW, detached],
      ['2026-03-10T12:01:00Z', status({ wouldPostpone: 'on-battery' }, [disk({ lastBackup: '2026-03-10T11:30:00Z' })])],
    ]);
    expect(connected.decision.show).toEqual([{ kind: 'disk-connected', id: 'disk-connected-usb', destination: 'usb', label: 'My disk', backingUp: false, postponed: 'on-battery' }]);
    expect(connected.startScheduled).toBe(true);
  });

  test('due follows the schedule in its time zone; manual is never due', () => {
    const daily = status({ schedule: { kind: 'daily', at: '09:00' }, timeZone: 'Europe/Berlin' });
    // 09:00 in Berlin is 08:00 UTC in March.
    expect(scheduleDue(daily, disk({ lastBackup: '2026-03-09T08:30:00Z' }), at('2026-03-10T07:59:00Z'))).toBe(false);
    expect(scheduleDue(daily, disk({ lastBackup: '2026-03-09T08:30:00Z' }), at('2026-03-10T08:00:00Z'))).toBe(true);
    expect(scheduleDue(daily, disk(), at(NOW))).toBe(true);
    expect(scheduleDue(status({ schedule: { kind: 'manual' } }), disk(), at(NOW))).toBe(false);
  });
});

describe('a postponed run', () => {
  const postponed = run('p1', false, '2026-03-10T11:00:00Z', { transfers: [], outcome: 'postponed', postponed: 'on-battery' });

  test('posts nothing while it waits, and is asked for once when the reason ends', () => {
    const [waiting, plugged, again, done] = checks([
      [NOW, status({ lastRun: postponed, wouldPostpone: 'on-battery' })],
      ['2026-03-10T12:05:00Z', status({ lastRun: postponed })],
      // The helper has not started it yet (or refused): not asked again.
      ['2026-03-10T12:10:00Z', status({ lastRun: postponed })],
      ['2026-03-10T12:15:00Z', status({ lastRun: run('r2', true, '2026-03-10T12:12:00Z') })],
    ]);
    expect(waiting.show).toEqual([]);
    expect(waiting.startScheduled).toBe(false);
    expect(plugged.startScheduled).toBe(true);
    expect(plugged.show).toEqual([]);
    expect(again.startScheduled).toBe(false);
    expect(done.startScheduled).toBe(false);
  });

  test('asked for again only after the reason came back and ended again', () => {
    const steps = checks([
      [NOW, status({ lastRun: postponed })],
      ['2026-03-10T12:05:00Z', status({ lastRun: postponed, wouldPostpone: 'on-battery' })],
      ['2026-03-10T12:10:00Z', status({ lastRun: postponed })],
    ]);
    expect(steps.map((s) => s.startScheduled)).toEqual([true, false, true]);
  });

  test('not while a backup runs, not with automatic backups off, and a failure notification stays as it was', () => {
    const failed = run('r1', false, '2026-03-10T10:00:00Z', { error: { code: 'DestinationFull', message: 'Full.' } });
    const [first, running, manual] = checks([
      [NOW, status({ lastRun: failed })],
      ['2026-03-10T12:05:00Z', status({ lastRun: postponed, running: true })],
      ['2026-03-10T12:10:00Z', status({ lastRun: postponed, schedule: { kind: 'manual' } })],
    ]);
    expect(first.show).toEqual(['backup-failed']);
    expect(running.startScheduled).toBe(false);
    expect(running.withdraw).toEqual([]);
    expect(manual.startScheduled).toBe(false);
  });
});

describe('space low', () => {
  // A 1000 GB disk; free space in GB.
  const GB = 1e9;
  const space = (freeGb: number, extra: Partial<DestinationSummary> = {}) => status({}, [disk({ freeBytes: freeGb * GB, sizeBytes: 1000 * GB, ...extra })]);

  test('warns once below the threshold and withdraws when space is back', () => {
    const [ok, low, lower, back] = checks([
      [NOW, space(100)],
      ['2026-03-10T12:05:00Z', space(99)],
      ['2026-03-10T12:10:00Z', space(50)],
      ['2026-03-10T12:15:00Z', space(400)],
    ]);
    expect(ok.show).toEqual([]);
    expect(low.decision.show).toEqual([{ kind: 'space-low', id: 'space-low-usb', destination: 'usb', label: 'My disk', freeBytes: 99 * GB, sizeBytes: 1000 * GB }]);
    expect(lower.show).toEqual([]);
    expect(lower.withdraw).toEqual([]);
    expect(back.withdraw).toEqual(['space-low-usb']);
  });

  test("the user's percentage: 20 warns at 15 % free, 0 never warns", () => {
    const shown = (lowSpacePercent: number) => checks([[NOW, space(150)]], EMPTY_MONITOR_STATE, { remindAfterDays: 7, lowSpacePercent, onSuccess: false })[0].show;
    expect(shown(20)).toEqual(['space-low-usb']);
    expect(shown(10)).toEqual([]);
    expect(shown(0)).toEqual([]);
  });

  test('stays while the disk is away or not mounted, since its space is unknown then', () => {
    const [, unmounted, away] = checks([
      [NOW, space(10)],
      ['2026-03-10T12:05:00Z', status({}, [disk({ lastBackup: NOW })])],
      ['2026-03-10T12:10:00Z', status({}, [disk({ connected: false, lastBackup: NOW })])],
    ]);
    expect(unmounted.withdraw).toEqual([]);
    expect(away.withdraw).toEqual([]);
  });
});

describe('after a restart', () => {
  test('sends again what still holds, except a reminder sent today and an old connection; withdraws what went', () => {
    const failed = run('r1', false, '2026-03-09T10:00:00Z', { error: { code: 'DestinationFull', message: 'The disk is full.' } });
    const before = status({ lastRun: failed }, [
      disk({ id: 'usb', freeBytes: 10, sizeBytes: 1000 }),
      disk({ id: 'old', connected: false, lastBackup: '2026-02-01T00:00:00Z' }),
      disk({ id: 'gone', connected: false, lastBackup: '2026-02-01T00:00:00Z' }),
    ]);
    const [first] = checks([['2026-03-09T12:00:00Z', before]]);
    expect(first.show.sort()).toEqual(['backup-failed', 'not-seen-gone', 'not-seen-old', 'space-low-usb']);

    const after = status({ lastRun: failed }, [disk({ id: 'usb', freeBytes: 10, sizeBytes: 1000 }), disk({ id: 'old', connected: false, lastBackup: '2026-02-01T00:00:00Z' })]);
    const [login] = checks([['2026-03-09T20:00:00Z', after]], afterRestart(first.decision.state));
    expect(login.show.sort()).toEqual(['backup-failed', 'space-low-usb']);
    expect(login.withdraw).toEqual(['not-seen-gone']);
  });
});

describe('space freed', () => {
  const room = { side: 'destination' as const, destination: 'usb', removed: ['h/home/a', 'h/home/b'], message: 'To make room on My disk, the 2 oldest backups were removed.' };
  const local = { side: 'local' as const, sources: ['/home'], removed: ['home/a'], message: 'The disk that holds /home was running out of space, so the oldest snapshot on it was removed; your backups are kept.' };
  const watching = decideNotifications(EMPTY_MONITOR_STATE, status({ lastRun: run('r1', true, '2026-03-10T11:00:00Z') }), at(NOW)).state;

  test('a run that removed backups to make room says so once, with where; later runs leave it, the next removal replaces it', () => {
    const made = run('r2', true, '2026-03-10T12:01:00Z', { spaceFreed: [room] });
    const [said, again, later, next] = checks(
      [
        ['2026-03-10T12:02:00Z', status({ lastRun: made })],
        ['2026-03-10T12:07:00Z', status({ lastRun: made })],
        ['2026-03-10T13:02:00Z', status({ lastRun: run('r3', true, '2026-03-10T13:01:00Z') })],
        ['2026-03-10T14:02:00Z', status({ lastRun: run('r4', true, '2026-03-10T14:01:00Z', { spaceFreed: [local] }) })],
      ],
      watching,
    );
    expect(said.decision.show).toEqual([{ kind: 'space-freed', id: 'space-freed', freed: [room], labels: { usb: 'My disk' } }]);
    expect([again.show, again.withdraw, later.show, later.withdraw]).toEqual([[], [], [], []]);
    expect(next.decision.show).toEqual([{ kind: 'space-freed', id: 'space-freed', freed: [local], labels: { usb: 'My disk' } }]);
  });

  test('a failed run tells only the snapshots it removed (its failure says the rest); a run found at start says nothing', () => {
    const failed = run('r2', false, '2026-03-10T12:01:00Z', { error: { code: 'DestinationFull', message: 'This backup does not fit.' }, spaceFreed: [room, local] });
    const [said] = checks([['2026-03-10T12:02:00Z', status({ lastRun: failed })]], watching);
    expect(said.decision.show.find((n) => n.kind === 'space-freed')).toEqual({ kind: 'space-freed', id: 'space-freed', freed: [local], labels: { usb: 'My disk' } });
    const onlyRoom = run('r3', false, '2026-03-10T12:01:00Z', { error: { code: 'DestinationFull', message: 'This backup does not fit.' }, spaceFreed: [room] });
    expect(checks([['2026-03-10T12:02:00Z', status({ lastRun: onlyRoom })]], watching)[0].show).toEqual(['backup-failed']);
    expect(checks([[NOW, status({ lastRun: run('r2', true, NOW, { spaceFreed: [room] }) })]])[0].show).toEqual([]);
  });
});

describe('check failed (rule 10)', () => {
  const drill = (id: string, outcome: DrillRecord['outcome'], problems: string[] = []): DrillRecord => ({
    id,
    started: NOW,
    finished: NOW,
    destination: 'usb',
    destinationName: 'My disk',
    seed: 1,
    outcome,
    sources: [{ source: '/home', backup: 'b', compared: 6, bytes: 1, problems }],
  });
  const ok = run('r1', true, '2026-03-10T11:00:00Z');

  test.each<[string, DrillRecord | undefined, boolean, boolean]>([
    ['damaged', drill('d1', 'damaged', ['a.txt differs', 'b.txt is missing']), true, true],
    ['the check could not be done', drill('d1', 'failed', ['The disk stopped responding.']), true, false],
    ['identical', drill('d1', 'identical'), false, false],
    ['nothing to check', drill('d1', 'nothing-to-check'), false, false],
    ['never checked', undefined, false, false],
  ])('%s', (_name, last, shown, damaged) => {
    const [first] = checks([[NOW, status({ lastRun: ok }, [disk(last ? { lastDrill: last } : {})])]]);
    if (!shown) {
      expect(first.show).toEqual([]);
      return;
    }
    expect(first.decision.show).toEqual([
      {
        kind: 'check-failed',
        id: 'check-failed-usb',
        destination: 'usb',
        label: 'My disk',
        damaged,
        problems: last ? last.sources[0].problems.length : 0,
        freshFull: false,
        damage: { files: [], streams: [], affected: [] },
      },
    ]);
  });

  test('a drill that marked the backup it checked offers the full backup that replaces it', () => {
    const marked = drill('d1', 'damaged', ['a.txt differs']);
    marked.sources[0].damaged = true;
    const [first] = checks([[NOW, status({ lastRun: ok }, [disk({ lastDrill: marked })])]]);
    expect(first.decision.show).toEqual([expect.objectContaining({ kind: 'check-failed', damaged: true, freshFull: true })]);
  });

  test('names the damaged files and the restore points the damage leaves not known to be good', () => {
    const marked = drill('d1', 'damaged', ["Documents/a.txt: its content differs from this computer's snapshot from byte 3 on", 'b.raw: it could not be restored from the backup: Input/output error']);
    Object.assign(marked.sources[0], { backup: '20260310T110000Z', damaged: true, affected: ['20260309T110000Z', '20260310T110000Z'] });
    const [first] = checks([[NOW, status({ lastRun: ok }, [disk({ lastDrill: marked })])]]);
    expect(first.decision.show).toEqual([
      expect.objectContaining({
        kind: 'check-failed',
        damage: { files: ['Documents/a.txt', 'b.raw'], streams: [], affected: [{ names: ['20260309T110000Z', '20260310T110000Z'], found: '20260310T110000Z' }] },
      }),
    ]);
  });

  test('said once per drill, again for a newer one, withdrawn when a later drill checks out or the destination goes', () => {
    const bad = drill('d1', 'damaged', ['a.txt differs']);
    const [first, again, newer, fixed] = checks([
      [NOW, status({ lastRun: ok }, [disk({ lastDrill: bad })])],
      ['2026-03-10T12:05:00Z', status({ lastRun: ok }, [disk({ lastDrill: bad })])],
      ['2026-03-10T12:10:00Z', status({ lastRun: ok }, [disk({ lastDrill: drill('d2', 'failed', ['x']) })])],
      ['2026-03-10T12:15:00Z', status({ lastRun: ok }, [disk({ lastDrill: drill('d3', 'identical') })])],
    ]);
    expect(first.show).toEqual(['check-failed-usb']);
    expect(again.show).toEqual([]);
    expect(again.withdraw).toEqual([]);
    expect(newer.show).toEqual(['check-failed-usb']);
    expect(fixed.withdraw).toEqual(['check-failed-usb']);
    const [, removed] = checks([
      [NOW, status({ lastRun: ok }, [disk({ lastDrill: bad })])],
      ['2026-03-10T12:05:00Z', status({ lastRun: ok }, [])],
    ]);
    expect(removed.withdraw).toEqual(['check-failed-usb']);
  });
});
