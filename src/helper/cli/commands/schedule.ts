import { command } from '../command';
import { describeSchedule } from '../format/status';

export const schedule = command({
  name: 'schedule',
  synopsis: '[--unit-dir DIR] [--systemd-root DIR]',
  summary: `set rewind-backup.timer to the configured schedule (a drop-in
beside the packaged timer) and enable it (or disable it for "manual")`,
  options: ['unit-dir', 'systemd-root'],
  run: async ({ values, paths }) => {
    const [{ loadConfig }, { applySchedule }, { nextRun, onCalendar }, { systemTimeZone }] = await Promise.all([
      import('../../config/config-file'),
      import('../../system/timer'),
      import('../../../core/schedule'),
      import('../../system/time-zone'),
    ]);
    const { schedule } = await loadConfig(paths.configPath);
    const applied = await applySchedule(schedule, { unitDir: values['unit-dir'], systemdRoot: values['systemd-root'] });
    return { applied, onCalendar: onCalendar(schedule), next: nextRun(schedule, new Date(), systemTimeZone()) };
  },
  output: ({ applied, onCalendar, next }) => ({
    json: { ...applied, onCalendar, nextRun: next?.toISOString() },
    human: describeSchedule(applied, onCalendar, next),
  }),
});
