import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { spinRow } from '../widgets';
import { COUNTS, PRESETS, retentionPolicy, type Count, type PreferencesModel } from './preferences-model';

/** Preferences, Old Backups: how long backups are kept, as a preset or custom counts. */
export class RetentionPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesRetentionPage' }, this);
  }

  private _model: PreferencesModel;
  private _preset: Adw.ComboRow;
  private _counts = {} as Record<Count, { row: Adw.ActionRow; spin: Gtk.SpinButton }>;
  /** True while widgets are set from the model, so their signals save nothing. */
  private _showing = false;

  constructor(model: PreferencesModel) {
    super({ title: _('Old Backups'), icon_name: 'document-open-recent-symbolic' });
    this._model = model;
    const group = new Adw.PreferencesGroup({
      title: _('How long backups are kept'),
      description: _('Older backups are thinned out so the disk does not fill up. The newest backup is always kept.'),
    });
    this._preset = new Adw.ComboRow({
      title: _('Keep'),
      model: Gtk.StringList.new([_('Hourly for a day, daily for a month, weekly for a year, then monthly'), _('Hourly for a day, then 7 daily, 4 weekly and 6 monthly'), _('Everything'), _('Custom')]),
    });
    this._preset.connect('notify::selected', () => this._changed());
    group.add(this._preset);
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
    model.connect('changed', () => this._show());
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    const policy = config.retention?.destinations ?? { preset: 'time-machine' };
    this._preset.selected = Math.max(0, PRESETS.indexOf(policy.preset));
    for (const key of COUNTS) this._counts[key].spin.value = policy.preset === 'custom' ? (policy[key] ?? 0) : 0;
    this._syncRows();
    this._showing = false;
  }

  private _syncRows(): void {
    const custom = PRESETS[this._preset.selected] === 'custom';
    for (const key of COUNTS) this._counts[key].row.visible = custom;
  }

  private _changed(): void {
    this._syncRows();
    if (this._showing) return;
    const counts = Object.fromEntries(COUNTS.map((key) => [key, this._counts[key].spin.value]));
    this._model.setRetention(retentionPolicy(PRESETS[this._preset.selected] ?? 'time-machine', counts));
  }
}
