import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import type { Config } from '../../core/config';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { ScheduleRows } from '../schedule-rows';
import { describeSize } from '../subvolume-sizes';
import { iconButton, spinRow, switchRow } from '../widgets';
import type { PreferencesModel } from './preferences-model';

/**
 * Preferences, General: automatic backups and when, the folders to back
 * up with their sizes, and notifications. (AdwSwitchRow and AdwSpinRow are
 * libadwaita 1.4: rows here hold a GtkSwitch or GtkSpinButton instead.)
 */
export class GeneralPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesGeneralPage' }, this);
  }

  private _model: PreferencesModel;
  /** True while widgets are set from the model, so their signals save nothing. */
  private _showing = false;
  private _auto: Gtk.Switch;
  private _schedule: ScheduleRows;
  private _sources: Adw.PreferencesGroup;
  private _sourceRows: Gtk.Widget[] = [];
  private _onSuccess: Gtk.Switch;
  private _remindDays: Gtk.SpinButton;
  private _lowSpace: Gtk.SpinButton;

  constructor(model: PreferencesModel) {
    super({ title: _('General'), icon_name: 'emblem-system-symbolic' });
    this._model = model;
    const schedule = new Adw.PreferencesGroup({ title: _('Automatic backups'), description: _('Backups run in the background while the computer is on.') });
    const auto = switchRow(_('Back up automatically'), _('When off, backups run only when you start one'), () => this._scheduleChanged());
    this._auto = auto.toggle;
    schedule.add(auto.row);
    this._schedule = new ScheduleRows(
      [
        ['hourly', _('Every hour')],
        ['daily', _('Every day')],
        ['weekly', _('Every week')],
      ],
      () => this._scheduleChanged(),
    );
    for (const row of this._schedule.rows) schedule.add(row);
    this.add(schedule);

    this._sources = new Adw.PreferencesGroup({ title: _('What to back up'), description: _('Folders Rewind can take snapshots of, such as /home.') });
    const entry = new Adw.EntryRow({ title: _('Add a folder, such as /home'), show_apply_button: true });
    entry.connect('apply', () => {
      const folder = entry.text.trim();
      if (!folder.startsWith('/')) return;
      entry.text = '';
      model.addSource(folder);
    });
    const add = new Adw.PreferencesGroup();
    add.add(entry);
    this.add(this._sources);
    this.add(add);

    const notifications = new Adw.PreferencesGroup({
      title: _('Notifications'),
      description: _('Rewind tells you when a backup fails, when a backup disk is connected, and when a disk runs out of space, also while its window is closed.'),
    });
    // From all three widgets; spin buttons save a moment after the last click, as the retention counts do.
    const save = (later: boolean) => {
      if (this._showing) return;
      model.setNotifications({ remindAfterDays: this._remindDays.get_value_as_int(), lowSpacePercent: this._lowSpace.get_value_as_int(), onSuccess: this._onSuccess.active }, later);
    };
    const success = switchRow(_('Successful backups'), _('Also tell you when a backup finished well'), () => save(false));
    this._onSuccess = success.toggle;
    const remind = spinRow(_('Remind after days without a backup'), _('When a backup disk has not been connected for this long; 0 never reminds'), 365, () => save(true));
    const low = spinRow(_('Warn below percent free'), _('When a backup disk has less free space than this; 0 never warns'), 90, () => save(true));
    this._remindDays = remind.spin;
    this._lowSpace = low.spin;
    for (const row of [success.row, remind.row, low.row]) notifications.add(row);
    this.add(notifications);
    model.connect('changed', () => this._show());
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    this._auto.active = config.schedule.kind !== 'manual';
    this._schedule.show(config.schedule.kind === 'manual' ? this._model.lastAutomatic : config.schedule);
    this._syncSensitive();
    this._showSources(config);
    const notifications = this._model.notifications;
    this._onSuccess.active = notifications.onSuccess;
    this._remindDays.value = notifications.remindAfterDays;
    this._lowSpace.value = notifications.lowSpacePercent;
    this._showing = false;
  }

  private _showSources(config: Config): void {
    for (const row of this._sourceRows.splice(0)) this._sources.remove(row);
    for (const source of config.sources) {
      const path = source.path ?? fmt(_('Everything on the disk that holds %s'), source.allSubvolumesOf ?? '');
      const size = source.path ? describeSize(this._model.sizes?.find((s) => s.path === source.path), this._model.sizing).text : '';
      const row = new Adw.ActionRow({ title: escapeMarkup(path), subtitle: escapeMarkup(size), subtitle_lines: 0 });
      const remove = iconButton('list-remove-symbolic', fmt(_('Remove %s'), path), null);
      remove.sensitive = config.sources.length > 1;
      remove.connect('clicked', () => this._model.removeSource(source));
      row.add_suffix(remove);
      this._sources.add(row);
      this._sourceRows.push(row);
    }
  }

  private _syncSensitive(): void {
    for (const row of this._schedule.rows) row.sensitive = this._auto.active;
  }

  private _scheduleChanged(): void {
    this._syncSensitive();
    if (this._showing) return;
    this._model.setSchedule(this._auto.active ? this._schedule.schedule() : { kind: 'manual' });
  }
}
