import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { Config } from '../core/config';
import { DEFAULT_NOTIFICATIONS, type NotificationSettings } from '../core/notification-settings';
import type { RetentionPolicy } from '../core/retention-policy';
import { WEEKDAYS, type Schedule } from '../core/schedule';
import { editConfig, failureMessage } from './config-edit';
import { dayName, describeKind, escapeMarkup } from './format';
import type { Failure, HelperClient } from './helper-client';
import { _, fmt } from './i18n';
import type { SubvolumeSize } from '../core/subvolume-size';
import { isSchedule } from './setup-flow';
import { describeSize, listSubvolumes } from './subvolume-sizes';

const FREQUENCIES = ['hourly', 'daily', 'weekly'] as const;
const PRESETS = ['time-machine', 'frugal', 'keep-all', 'custom'] as const;
const COUNTS = ['keepWithinHours', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type Count = (typeof COUNTS)[number];
const SAVE_DELAY_MS = 700;

function switchRow(title: string, subtitle: string, onToggle: (active: boolean) => void): { row: Adw.ActionRow; toggle: Gtk.Switch } {
  const toggle = new Gtk.Switch({ valign: Gtk.Align.CENTER });
  const row = new Adw.ActionRow({ title, subtitle, activatable_widget: toggle });
  row.add_suffix(toggle);
  toggle.connect('notify::active', () => onToggle(toggle.active));
  return { row, toggle };
}

/**
 * Preferences, read from GetConfig and saved with SetConfig at each change.
 * (AdwSwitchRow and AdwSpinRow are libadwaita 1.4: rows here hold a
 * GtkSwitch or GtkSpinButton instead.) The notification settings are the
 * configuration's `notifications` (the monitor reads them from the helper's
 * status), not GSettings: the app installs no schema.
 */
export class PreferencesWindow extends Adw.PreferencesWindow {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesWindow' }, this);
  }

  private _client!: HelperClient;
  private _config: Config | null = null;
  /** True while widgets are set from the configuration, so their signals save nothing. */
  private _loading = true;
  private _lastAutomatic: Schedule = { kind: 'hourly' };
  private _auto!: Gtk.Switch;
  private _frequency!: Adw.ComboRow;
  private _day!: Adw.ComboRow;
  private _timeRow!: Adw.ActionRow;
  private _hour!: Gtk.SpinButton;
  private _minute!: Gtk.SpinButton;
  private _destinations!: Adw.PreferencesGroup;
  private _destinationRows: Gtk.Widget[] = [];
  private _sources!: Adw.PreferencesGroup;
  private _sourceRows: Gtk.Widget[] = [];
  private _preset!: Adw.ComboRow;
  private _counts = {} as Record<Count, { row: Adw.ActionRow; spin: Gtk.SpinButton }>;
  private _saveTimer = 0;
  private _toggles = new Map<string, Gtk.Switch>();
  private _sizes: SubvolumeSize[] | null = null;
  private _sizing = false;
  private _sizedPaths = '';
  private _actions: Gio.SimpleAction[] = [];
  private _onSuccess!: Gtk.Switch;
  private _remindDays!: Gtk.SpinButton;
  private _lowSpace!: Gtk.SpinButton;

  constructor(parent: Gtk.Window, client: HelperClient) {
    super({ transient_for: parent, application: parent.application, modal: false, title: _('Preferences'), default_width: 600, default_height: 640, search_enabled: false });
    this._client = client;
    this.add(this._generalPage());
    this.add(this._destinationsPage());
    this.add(this._retentionPage());
    this._addActions();
    const statusChanged = client.connect('notify::status', () => void this._load());
    this.connect('close-request', () => {
      if (this._saveTimer) GLib.source_remove(this._saveTimer);
      this._saveTimer = 0;
      client.disconnect(statusChanged);
      for (const action of this._actions) this.application?.remove_action(action.name);
      return false;
    });
    void this._load();
  }

  /**
   * App actions that set this window's widgets as a person would, so their
   * own handlers save (tests activate them over org.gtk.Actions):
   * prefs-schedule (JSON schedule as the config spells it), prefs-retention
   * (a preset name, or JSON of custom counts), prefs-enable-destination
   * ("ID=true" or "ID=false"), prefs-notifications (JSON of some of the
   * notification settings).
   */
  private _addActions(): void {
    const add = (name: string, activate: (parameter: string) => void) => {
      const action = new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType('s') });
      action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
      this.application?.add_action(action);
      this._actions.push(action);
    };
    add('prefs-schedule', (json) => {
      let schedule: unknown;
      try {
        schedule = JSON.parse(json);
      } catch {
        // handled below
      }
      if (!isSchedule(schedule)) return;
      this._auto.active = schedule.kind !== 'manual';
      if (schedule.kind === 'manual') return;
      this._frequency.selected = FREQUENCIES.indexOf(schedule.kind);
      if (schedule.kind === 'weekly') this._day.selected = WEEKDAYS.indexOf(schedule.day);
      if (schedule.kind !== 'hourly') {
        const [h, m] = schedule.at.split(':').map(Number);
        this._hour.value = h;
        this._minute.value = m;
      }
    });
    add('prefs-retention', (value) => {
      const preset = PRESETS.indexOf(value as (typeof PRESETS)[number]);
      if (preset >= 0 && value !== 'custom') {
        this._preset.selected = preset;
        return;
      }
      let counts: Partial<Record<Count, number>> = {};
      try {
        counts = JSON.parse(value) as typeof counts;
      } catch {
        return;
      }
      this._preset.selected = PRESETS.indexOf('custom');
      for (const key of COUNTS) this._counts[key].spin.value = counts[key] ?? 0;
    });
    add('prefs-notifications', (json) => {
      const wanted = JSON.parse(json) as Partial<NotificationSettings>;
      if (wanted.onSuccess !== undefined) this._onSuccess.active = wanted.onSuccess;
      if (wanted.remindAfterDays !== undefined) this._remindDays.value = wanted.remindAfterDays;
      if (wanted.lowSpacePercent !== undefined) this._lowSpace.value = wanted.lowSpacePercent;
    });
    add('prefs-enable-destination', (value) => {
      const [id, on] = value.split('=');
      const toggle = this._toggles.get(id);
      if (toggle) toggle.active = on === 'true';
    });
  }

  private _generalPage(): Adw.PreferencesPage {
    const page = new Adw.PreferencesPage({ title: _('General'), icon_name: 'emblem-system-symbolic' });
    const schedule = new Adw.PreferencesGroup({ title: _('Automatic backups'), description: _('Backups run in the background while the computer is on.') });
    const { row, toggle } = switchRow(_('Back up automatically'), _('When off, backups run only when you start one'), () => this._scheduleChanged());
    this._auto = toggle;
    schedule.add(row);
    this._frequency = new Adw.ComboRow({ title: _('Back up'), model: Gtk.StringList.new([_('Every hour'), _('Every day'), _('Every week')]) });
    this._day = new Adw.ComboRow({ title: _('Day'), model: Gtk.StringList.new(WEEKDAYS.map(dayName)) });
    this._hour = Gtk.SpinButton.new_with_range(0, 23, 1);
    this._minute = Gtk.SpinButton.new_with_range(0, 59, 5);
    const time = new Gtk.Box({ spacing: 6, valign: Gtk.Align.CENTER });
    for (const [spin, name] of [
      [this._hour, _('Hour')],
      [this._minute, _('Minute')],
    ] as const) {
      spin.update_property([Gtk.AccessibleProperty.LABEL], [name]);
      spin.connect('output', () => {
        spin.text = String(spin.value).padStart(2, '0');
        return true;
      });
      spin.connect('value-changed', () => this._scheduleChanged());
    }
    time.append(this._hour);
    time.append(new Gtk.Label({ label: ':' }));
    time.append(this._minute);
    this._timeRow = new Adw.ActionRow({ title: _('Time') });
    this._timeRow.add_suffix(time);
    for (const combo of [this._frequency, this._day]) combo.connect('notify::selected', () => this._scheduleChanged());
    for (const r of [this._frequency, this._day, this._timeRow]) schedule.add(r);
    page.add(schedule);

    this._sources = new Adw.PreferencesGroup({
      title: _('What to back up'),
      description: _('Folders that are btrfs subvolumes, such as /home.'),
    });
    const entry = new Adw.EntryRow({ title: _('Add a folder, such as /home'), show_apply_button: true });
    entry.connect('apply', () => {
      const folder = entry.text.trim();
      if (!folder.startsWith('/')) return;
      entry.text = '';
      this._save((c) => ({ ...c, sources: [...c.sources, { path: folder }] }));
    });
    const add = new Adw.PreferencesGroup();
    add.add(entry);
    page.add(this._sources);
    page.add(add);

    const notifications = new Adw.PreferencesGroup({
      title: _('Notifications'),
      description: _('Rewind tells you when a backup fails, when a backup disk is connected, and when a disk runs out of space, also while its window is closed.'),
    });
    // From all three widgets, so a save never drops another one's change; spin
    // buttons save a moment after the last click, as the retention counts do.
    const saveNotifications = (later: boolean) =>
      this._save(
        (c) => ({
          ...c,
          notifications: { remindAfterDays: this._remindDays.get_value_as_int(), lowSpacePercent: this._lowSpace.get_value_as_int(), onSuccess: this._onSuccess.active },
        }),
        later,
      );
    const success = switchRow(_('Successful backups'), _('Also tell you when a backup finished well'), () => saveNotifications(false));
    this._onSuccess = success.toggle;
    notifications.add(success.row);
    const spinRow = (title: string, subtitle: string, max: number) => {
      const spin = Gtk.SpinButton.new_with_range(0, max, 1);
      spin.valign = Gtk.Align.CENTER;
      spin.update_property([Gtk.AccessibleProperty.LABEL], [title]);
      spin.connect('value-changed', () => saveNotifications(true));
      const row = new Adw.ActionRow({ title, subtitle, activatable_widget: spin });
      row.add_suffix(spin);
      notifications.add(row);
      return spin;
    };
    this._remindDays = spinRow(_('Remind after days without a backup'), _('When a backup disk has not been connected for this long; 0 never reminds'), 365);
    this._lowSpace = spinRow(_('Warn below percent free'), _('When a backup disk has less free space than this; 0 never warns'), 90);
    page.add(notifications);
    return page;
  }

  private _destinationsPage(): Adw.PreferencesPage {
    const page = new Adw.PreferencesPage({ title: _('Destinations'), icon_name: 'drive-harddisk-symbolic' });
    const addButton = new Gtk.Button({ label: _('_Add…'), use_underline: true, action_name: 'app.add-destination', valign: Gtk.Align.CENTER, css_classes: ['flat'] });
    this._destinations = new Adw.PreferencesGroup({ title: _('Destinations'), description: _('Where backups go. A turned-off destination keeps its backups but gets no new ones.'), header_suffix: addButton });
    page.add(this._destinations);
    return page;
  }

  private _retentionPage(): Adw.PreferencesPage {
    const page = new Adw.PreferencesPage({ title: _('Old Backups'), icon_name: 'document-open-recent-symbolic' });
    const group = new Adw.PreferencesGroup({
      title: _('How long backups are kept'),
      description: _('Older backups are thinned out so the disk does not fill up. The newest backup is always kept.'),
    });
    this._preset = new Adw.ComboRow({
      title: _('Keep'),
      model: Gtk.StringList.new([_('Hourly for a day, daily for a month, weekly for a year, then monthly'), _('Hourly for a day, then 7 daily, 4 weekly and 6 monthly'), _('Everything'), _('Custom')]),
    });
    this._preset.connect('notify::selected', () => this._retentionChanged());
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
      const spin = Gtk.SpinButton.new_with_range(0, key === 'keepWithinHours' ? 87600 : 10000, 1);
      spin.valign = Gtk.Align.CENTER;
      spin.update_property([Gtk.AccessibleProperty.LABEL], [titles[key]]);
      spin.connect('value-changed', () => this._retentionChanged());
      const row = new Adw.ActionRow({ title: titles[key], activatable_widget: spin });
      row.add_suffix(spin);
      group.add(row);
      this._counts[key] = { row, spin };
    }
    page.add(group);
    return page;
  }

  private async _load(): Promise<void> {
    try {
      this._config = (await this._client.callJson('GetConfig')) as Config;
    } catch (e) {
      this.add_toast(new Adw.Toast({ title: escapeMarkup(failureMessage(e as Failure)) }));
      return;
    }
    this._show(this._config);
    const paths = this._config.sources.flatMap((s) => (s.path ? [s.path] : []));
    if (paths.join('\n') !== this._sizedPaths) {
      this._sizedPaths = paths.join('\n');
      this._sizing = true;
      this._sizes = await listSubvolumes(this._client, paths);
      this._sizing = false;
      if (this._config) this._show(this._config);
    }
  }

  private _show(config: Config): void {
    this._loading = true;
    const s = config.schedule;
    if (s.kind !== 'manual') this._lastAutomatic = s;
    const shown = s.kind === 'manual' ? this._lastAutomatic : s;
    this._auto.active = s.kind !== 'manual';
    this._frequency.selected = Math.max(0, FREQUENCIES.indexOf(shown.kind as (typeof FREQUENCIES)[number]));
    if (shown.kind === 'weekly') this._day.selected = WEEKDAYS.indexOf(shown.day);
    if (shown.kind === 'daily' || shown.kind === 'weekly') {
      const [h, m] = shown.at.split(':').map(Number);
      this._hour.value = h;
      this._minute.value = m;
    }
    this._syncScheduleRows();

    for (const row of this._destinationRows) this._destinations.remove(row);
    this._toggles.clear();
    this._destinationRows = config.destinations.map((d) => {
      const label = d.label ?? d.id;
      const { row, toggle } = switchRow(escapeMarkup(label), escapeMarkup(describeKind(d.kind)), (active) =>
        this._save((c) => ({ ...c, destinations: c.destinations.map((x) => (x.id === d.id ? { ...x, enabled: active } : x)) })),
      );
      this._loading = true;
      toggle.active = d.enabled;
      this._toggles.set(d.id, toggle);
      toggle.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Use %s'), label)]);
      const remove = new Gtk.Button({ icon_name: 'user-trash-symbolic', tooltip_text: fmt(_('Remove %s'), label), valign: Gtk.Align.CENTER, css_classes: ['flat'] });
      remove.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Remove %s'), label)]);
      remove.connect('clicked', () => this._confirmRemove(d.id, label));
      row.add_suffix(remove);
      this._destinations.add(row);
      return row;
    });
    if (config.destinations.length === 0) {
      const row = new Adw.ActionRow({ title: _('No destinations'), subtitle: _('Backups are only kept as snapshots on this computer.') });
      this._destinations.add(row);
      this._destinationRows.push(row);
    }

    for (const row of this._sourceRows) this._sources.remove(row);
    this._sourceRows = config.sources.map((source) => {
      const path = source.path ?? fmt(_('Every subvolume of %s'), source.allSubvolumesOf ?? '');
      const size = source.path ? describeSize(this._sizes?.find((s) => s.path === source.path), this._sizing).text : '';
      const row = new Adw.ActionRow({ title: escapeMarkup(path), subtitle: escapeMarkup(size), subtitle_lines: 0 });
      const remove = new Gtk.Button({ icon_name: 'list-remove-symbolic', tooltip_text: fmt(_('Remove %s'), path), valign: Gtk.Align.CENTER, css_classes: ['flat'], sensitive: config.sources.length > 1 });
      remove.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Remove %s'), path)]);
      remove.connect('clicked', () => this._save((c) => ({ ...c, sources: c.sources.filter((x) => x.path !== source.path || x.allSubvolumesOf !== source.allSubvolumesOf) })));
      row.add_suffix(remove);
      this._sources.add(row);
      return row;
    });

    const policy: RetentionPolicy = config.retention?.destinations ?? { preset: 'time-machine' };
    this._preset.selected = Math.max(0, PRESETS.indexOf(policy.preset));
    for (const key of COUNTS) this._counts[key].spin.value = policy.preset === 'custom' ? (policy[key] ?? 0) : 0;
    this._syncRetentionRows();
    const notifications = { ...DEFAULT_NOTIFICATIONS, ...config.notifications };
    this._onSuccess.active = notifications.onSuccess;
    this._remindDays.value = notifications.remindAfterDays;
    this._lowSpace.value = notifications.lowSpacePercent;
    this._loading = false;
  }

  private _syncScheduleRows(): void {
    const auto = this._auto.active;
    const kind = FREQUENCIES[this._frequency.selected];
    this._frequency.sensitive = auto;
    this._day.visible = kind === 'weekly';
    this._timeRow.visible = kind !== 'hourly';
    this._day.sensitive = auto;
    this._timeRow.sensitive = auto;
  }

  private _syncRetentionRows(): void {
    const custom = PRESETS[this._preset.selected] === 'custom';
    for (const key of COUNTS) this._counts[key].row.visible = custom;
  }

  private _scheduleChanged(): void {
    this._syncScheduleRows();
    if (this._loading) return;
    const kind = FREQUENCIES[this._frequency.selected] ?? 'hourly';
    const at = `${String(this._hour.value).padStart(2, '0')}:${String(this._minute.value).padStart(2, '0')}`;
    const automatic: Schedule = kind === 'daily' ? { kind, at } : kind === 'weekly' ? { kind, day: WEEKDAYS[this._day.selected] ?? 'mon', at } : { kind };
    this._lastAutomatic = automatic;
    const schedule: Schedule = this._auto.active ? automatic : { kind: 'manual' };
    this._save((c) => ({ ...c, schedule }), true);
  }

  private _retentionChanged(): void {
    this._syncRetentionRows();
    if (this._loading) return;
    const preset = PRESETS[this._preset.selected] ?? 'time-machine';
    let policy: RetentionPolicy;
    if (preset === 'custom') {
      const counts: Partial<Record<Count, number>> = {};
      for (const key of COUNTS) if (this._counts[key].spin.value > 0) counts[key] = this._counts[key].spin.value;
      // A custom policy must keep something; start from the frugal counts.
      policy = Object.keys(counts).length > 0 ? { preset, ...counts } : { preset, keepWithinHours: 24, daily: 7, weekly: 4, monthly: 6 };
    } else {
      policy = { preset };
    }
    this._save((c) => ({ ...c, retention: { ...c.retention, destinations: policy } }), true);
  }

  private _confirmRemove(id: string, label: string): void {
    const dialog = new Adw.MessageDialog({
      transient_for: this,
      modal: true,
      heading: fmt(_('Remove “%s”?'), label),
      body: _('Rewind stops backing up there. The backups already on it are not deleted.'),
    });
    dialog.add_response('cancel', _('_Cancel'));
    dialog.add_response('remove', _('_Remove'));
    dialog.set_response_appearance('remove', Adw.ResponseAppearance.DESTRUCTIVE);
    dialog.connect('response', (_d, response: string) => {
      if (response === 'remove') this._save((c) => ({ ...c, destinations: c.destinations.filter((d) => d.id !== id) }));
    });
    dialog.present();
  }

  /** Saves a change; `later` waits until the user stops turning a spin button. */
  private _save(change: (config: Config) => Config, later = false): void {
    if (this._loading) return;
    if (this._saveTimer) GLib.source_remove(this._saveTimer);
    this._saveTimer = 0;
    const run = () => {
      editConfig(this._client, change).then(
        (config) => {
          this._config = config;
          this._show(config);
          this.add_toast(new Adw.Toast({ title: escapeMarkup(_('Saved')), timeout: 1 }));
        },
        (error: Error) => {
          this.add_toast(new Adw.Toast({ title: escapeMarkup(error.message), timeout: 0 }));
          if (this._config) this._show(this._config);
        },
      );
    };
    if (!later) {
      run();
      return;
    }
    this._saveTimer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, SAVE_DELAY_MS, () => {
      this._saveTimer = 0;
      run();
      return GLib.SOURCE_REMOVE;
    });
  }
}
