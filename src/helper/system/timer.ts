import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { onCalendar, TIMER_RANDOM_DELAY_SECONDS, type Schedule } from '../../core/schedule';
import { writeFileAtomic } from './atomic-write';
import { runCommand } from './run-command';

/**
 * The schedule as systemd's rewind-backup.timer. The package installs the
 * timer in /usr/lib/systemd/system (hourly); the helper writes the user's
 * schedule as a drop-in beside it in /etc/systemd/system/rewind-backup.timer.d/,
 * so a package update of the timer still applies, and `systemctl cat`
 * shows both. It enables the timer, or disables it for "manual".
 */
export const TIMER_UNIT = 'rewind-backup.timer';
export const DEFAULT_UNIT_DIR = '/etc/systemd/system';
const DROP_IN = 'schedule.conf';
const WRITTEN_BY = '# Written by rewind-helper from /etc/rewind/config.json ("schedule"); changes here are replaced.';

export function timerDropIn(schedule: Schedule): string | undefined {
  const calendar = onCalendar(schedule);
  if (!calendar) return undefined;
  return [
    WRITTEN_BY,
    '[Timer]',
    // An empty OnCalendar= clears the packaged timer's own before adding ours.
    'OnCalendar=',
    `OnCalendar=${calendar}`,
    // A run missed while the machine was off happens at the next boot.
    'Persistent=true',
    // Many machines on one server should not all start on the hour.
    `RandomizedDelaySec=${TIMER_RANDOM_DELAY_SECONDS}`,
    '',
  ].join('\n');
}

export interface ApplyOptions {
  /** Where the drop-in's folder goes (default /etc/systemd/system). */
  unitDir?: string;
  /**
   * Enable offline in this root (`systemctl --root`), e.g. an image being
   * prepared; otherwise the running systemd is told to reload and start or stop the timer.
   */
  systemdRoot?: string;
}

/**
 * Versions before the drop-in wrote a whole rewind-backup.timer in unitDir,
 * which hides the packaged one: removed, but only if it is ours.
 */
async function removeOldWholeTimer(unitDir: string): Promise<void> {
  const file = path.join(unitDir, TIMER_UNIT);
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text.startsWith(WRITTEN_BY)) await rm(file, { force: true });
}

export async function applySchedule(schedule: Schedule, options: ApplyOptions = {}): Promise<{ unitFile: string; enabled: boolean }> {
  const unitDir = options.unitDir ?? DEFAULT_UNIT_DIR;
  const dropInDir = path.join(unitDir, `${TIMER_UNIT}.d`);
  const unitFile = path.join(dropInDir, DROP_IN);
  const dropIn = timerDropIn(schedule);
  const systemctl = (args: string[]) => runCommand('systemctl', options.systemdRoot ? [`--root=${options.systemdRoot}`, ...args] : args);
  await removeOldWholeTimer(unitDir);
  if (dropIn) {
    await mkdir(dropInDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(unitFile, dropIn, 0o644);
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
  // The folder goes too when nothing else is in it (an administrator's own drop-in stays).
  await rmdir(dropInDir).catch(() => undefined);
  if (!options.systemdRoot) await systemctl(['daemon-reload']);
  return { unitFile, enabled: false };
}
