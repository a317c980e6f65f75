import GLib from 'gi://GLib';
import type { Inventory } from '../core/contract/responses';
import { buildTimeline, momentLabel, type LocalTime, type Moment, type SourceTimeline, type TimelineWords } from '../core/timeline';
import { destinationLabel } from './format';
import type { HelperClient } from './helper-client';
import { _, fmt } from './i18n';

function dateTime(t: LocalTime): GLib.DateTime {
  return GLib.DateTime.new_local(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

/** The timeline's words (src/core/timeline.ts), translated, on the local clock. */
export function timelineWords(): TimelineWords {
  return {
    local(utc: Date): LocalTime {
      const t = GLib.DateTime.new_from_unix_utc(Math.floor(utc.getTime() / 1000)).to_local()!;
      return { year: t.get_year(), month: t.get_month(), day: t.get_day_of_month(), weekday: t.get_day_of_week(), hour: t.get_hour(), minute: t.get_minute(), second: t.get_second() };
    },
    today: _('Today'),
    yesterday: _('Yesterday'),
    // Translators: strftime formats for a day of the timeline, e.g. "Monday 3 November" and "Monday 3 November 2025".
    date: (t, withYear) => dateTime(t).format(withYear ? _('%A %-d %B %Y') : _('%A %-d %B')) ?? '',
    // Translators: strftime formats for the time of a restore point, e.g. "13:00", and "13:00:07" beside another of the same minute.
    time: (t, withSeconds) => dateTime(t).format(withSeconds ? _('%H:%M:%S') : _('%H:%M')) ?? '',
    // Translators: a day and a time, e.g. "Today 13:00", "Monday 3 November 13:00".
    moment: (day, time) => fmt(_('%s %s'), day, time),
    unknown: _('Unknown time'),
  };
}

/** The timeline of the helper's inventory now, destinations' kinds from the status. */
export function timelineOf(inventory: Inventory, client: HelperClient): SourceTimeline[] {
  const kinds = new Map((client.status?.destinations ?? []).map((d) => [d.id, d.kind]));
  return buildTimeline(inventory, kinds, new Date(), timelineWords());
}

/** A point's time in words ("Yesterday 09:12"), from its name. */
export function pointWhen(snapshot: string): string {
  return momentLabel(snapshot, new Date(), timelineWords());
}

/** Where a copy is, for people. */
export function copyPlace(from: string, labels: Map<string, string>): string {
  return from === 'local' ? _('This computer') : destinationLabel(labels, from);
}

/** Where a moment's copies are: "On this computer and Blue USB disk", those away marked so. */
export function momentPlaces(moment: Moment, labels: Map<string, string>): string {
  const places = moment.copies.map((c) => {
    const name = c.from === 'local' ? _('this computer') : destinationLabel(labels, c.from);
    // Translators: a backup disk that is not connected now, e.g. "Blue USB disk (not connected)".
    if (!c.connected) return fmt(_('%s (not connected)'), name);
    // Translators: a backup that was interrupted, e.g. "Blue USB disk (incomplete)".
    if (!c.complete) return fmt(_('%s (incomplete)'), name);
    return name;
  });
  // Translators: where copies of a restore point are, e.g. "On this computer, Blue USB disk".
  return fmt(_('On %s'), places.join(', '));
}
