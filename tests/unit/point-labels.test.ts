import { expect, test } from '@jest/globals';
import { pointLabels } from '../../src/core/point-labels';
import { words } from './timeline-words';

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
