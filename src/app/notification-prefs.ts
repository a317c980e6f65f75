import Gio from 'gi://Gio';
import { BACKGROUND_REFUSED_KEY } from '../core/background-answer';
import { APP_ID } from '../core/ids';
import { DEFAULT_NOTIFICATIONS, NOTIFICATION_KEYS, type NotificationSettings } from '../core/notification-settings';

/**
 * The user's notification settings (src/core/notification-settings.ts) in
 * GSettings, schema `io.github.rewindbackup.Rewind`
 * (data/io.github.rewindbackup.Rewind.gschema.xml). Each user changes their
 * own, with no administrator; the monitor, the main page and Preferences
 * read them here and follow a change made anywhere (another window,
 * `gsettings set`).
 *
 * Without the schema installed (the app run from a build tree, without
 * GSETTINGS_SCHEMA_DIR pointing at the compiled schema), `new Gio.Settings`
 * would abort the process: the defaults are used instead, a change lasts
 * until the app quits, and one warning on stderr says so.
 */
export interface NotificationPrefs {
  /** False when the schema is not installed and nothing is kept. */
  readonly kept: boolean;
  get(): NotificationSettings;
  /** Saves the settings given; the others stay as they are. */
  set(wanted: Partial<NotificationSettings>): void;
  /** Calls `listener` after any change; returns what stops it. */
  onChanged(listener: () => void): () => void;
  /** Whether the user refused to let Rewind run in the background (the Background portal's answer, ./background-portal). */
  backgroundRefused(): boolean;
  setBackgroundRefused(refused: boolean): void;
}

class GSettingsPrefs implements NotificationPrefs {
  readonly kept = true;
  private readonly _settings: Gio.Settings;

  constructor(schema: Gio.SettingsSchema) {
    this._settings = new Gio.Settings({ settings_schema: schema });
  }

  get(): NotificationSettings {
    const s = this._settings;
    return {
      remindAfterDays: s.get_uint(NOTIFICATION_KEYS.remindAfterDays),
      lowSpacePercent: s.get_uint(NOTIFICATION_KEYS.lowSpacePercent),
      onSuccess: s.get_boolean(NOTIFICATION_KEYS.onSuccess),
    };
  }

  set(wanted: Partial<NotificationSettings>): void {
    const s = this._settings;
    // One change for the listeners and the backend, however many keys.
    s.delay();
    if (wanted.remindAfterDays !== undefined) s.set_uint(NOTIFICATION_KEYS.remindAfterDays, wanted.remindAfterDays);
    if (wanted.lowSpacePercent !== undefined) s.set_uint(NOTIFICATION_KEYS.lowSpacePercent, wanted.lowSpacePercent);
    if (wanted.onSuccess !== undefined) s.set_boolean(NOTIFICATION_KEYS.onSuccess, wanted.onSuccess);
    s.apply();
    // Written before it is said to be saved (the backend writes asynchronously).
    Gio.Settings.sync();
  }

  onChanged(listener: () => void): () => void {
    const id = this._settings.connect('changed', () => listener());
    return () => this._settings.disconnect(id);
  }

  backgroundRefused(): boolean {
    return this._settings.get_boolean(BACKGROUND_REFUSED_KEY);
  }

  setBackgroundRefused(refused: boolean): void {
    if (this.backgroundRefused() !== refused) this._settings.set_boolean(BACKGROUND_REFUSED_KEY, refused);
  }
}

class MemoryPrefs implements NotificationPrefs {
  readonly kept = false;
  private _values: NotificationSettings = { ...DEFAULT_NOTIFICATIONS };
  private _backgroundRefused = false;
  private readonly _listeners = new Set<() => void>();

  backgroundRefused(): boolean {
    return this._backgroundRefused;
  }

  setBackgroundRefused(refused: boolean): void {
    this._backgroundRefused = refused;
    for (const listener of [...this._listeners]) listener();
  }

  get(): NotificationSettings {
    return { ...this._values };
  }

  set(wanted: Partial<NotificationSettings>): void {
    this._values = { ...this._values, ...wanted };
    for (const listener of [...this._listeners]) listener();
  }

  onChanged(listener: () => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }
}

let prefs: NotificationPrefs | null = null;

export function notificationPrefs(): NotificationPrefs {
  if (prefs) return prefs;
  const schema = Gio.SettingsSchemaSource.get_default()?.lookup(APP_ID, true) ?? null;
  if (schema) {
    prefs = new GSettingsPrefs(schema);
  } else {
    printerr(`Rewind: the settings schema ${APP_ID} is not installed; notification settings are the defaults and are not kept. Install Rewind, or set GSETTINGS_SCHEMA_DIR to the folder with its compiled schema (dist/schemas after "npm run build").`);
    prefs = new MemoryPrefs();
  }
  return prefs;
}
