import { parseSnapshotName } from './snapshot-name';
import { momentLabel, type LocalTime, type TimelineWords } from './timeline';

/**
 * The labels of a list of restore points known only by name (the backups
 * found with no configuration), in the timeline's words ("Today 13:00",
 * ./timeline rule 4): two points of the same minute are told apart by their
 * seconds ("Today 13:00:07"), never both "Today 13:00"; two of the same
 * second by their order ("Today 13:00:07 (2)").
 */
export function pointLabels(names: readonly string[], now: Date, words: TimelineWords): Map<string, string> {
  const minute = (t: LocalTime) => `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute}`;
  const locals = new Map<string, LocalTime>();
  const counts = new Map<string, number>();
  for (const name of names) {
    const time = parseSnapshotName(name);
    if (!time) continue;
    const local = words.local(time);
    locals.set(name, local);
    counts.set(minute(local), (counts.get(minute(local)) ?? 0) + 1);
  }
  const withSeconds: TimelineWords = { ...words, time: (t) => words.time(t, true) };
  const labels = names.map((name) => {
    const local = locals.get(name);
    const shared = local !== undefined && counts.get(minute(local))! > 1;
    return momentLabel(name, now, shared ? withSeconds : words);
  });
  // Points of the same second (named "…Z" and "…Z_2") are numbered in order: "Today 13:00:07 (2)".
  const seen = new Map<string, number>();
  return new Map(
    names.map((name, i) => {
      const n = (seen.get(labels[i]) ?? 0) + 1;
      seen.set(labels[i], n);
      return [name, n === 1 ? labels[i] : `${labels[i]} (${n})`];
    }),
  );
}
