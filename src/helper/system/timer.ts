import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { onCalendar, TIMER_RANDOM_DELAY_SECONDS, type Schedule } from '../../core/schedule';
import { writeFileAtomic } from './atomic-write';
import { runCommand } from './run-command';

/**
 * The schedule as systemd's rewind-backup.timer. The package installs a
 * default timer in /usr/lib/systemd/system; the helper writes the user's
 * schedule as a whole unit of the same name in /etc/systemd/system, which
 * takes its place, and enables it, or disables it for "manual".
 */
export const TIMER_UNIT = 'rewind-backup.timer';
export const DEFAULT_UNIT_DIR = '/etc/systemd/system';

export function timerUnit(schedule: Schedule): string | undefined {
  const calendar = onCalendar(schedule);
  if (!calendar) return undefined;
  return [
    '# Written by rewind-helper from /etc/rewind/config.json ("schedule"); changes here are replaced.',
    '[Unit]',
    'Description=Rewind scheduled backups',
    'Documentation=https://github.com/rewindbackup/rewind',
    '',
    '[Timer]',
    `OnCalendar=${calendar}`,
    // A run missed while the machine was off happens at the next boot.
    'Persistent=true',
    // Many machines on one server should not all start on the hour.
    `RandomizedDelaySec=${TIMER_RANDOM_DELAY_SECONDS}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

export interface ApplyOptions {
  /** Where the unit goes (default /etc/systemd/system). */
  unitDir?: string;
  /**
   * Enable offline in this root (`systemctl --root`), e.g. an image being
   * prepared; otherwise the running systemd is told to reload and start or stop the timer.
   */
  systemdRoot?: string;
}

export async function applySchedule(schedule: Schedule, options: ApplyOptions = {}): Promise<{ unitFile: string; enabled: boolean }> {
  const unitDir = options.unitDir ?? DEFAULT_UNIT_DIR;
  const unitFile = path.join(unitDir, TIMER_UNIT);
  const unit = timerUnit(schedule);
  const systemctl = (args: string[]) => runCommand('systemctl', options.systemdRoot ? [`--root=${options.systemdRoot}`, ...args] : args);
  if (unit) {
    await mkdir(unitDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(unitFile, unit, 0o644);
    if (options.systemdRoot) await systemctl(['enable', TIMER_UNIT]);
    else {
      await systemctl(['daemon-reload']);
      await systemctl(['enable', '--now', TIMER_UNIT]);
    }
    return { unitFile, enabled: true };
  }
  if (options.systemdRoot) await systemctl(['disable', TIMER_UNIT]);
  else await systemctl(['disable', '--now', TIMER_UNIT]);
  await rm(unitFile, { force: true });
  if (!options.systemdRoot) await systemctl(['daemon-reload']);
  return { unitFile, enabled: false };
}
