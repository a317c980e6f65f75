import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Conditions } from '../../core/conditions';
import type { Config, Source } from '../../core/config';
import { checkDestinationName, renameDestination, type NameProblem } from '../../core/destination-name';
import { pickNotificationSettings, type NotificationSettings } from '../../core/notification-settings';
import type { RetentionPolicy } from '../../core/retention-policy';
import type { Schedule } from '../../core/schedule';
import { editConfig, failureMessage } from '../config-edit';
import type { Failure, HelperClient } from '../helper-client';
import { _ } from '../i18n';
import { notificationPrefs } from '../notification-prefs';
import { trace } from '../trace';
import { parseSchedule } from '../setup/setup-types';

export const PRESETS = ['time-machine', 'frugal', 'keep-all', 'custom'] as const;
export const COUNTS = ['keepWithinHours', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type Count = (typeof COUNTS)[number];
const SAVE_DELAY_MS = 700;

/** A retention policy from a preset and, for a custom one, its counts (0: not kept by that rule). */
export function retentionPolicy(preset: (typeof PRESETS)[number], counts: Partial<Record<Count, number>>): RetentionPolicy {
  if (preset !== 'custom') return { preset };
  const kept = Object.fromEntries(COUNTS.filter((key) => (counts[key] ?? 0) > 0).map((key) => [key, counts[key]]));
  // A custom policy must keep something; start from the frugal counts.
  return Object.keys(kept).length > 0 ? { preset, ...kept } : { preset, keepWithinHours: 24, daily: 7, weekly: 4, monthly: 6 };
}

/**
 * Preferences: the configuration from GetConfig, and every change saved with
 * SetConfig at once (`later`: a moment after the last one, while spin
 * buttons turn). The notification settings are not the configuration's:
 * they are the user's own, in GSettings (../notification-prefs), saved at
 * once without the helper, so no administrator is asked for them.
 *
 * Its `prefs` action group makes the same changes a person makes (tests
 * activate them over org.gtk.Actions): prefs.schedule (JSON schedule as the
 * config spells it), prefs.retention (a preset name, or JSON of custom
 * counts), prefs.local-retention (time-machine, frugal or keep-all: the
 * copies kept on this computer), prefs.destination-retention ("ID=PRESET":
 * time-machine, frugal or keep-all; "ID=default": like the others), prefs.enable-destination ("ID=true" or "ID=false"),
 * prefs.rename-destination ("ID=New name"), prefs.ask-rename ("ID": the
 * rename dialog), prefs.notifications (JSON of some of the notification settings),
 * prefs.conditions (JSON of some of postponeOnBattery, postponeOnMetered).
 */
export class PreferencesModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindPreferencesModel',
        Signals: {
          // The configuration changed: the pages show it again.
          changed: {},
          // A short message, and how many seconds it stays (0: until dismissed).
          toast: { param_types: [GObject.TYPE_STRING, GObject.TYPE_INT] },
          // The user asked to rename the destination of this id: the page asks for the name.
          'ask-rename': { param_types: [GObject.TYPE_STRING] },
          // The user's notification settings changed, here or anywhere else.
          'notifications-changed': {},
        },
      },
      this,
    );
  }

  readonly actions = new Gio.SimpleActionGroup();
  config: Config | null = null;
  /** The automatic schedule shown while backups are manual: the last one the configuration had. */
  lastAutomatic: Exclude<Schedule, { kind: 'manual' }> = { kind: 'hourly' };
  private _client: HelperClient;
  private _saveTimer = 0;
  private _pending: ((config: Config) => Config) | null = null;
  private _statusChanged: number;
  private _stopNotifications: () => void;

  constructor(client: HelperClient) {
    super();
    this._client = client;
    this._statusChanged = client.connect('notify::status', () => void this.load());
    this._stopNotifications = notificationPrefs().onChanged(() => this.emit('notifications-changed'));
    const add = (name: string, activate: (value: string) => void) => {
      const action = new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType('s') });
      action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
      this.actions.add_action(action);
    };
    add('schedule', (json) => {
      const schedule = parseSchedule(json);
      if (schedule) this.setSchedule(schedule);
    });
    add('retention', (value) => {
      const preset = PRESETS.find((p) => p === value && p !== 'custom');
      const counts = preset ? {} : (parseJson(value) as Partial<Record<Count, number>> | undefined);
      if (preset || counts) this.setRetention(retentionPolicy(preset ?? 'custom', counts ?? {}));
    });
    add('destination-retention', (value) => {
      const at = value.lastIndexOf('=');
      const [id, preset] = [value.slice(0, at), value.slice(at + 1)];
      if (at <= 0 || !['default', 'time-machine', 'frugal', 'keep-all'].includes(preset)) return;
      this.setDestinationRetention(id, preset === 'default' ? undefined : retentionPolicy(preset as (typeof PRESETS)[number], {}));
    });
    add('local-retention', (preset) => {
      if (['time-machine', 'frugal', 'keep-all'].includes(preset)) this.setLocalRetention(retentionPolicy(preset as (typeof PRESETS)[number], {}));
    });
    add('notifications', (json) => this.setNotifications(pickNotificationSettings(parseJson(json))));
    add('conditions', (json) => {
      const wanted = parseJson(json) as Partial<Conditions> | undefined;
      if (wanted) this.setConditions({ ...this.conditions, ...wanted });
    });
    add('enable-destination', (value) => {
      const [id, on] = value.split('=');
      this.enableDestination(id, on === 'true');
    });
    add('ask-rename', (id) => {
      if (this.config?.destinations.some((d) => d.id === id)) this.emit('ask-rename', id);
    });
    add('rename-destination', (value) => {
      const at = value.indexOf('=');
      const problem = at > 0 ? this.renameDestination(value.slice(0, at), value.slice(at + 1)) : undefined;
      if (problem) this.emit('toast', problem, 5);
    });
  }

  /** Stops listening and drops a change not saved yet (the window closed). */
  close(): void {
    if (this._saveTimer) GLib.source_remove(this._saveTimer);
    this._saveTimer = 0;
    this._client.disconnect(this._statusChanged);
    this._stopNotifications();
  }

  /** When backups wait (the configuration's `conditions`; its defaults when it has none). */
  get conditions(): Conditions {
    return { postponeOnBattery: false, postponeOnMetered: true, ...this.config?.conditions };
  }

  setConditions(conditions: Conditions): void {
    this._save((c) => ({ ...c, conditions }));
  }

  /** The user's notification settings (GSettings), whatever the configuration says. */
  get notifications(): NotificationSettings {
    return notificationPrefs().get();
  }

  async load(): Promise<void> {
    try {
      this._show(await this._client.callJson('GetConfig'));
    } catch (e) {
      this.emit('toast', failureMessage(e as Failure), 5);
    }
  }

  setSchedule(schedule: Schedule): void {
    if (schedule.kind !== 'manual') this.lastAutomatic = schedule;
    this._save((c) => ({ ...c, schedule }), true);
  }

  setRetention(policy: RetentionPolicy): void {
    this._save((c) => ({ ...c, retention: { ...c.retention, destinations: policy } }), true);
  }

  /** How long the copies kept on this computer (local snapshots) stay. */
  setLocalRetention(policy: RetentionPolicy): void {
    this._save((c) => ({ ...c, retention: { ...c.retention, local: policy } }), true);
  }

  /** A destination's own retention; undefined: it keeps its backups like the others (retention.destinations). */
  setDestinationRetention(id: string, policy: RetentionPolicy | undefined): void {
    if (!this.config?.destinations.some((d) => d.id === id)) return;
    const own = (d: Config['destinations'][number]) => {
      const rest = { ...d };
      delete rest.retention;
      return policy ? { ...rest, retention: policy } : rest;
    };
    this._save((c) => ({ ...c, destinations: c.destinations.map((d) => (d.id === id ? own(d) : d)) }));
  }

  /** Saves some of the user's notification settings at once; no helper call, no administrator. */
  setNotifications(wanted: Partial<NotificationSettings>): void {
    if (Object.keys(wanted).length === 0) return;
    notificationPrefs().set(wanted);
    trace(`notifications saved ${JSON.stringify(this.notifications)}`);
  }

  enableDestination(id: string, enabled: boolean): void {
    if (!this.config?.destinations.some((d) => d.id === id)) return;
    this._save((c) => ({ ...c, destinations: c.destinations.map((x) => (x.id === id ? { ...x, enabled } : x)) }));
  }

  /** Renames a destination; undefined, or why the name cannot be used (nothing is saved then). */
  renameDestination(id: string, name: string): string | undefined {
    const destinations = this.config?.destinations ?? [];
    if (!destinations.some((d) => d.id === id)) return undefined;
    const problem = checkDestinationName(name, id, destinations);
    if (problem) return nameProblem(problem);
    this._save((c) => renameDestination(c, id, name));
    return undefined;
  }

  removeDestination(id: string): void {
    this._save((c) => ({ ...c, destinations: c.destinations.filter((d) => d.id !== id) }));
  }

  /** What to back up (the What to Back Up page): the sources and the folders left out, saved when they changed. */
  setSources(sources: Source[], exclude: string[]): void {
    const config = this.config;
    if (!config || (JSON.stringify(config.sources) === JSON.stringify(sources) && JSON.stringify(config.exclude ?? []) === JSON.stringify(exclude))) return;
    this._save((c) => ({ ...c, sources, ...(exclude.length > 0 || c.exclude ? { exclude } : {}) }));
  }

  private _show(config: Config): void {
    this.config = config;
    if (config.schedule.kind !== 'manual') this.lastAutomatic = config.schedule;
    this.emit('changed');
  }

  /** Saves a change; `later` waits until the user stops turning a spin button. Changes waiting are saved together. */
  private _save(change: (config: Config) => Config, later = false): void {
    if (!this.config) return;
    if (this._saveTimer) GLib.source_remove(this._saveTimer);
    this._saveTimer = 0;
    const before = this._pending;
    this._pending = before ? (c) => change(before(c)) : change;
    if (!later) {
      this._run();
      return;
    }
    this._saveTimer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, SAVE_DELAY_MS, () => {
      this._saveTimer = 0;
      this._run();
      return GLib.SOURCE_REMOVE;
    });
  }

  private _run(): void {
    const change = this._pending;
    this._pending = null;
    if (!change) return;
    editConfig(this._client, change).then(
      (config) => {
        this._show(config);
        this.emit('toast', _('Saved'), 1);
      },
      (error: Error) => {
        this.emit('toast', error.message, 0);
        if (this.config) this._show(this.config);
      },
    );
  }
}

/** Why a name cannot be a destination's, in words. */
export function nameProblem(problem: NameProblem): string {
  switch (problem) {
    case 'empty':
      return _('Enter a name.');
    case 'too-long':
      return _('The name is too long.');
    case 'control-characters':
      return _('The name cannot contain line breaks or tabs.');
    case 'taken':
      return _('Another destination already has this name.');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
