import type { LocalTime, TimelineWords } from '../../src/core/timeline';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number) => String(n).padStart(2, '0');

/** English words on a clock one hour ahead of UTC (a day can start at 23:00 UTC). */
export const words: TimelineWords = {
  local(utc: Date): LocalTime {
    const t = new Date(utc.getTime() + 3_600_000);
    return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), weekday: ((t.getUTCDay() + 6) % 7) + 1, hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
  },
  today: 'Today',
  yesterday: 'Yesterday',
  date: (t, withYear) => `${DAYS[t.weekday - 1]} ${t.day} ${MONTHS[t.month - 1]}${withYear ? ` ${t.year}` : ''}`,
  time: (t, withSeconds) => `${pad(t.hour)}:${pad(t.minute)}${withSeconds ? `:${pad(t.second)}` : ''}`,
  moment: (day, time) => `${day} ${time}`,
  unknown: 'Unknown time',
};
