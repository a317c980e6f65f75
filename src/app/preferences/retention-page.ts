import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { spinRow } from '../widgets';
import { DestinationRetentionGroup } from './destination-retention';
import { LocalRetentionGroup } from './local-retention';
import { COUNTS, PRESETS, retentionPolicy, type Count, type PreferencesModel } from './preferences-model';

/**
 * Preferences, Old Backups: how long backups are kept, as named choices,
 * each a row with a line that explains it (a combo row cut them off), or
 * custom counts; then, where there are several destinations, each one's
 * own choice; then the copies kept on this computer.
 */
export class RetentionPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesRetentionPage' }, this);
  }

  private _model: PreferencesModel;
  private _presets: Gtk.CheckButton[] = [];
  private _counts = {} as Record<Count, { row: Adw.ActionRow; spin: Gtk.SpinButton }>;
  private _each: DestinationRetentionGroup;
  private _local: LocalRetentionGroup;
  /** True while widgets are set from the model, so their signals save nothing. */
  private _showing = false;

  constructor(model: PreferencesModel) {
    super({ title: _('Old Backups'), icon_name: 'document-open-recent-symbolic' });
    this._model = model;
    const group = new Adw.PreferencesGroup({
      title: _('How long backups are kept'),
      description: _('Older backups are thinned out so the disk does not fill up. The newest backup is always kept.'),
    });
    const choices: Record<(typeof PRESETS)[number], [string, string]> = {
      'time-machine': [_('Long history'), _('Keep hourly backups for a day, daily for a month, weekly for a year, then monthly for five years')],
      frugal: [_('Small disk'), _('Keep hourly backups for a day, then daily for a week, weekly for a month and monthly for half a year')],
      'keep-all': [_('Everything'), _('Never delete old backups; only a full disk makes room by removing the oldest')],
      custom: [_('Custom'), _('Choose how many backups of each kind to keep')],
    };
    for (const preset of PRESETS) {
      const [title, subtitle] = choices[preset];
      const check = new Gtk.CheckButton({ valign: Gtk.Align.CENTER, group: this._presets[0] ?? null });
      check.update_property([Gtk.AccessibleProperty.LABEL], [title]);
      check.connect('toggled', () => {
        if (check.active) this._changed();
      });
      const row = new Adw.ActionRow({ title, subtitle, activatable_widget: check });
      row.add_prefix(check);
      group.add(row);
      this._presets.push(check);
    }
    const titles: Record<Count, string> = {
      keepWithinHours: _('Keep everything from the last hours'),
      hourly: _('Hourly backups'),
      daily: _('Daily backups'),
      weekly: _('Weekly backups'),
      monthly: _('Monthly backups'),
      yearly: _('Yearly backups'),
    };
    for (const key of COUNTS) {
      this._counts[key] = spinRow(titles[key], null, key === 'keepWithinHours' ? 87600 : 10000, () => this._changed());
      group.add(this._counts[key].row);
    }
    this.add(group);
    this._each = new DestinationRetentionGroup(model);
    this.add(this._each.group);
    this._local = new LocalRetentionGroup(model);
    this.add(this._local.group);
    model.connect('changed', () => this._show());
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    const policy = config.retention?.destinations ?? { preset: 'time-machine' };
    this._presets[Math.max(0, PRESETS.indexOf(policy.preset))].active = true;
    for (const key of COUNTS) this._counts[key].spin.value = policy.preset === 'custom' ? (policy[key] ?? 0) : 0;
    this._syncRows();
    this._each.show(config.destinations);
    this._local.show(config.retention?.local);
    this._showing = false;
  }

  private _syncRows(): void {
    const custom = PRESETS[this._selected()] === 'custom';
    for (const key of COUNTS) this._counts[key].row.visible = custom;
  }

  private _changed(): void {
    this._syncRows();
    if (this._showing) return;
    const counts = Object.fromEntries(COUNTS.map((key) => [key, this._counts[key].spin.value]));
    this._model.setRetention(retentionPolicy(PRESETS[this._selected()] ?? 'time-machine', counts));
  }

  private _selected(): number {
    return Math.max(0, this._presets.findIndex((check) => check.active));
  }
}
