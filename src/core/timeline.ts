import type { Inventory } from './contract/responses';
import { parseSnapshotName } from './snapshot-name';

/**
 * One timeline of every moment, whatever holds its copies.
 *
 * A moment is one snapshot of a source folder. Its copies are the local
 * snapshot and each destination's backup of it, paired as ./parent pairs
 * them: a backup is a copy of the local snapshot whose UUID is its Received
 * UUID (never by name). Backups whose local snapshot is gone pair with each
 * other by that same Received UUID. Rules:
 * 1. One entry per moment, with every copy and where it is.
 * 2. The copy to open is the fastest that can be reached: this computer,
 *    then a connected disk, stream files, a server; an incomplete backup or
 *    one not connected never.
 * 3. Moments are grouped by local day, newest first, and within a day newest
 *    first; a moment whose time cannot be told (a name not of ours) goes last.
 * 4. Days are labelled "Today", "Yesterday", then the date ("Monday 3
 *    November", with the year when it is not this year's); a moment is the
 *    day and its time ("Today 13:00"), with seconds when another moment of
 *    that day has the same minute. The words are the caller's (they are
 *    translated), the choice of which is made here.
 */

/** A time as the person's clock shows it; weekday 1 is Monday, 7 Sunday. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

/** The words a timeline is labelled with, and the local clock. */
export interface TimelineWords {
  /** A UTC instant on the local clock (the app's is GLib's, with the local time zone). */
  local(utc: Date): LocalTime;
  today: string;
  yesterday: string;
  /** A day further back: "Monday 3 November", or "Monday 3 November 2025" with `withYear`. */
  date(t: LocalTime, withYear: boolean): string;
  /** "13:00", or "13:00:07" `withSeconds`. */
  time(t: LocalTime, withSeconds: boolean): string;
  /** A day and a time: "Today 13:00". */
  moment(day: string, time: string): string;
  /** A moment whose time is not known, as a day's label and as its own. */
  unknown: string;
}

export interface MomentCopy {
  /** "local" or a destination id. */
  from: string;
  snapshot: string;
  connected: boolean;
  complete: boolean;
}

export interface Moment {
  source: string;
  /** When it was made (UTC), from its name; undefined for a name not of ours. */
  time?: Date;
  /** "Today 13:00" */
  label: string;
  /** "13:00", under its day's label. */
  timeLabel: string;
  /** Fastest first (rule 2). */
  copies: MomentCopy[];
  /** The copy to open; undefined when none can be. */
  open?: MomentCopy;
}

export interface TimelineDay {
  label: string;
  moments: Moment[];
}

export interface SourceTimeline {
  source: string;
  days: TimelineDay[];
  /** Every moment, newest first: the restore browser steps through these. */
  moments: Moment[];
}

/** How fast a kind of copy opens, lower first (rule 2). */
const KIND_RANK: Record<string, number> = { local: 0, btrfs: 1, files: 2, ssh: 3 };

function rank(copy: MomentCopy, kinds: ReadonlyMap<string, string>): number {
  const kind = copy.from === 'local' ? 'local' : kinds.get(copy.from);
  const speed = KIND_RANK[kind ?? ''] ?? 4;
  return (copy.complete && copy.connected ? 0 : 10) + speed;
}

/** A day's number, to compare days on the local clock. */
function dayNumber(t: LocalTime): number {
  return Math.floor(Date.UTC(t.year, t.month - 1, t.day) / 86_400_000);
}

function labelsOf(local: LocalTime | undefined, today: LocalTime, words: TimelineWords, withSeconds = false): { day: string; time: string; moment: string } {
  if (!local) return { day: words.unknown, time: words.unknown, moment: words.unknown };
  const ago = dayNumber(today) - dayNumber(local);
  const day = ago === 0 ? words.today : ago === 1 ? words.yesterday : words.date(local, local.year !== today.year);
  const time = words.time(local, withSeconds);
  return { day, time, moment: words.moment(day, time) };
}

/** One moment's label by its snapshot name ("Today 13:00"), as the timeline labels it (rule 4). */
export function momentLabel(name: string, now: Date, words: TimelineWords): string {
  const time = parseSnapshotName(name);
  return labelsOf(time ? words.local(time) : undefined, words.local(now), words).moment;
}

/**
 * Every source's moments, merged and labelled (rules above). `kinds` names
 * each destination's kind (btrfs, files, ssh); `now` is the current instant.
 */
export function buildTimeline(inventory: Inventory, kinds: ReadonlyMap<string, string>, now: Date, words: TimelineWords): SourceTimeline[] {
  const today = words.local(now);
  return inventory.sources.map((source) => {
    const byKey = new Map<string, { name: string; copies: MomentCopy[] }>();
    const add = (key: string, name: string, copy: MomentCopy, preferName: boolean) => {
      const moment = byKey.get(key);
      if (!moment) byKey.set(key, { name, copies: [copy] });
      else {
        moment.copies.push(copy);
        if (preferName) moment.name = name;
      }
    };
    for (const s of source.snapshots) add(`uuid:${s.uuid}`, s.name, { from: 'local', snapshot: s.name, connected: true, complete: true }, true);
    for (const d of source.destinations) {
      for (const b of d.backups) {
        // No Received UUID (an interrupted receive): a moment of its own, by destination and name.
        const key = b.receivedUuid ? `uuid:${b.receivedUuid}` : `name:${d.destination}/${b.name}`;
        add(key, b.name, { from: d.destination, snapshot: b.name, connected: d.connected, complete: b.complete }, false);
      }
    }
    const moments: Moment[] = [...byKey.values()].map(({ name, copies }) => {
      const sorted = [...copies].sort((a, b) => rank(a, kinds) - rank(b, kinds));
      const open = sorted.find((c) => c.complete && c.connected);
      const time = parseSnapshotName(name);
      return { source: source.source, ...(time ? { time } : {}), label: '', timeLabel: '', copies: sorted, ...(open ? { open } : {}) };
    });
    moments.sort((a, b) => (b.time?.getTime() ?? -Infinity) - (a.time?.getTime() ?? -Infinity));
    const days: TimelineDay[] = [];
    let dayKey: number | undefined | null = null;
    // Two moments in one minute are told apart by their seconds.
    const minute = (t: LocalTime) => `${dayNumber(t)} ${t.hour} ${t.minute}`;
    const minutes = new Map<string, number>();
    const locals = moments.map((m) => (m.time ? words.local(m.time) : undefined));
    for (const t of locals) if (t) minutes.set(minute(t), (minutes.get(minute(t)) ?? 0) + 1);
    for (const [i, moment] of moments.entries()) {
      const local = locals[i];
      const key = local ? dayNumber(local) : undefined;
      const labels = labelsOf(local, today, words, !!local && minutes.get(minute(local))! > 1);
      moment.timeLabel = labels.time;
      moment.label = labels.moment;
      if (key !== dayKey || days.length === 0) days.push({ label: labels.day, moments: [] });
      days[days.length - 1].moments.push(moment);
      dayKey = key;
    }
    return { source: source.source, days, moments };
  });
}

/** The moment that holds this copy (a point the browser shows), and its place in `moments`. */
export function findMoment(moments: readonly Moment[], from: string, snapshot: string): number {
  return moments.findIndex((m) => m.copies.some((c) => c.from === from && c.snapshot === snapshot));
}

/**
 * The nearest moment older (`step` 1) or newer (-1) than the one at `index`
 * that can be opened; undefined at either end.
 */
export function stepMoment(moments: readonly Moment[], index: number, step: 1 | -1): number | undefined {
  if (index < 0) return undefined;
  for (let i = index + step; i >= 0 && i < moments.length; i += step) if (moments[i].open) return i;
  return undefined;
}
