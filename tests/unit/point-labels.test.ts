import { expect, test } from '@jest/globals';
import { pointLabels } from '../../src/core/point-labels';
import type { LocalTime, TimelineWords } from '../../src/core/timeline';

const pad = (n: number) => String(n).padStart(2, '0');

/** English words on a clock one hour ahead of UTC. */
const words: TimelineWords = {
  local(utc: Date): LocalTime {
    const t = new Date(utc.getTime() + 3_600_000);
    return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), weekday: ((t.getUTCDay() + 6) % 7) + 1, hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
  },
  today: 'Today',
  yesterday: 'Yesterday',
  date: (t) => `${t.day}/${t.month}`,
  time: (t, withSeconds) => `${pad(t.hour)}:${pad(t.minute)}${withSeconds ? `:${pad(t.second)}` : ''}`,
  moment: (day, time) => `${day} ${time}`,
  unknown: 'Unknown time',
};

const NOW = new Date('2026-12-04T16:13:00Z');

test('two restore points made seconds apart are told apart by their seconds; the others keep the minute', () => {
  const labels = pointLabels(['20261203T090000Z', '20261204T161205Z', '20261204T161231Z', '20261204T150000Z'], NOW, words);
  expect([...labels.values()]).toEqual(['Yesterday 10:00', 'Today 17:12:05', 'Today 17:12:31', 'Today 16:00']);
});

test('the same minute on two days is no clash, and a name that is not a time is said so', () => {
  const labels = pointLabels(['20261203T161205Z', '20261204T161231Z', 'not-a-time'], NOW, words);
  expect([...labels.values()]).toEqual(['Yesterday 17:12', 'Today 17:12', 'Unknown time']);
});

test('two restore points of the same second ("…Z" and "…Z_2") are numbered in order', () => {
  const labels = pointLabels(['20261204T161205Z', '20261204T161205Z_2'], NOW, words);
  expect([...labels.values()]).toEqual(['Today 17:12:05', 'Today 17:12:05 (2)']);
});
