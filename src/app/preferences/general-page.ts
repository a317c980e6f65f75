import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { LOW_SPACE_CHOICES, REMIND_DAYS_CHOICES } from '../../core/setting-choices';
import { _, fmt, ngettext } from '../i18n';
import { notificationPrefs } from '../notification-prefs';
import { ScheduleRows } from '../schedule-rows';
import { switchRow } from '../widgets';
import { ChoiceRow } from './choice-row';
import type { PreferencesModel } from './preferences-model';

/**
 * Preferences, General: automatic backups, when, and when they wait
 * (battery, metered network), and notifications (the user's own, in
 * GSettings: ../notification-prefs), their thresholds as plain choices (what to back up has a page of its own: ./what-page).
 * (AdwSwitchRow is libadwaita 1.4: rows here hold a GtkSwitch instead.)
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
  private _onBattery: Gtk.Switch;
  private _onMetered: Gtk.Switch;
  private _onSuccess: Gtk.Switch;
  private _remindDays: ChoiceRow;
  private _lowSpace: ChoiceRow;
  private _notifications: Adw.PreferencesGroup;

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

    const waiting = new Adw.PreferencesGroup({ title: _('Waiting'), description: _('Backups that would start now wait until the reason is gone, then run.') });
    const conditions = () => {
      if (!this._showing) model.setConditions({ postponeOnBattery: this._onBattery.active, postponeOnMetered: this._onMetered.active });
    };
    const battery = switchRow(_('Wait while on battery'), _('Back up when the computer is plugged in'), conditions);
    const metered = switchRow(_('Wait on a metered network'), _('Back up to another computer only on a connection without a data limit'), conditions);
    this._onBattery = battery.toggle;
    this._onMetered = metered.toggle;
    waiting.add(battery.row);
    waiting.add(metered.row);
    this.add(waiting);

    const notifications = new Adw.PreferencesGroup({ title: _('Notifications') });
    this._notifications = notifications;
    const save = () => {
      if (this._showing) return;
      model.setNotifications({ remindAfterDays: this._remindDays.value, lowSpacePercent: this._lowSpace.value, onSuccess: this._onSuccess.active });
    };
    const success = switchRow(_('Successful backups'), _('Also tell you when a backup finished well'), save);
    this._onSuccess = success.toggle;
    this._remindDays = new ChoiceRow(
      _('Reminder'),
      REMIND_DAYS_CHOICES,
      (days) => (days === 0 ? _('Never remind') : fmt(ngettext('Remind after %s day without a backup', 'Remind after %s days without a backup', days), days)),
      save,
    );
    this._lowSpace = new ChoiceRow(
      _('Low space warning'),
      LOW_SPACE_CHOICES,
      // Translators: "Warn when less than 10 % is free" (of a backup disk); %s is the number.
      (percent) => (percent === 0 ? _('Never warn') : fmt(_('Warn when less than %s % is free'), percent)),
      save,
    );
    for (const row of [success.row, this._remindDays.row, this._lowSpace.row]) notifications.add(row);
    this.add(notifications);
    model.connect('changed', () => this._show());
    // The user's own settings: shown at once, and again whenever they change.
    model.connect('notifications-changed', () => this._showNotifications());
    this._showNotifications();
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    this._auto.active = config.schedule.kind !== 'manual';
    this._schedule.show(config.schedule.kind === 'manual' ? this._model.lastAutomatic : config.schedule);
    this._syncSensitive();
    const conditions = this._model.conditions;
    this._onBattery.active = conditions.postponeOnBattery;
    this._onMetered.active = conditions.postponeOnMetered;
    this._showing = false;
  }

  private _showNotifications(): void {
    this._showing = true;
    const notifications = this._model.notifications;
    this._onSuccess.active = notifications.onSuccess;
    // In a Flatpak whose user refused the Background portal (../background-portal), the monitor runs only with the window.
    this._notifications.description = notificationPrefs().backgroundRefused()
      ? _('Notifications come only while Rewind is open, because it may not run in the background; to change that, allow it to run in the background in Settings, under Apps.')
      : _('Rewind tells you when a backup fails, when a backup disk is connected, and when a disk runs out of space, also while its window is closed.');
    this._remindDays.show(notifications.remindAfterDays);
    this._lowSpace.show(notifications.lowSpacePercent);
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
