import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { ScheduleRows } from '../schedule-rows';
import { spinRow, switchRow } from '../widgets';
import type { PreferencesModel } from './preferences-model';

/**
 * Preferences, General: automatic backups and when, and notifications
 * (what to back up has a page of its own: ./what-page). (AdwSwitchRow and AdwSpinRow are
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
    const notifications = this._model.notifications;
    this._onSuccess.active = notifications.onSuccess;
    this._remindDays.value = notifications.remindAfterDays;
    this._lowSpace.value = notifications.lowSpacePercent;
    this._showing = false;
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
