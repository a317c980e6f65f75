import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import { WEEKDAYS, type Schedule } from '../core/schedule';
import { dayName } from './format';
import { _ } from './i18n';

type Kind = Schedule['kind'];

/**
 * The rows that choose when backups run: how often, the day (weekly) and
 * the time (daily, weekly), as in Set Up Backups' When page and in
 * Preferences. `onChange` hears a person's changes, not `show`'s.
 */
export class ScheduleRows {
  readonly frequency: Adw.ComboRow;
  readonly day: Adw.ComboRow;
  readonly time: Adw.ActionRow;
  private _hour: Gtk.SpinButton;
  private _minute: Gtk.SpinButton;
  private _kinds: readonly Kind[];
  private _showing = false;

  /** `choices`: each kind the frequency row offers, with its label. */
  constructor(choices: [Kind, string][], onChange: () => void) {
    this._kinds = choices.map(([kind]) => kind);
    const changed = () => {
      this._syncVisible();
      if (!this._showing) onChange();
    };
    this.frequency = new Adw.ComboRow({ title: _('Back up'), model: Gtk.StringList.new(choices.map(([, label]) => label)) });
    this.day = new Adw.ComboRow({ title: _('Day'), model: Gtk.StringList.new(WEEKDAYS.map(dayName)) });
    this._hour = Gtk.SpinButton.new_with_range(0, 23, 1);
    this._minute = Gtk.SpinButton.new_with_range(0, 59, 5);
    for (const [spin, name] of [
      [this._hour, _('Hour')],
      [this._minute, _('Minute')],
    ] as const) {
      spin.valign = Gtk.Align.CENTER;
      spin.numeric = true;
      spin.update_property([Gtk.AccessibleProperty.LABEL], [name]);
      // Two digits, as clocks show them.
      spin.connect('output', () => {
        spin.text = String(spin.value).padStart(2, '0');
        return true;
      });
      spin.connect('value-changed', changed);
    }
    const box = new Gtk.Box({ spacing: 6, valign: Gtk.Align.CENTER });
    box.append(this._hour);
    box.append(new Gtk.Label({ label: ':' }));
    box.append(this._minute);
    this.time = new Adw.ActionRow({ title: _('Time') });
    this.time.add_suffix(box);
    for (const combo of [this.frequency, this.day]) combo.connect('notify::selected', changed);
  }

  get rows(): Adw.ActionRow[] {
    return [this.frequency, this.day, this.time];
  }

  /** What the rows show now. */
  schedule(): Schedule {
    const kind = this._kinds[this.frequency.selected] ?? this._kinds[0];
    const at = `${String(this._hour.value).padStart(2, '0')}:${String(this._minute.value).padStart(2, '0')}`;
    if (kind === 'daily') return { kind, at };
    if (kind === 'weekly') return { kind, day: WEEKDAYS[this.day.selected] ?? 'mon', at };
    return { kind };
  }

  /** Shows a schedule without telling `onChange`. */
  show(schedule: Schedule): void {
    this._showing = true;
    this.frequency.selected = Math.max(0, this._kinds.indexOf(schedule.kind));
    if (schedule.kind === 'weekly') this.day.selected = WEEKDAYS.indexOf(schedule.day);
    if (schedule.kind === 'daily' || schedule.kind === 'weekly') {
      const [h, m] = schedule.at.split(':').map(Number);
      this._hour.value = h;
      this._minute.value = m;
    }
    this._syncVisible();
    this._showing = false;
  }

  private _syncVisible(): void {
    const kind = this._kinds[this.frequency.selected];
    this.day.visible = kind === 'weekly';
    this.time.visible = kind === 'daily' || kind === 'weekly';
  }
}
