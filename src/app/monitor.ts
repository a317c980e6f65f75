import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type Gtk from 'gi://Gtk?version=4.0';
import { afterRestart, decideNotifications, EMPTY_MONITOR_STATE, type MonitorState } from '../core/monitor-rules';
import { requestBackground } from './background-portal';
import type { HelperClient } from './helper-client';
import { _ } from './i18n';
import { buildNotification } from './monitor-notification';
import { notificationPrefs } from './notification-prefs';
import { primaryAction } from './primary-action';
import { trace } from './trace';
import { watchDisks } from './disk-watch';

/**
 * `rewind --monitor`: the background half of the app (docs/monitor.md).
 *
 * It runs inside the primary instance of the application, held without a
 * window, rather than as a process of its own: GApplication allows one
 * primary per app id, notification actions (app.open, app.back-up-now) are
 * delivered to that primary, and opening Rewind from a notification or the
 * launcher then shows the window in the same process, next to the monitor.
 * So `rewind --monitor` registers and asks the primary to run the monitor
 * (itself, or an instance already running), and exits when that is another
 * process; `rewind` while the monitor runs opens the window there. Quit then
 * closes the windows and leaves the monitor running. When no Rewind runs, the
 * session bus starts one for a notification's action (D-Bus activation,
 * data/io.github.rewindbackup.Rewind.service.in), which opens the window.
 *
 * The helper is D-Bus activated and exits when idle, so the monitor asks for
 * its status every few minutes (REWIND_MONITOR_INTERVAL_SECONDS, default 300;
 * tests set it low), sooner when a disk is plugged in, a job completes, the
 * computer is plugged in or unplugged (UPower's OnBattery) or the network
 * becomes metered or not (GNetworkMonitor), and decides from every status it
 * sees, whoever asked for it. Those signals only say "ask again": what a
 * scheduled run waits for is the helper's to read and decide, in the status.
 */

const DEFAULT_INTERVAL_SECONDS = 300;
// A disk just plugged in may not be known to blkid at once; a charger's or network's change comes in several signals.
const DEVICE_SETTLE_SECONDS = 2;

const UPOWER = { name: 'org.freedesktop.UPower', path: '/org/freedesktop/UPower' };

function stateFile(): string {
  return GLib.build_filenamev([GLib.get_user_state_dir(), 'rewind', 'monitor.json']);
}

function loadState(): MonitorState {
  try {
    const [, bytes] = GLib.file_get_contents(stateFile());
    return { ...EMPTY_MONITOR_STATE, ...(JSON.parse(new TextDecoder().decode(bytes)) as Partial<MonitorState>) };
  } catch {
    // None yet, or unreadable: start afresh; at worst a notification repeats.
    return EMPTY_MONITOR_STATE;
  }
}

function saveState(state: MonitorState): void {
  try {
    GLib.mkdir_with_parents(GLib.path_get_dirname(stateFile()), 0o700);
    GLib.file_set_contents(stateFile(), JSON.stringify(state));
  } catch (e) {
    trace(`monitor cannot save its state: ${(e as Error).message}`);
  }
}

function intervalSeconds(): number {
  const value = Number(GLib.getenv('REWIND_MONITOR_INTERVAL_SECONDS'));
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_INTERVAL_SECONDS;
}

class Monitor {
  private _state = afterRestart(loadState());
  private _soon = 0;

  constructor(
    private readonly _app: Gio.Application,
    private readonly _client: HelperClient,
  ) {}

  start(): void {
    this._app.hold();
    requestBackground();
    this._client.connect('notify::status', () => this._decide());
    // The user's notification settings (GSettings): a change applies to the status at hand.
    notificationPrefs().onChanged(() => this._decide());
    GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, intervalSeconds(), () => {
      void this._client.refresh();
      return GLib.SOURCE_CONTINUE;
    });
    // A backup disk plugged in or taken out: the status says so at once. Watched for as long as the monitor runs.
    watchDisks(() => this._refreshSoon());
    // A postponed run runs as soon as its reason ends (src/core/monitor-rules.ts, rule 8).
    Gio.NetworkMonitor.get_default().connect('notify::network-metered', () => this._refreshSoon());
    this._watchPower();
    trace('monitor started');
    void this._client.refresh();
  }

  /** One status read a moment after a burst of events. */
  private _refreshSoon(): void {
    if (this._soon) return;
    this._soon = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, DEVICE_SETTLE_SECONDS, () => {
      this._soon = 0;
      void this._client.refresh();
      return GLib.SOURCE_REMOVE;
    });
  }

  /** UPower's PropertiesChanged (OnBattery among them); nothing arrives where UPower does not run. */
  private _watchPower(): void {
    try {
      const bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, null);
      bus.signal_subscribe(UPOWER.name, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', UPOWER.path, null, Gio.DBusSignalFlags.NONE, () => this._refreshSoon());
    } catch (e) {
      trace(`monitor cannot watch the power supply: ${(e as Error).message}`);
    }
  }

  private _decide(): void {
    const status = this._client.status;
    if (!status) return;
    const decision = decideNotifications(this._state, status, new Date(), notificationPrefs().get());
    for (const id of decision.withdraw) {
      this._app.withdraw_notification(id);
      trace(`monitor withdraw ${id}`);
    }
    for (const notification of decision.show) {
      this._app.send_notification(notification.id, buildNotification(notification));
      trace(`monitor show ${notification.id}`);
    }
    this._state = decision.state;
    saveState(this._state);
    if (decision.startScheduled) {
      trace('monitor start scheduled backup');
      void this._client.startScheduledBackup();
    }
  }
}

/** Whether this process watches backups in the background (`--monitor` or app.monitor). */
export interface MonitorHandle {
  readonly running: boolean;
}

/**
 * Adds `--monitor` and the app.open and app.monitor actions to the
 * application. `client` gives the application's helper model once it started.
 */
export function installMonitor(app: Gtk.Application, client: () => HelperClient | null): MonitorHandle {
  let monitor: Monitor | null = null;
  const inPrimary = primaryAction(app);
  app.add_main_option('monitor', 0, GLib.OptionFlags.NONE, GLib.OptionArg.NONE, _('Watch backups in the background and tell when something needs attention'), null);

  app.connect('handle-local-options', (_app, options: GLib.VariantDict) => {
    if (!options.contains('monitor')) return -1;
    return inPrimary('monitor', null);
  });

  app.connect('startup', () => {
    const start = new Gio.SimpleAction({ name: 'monitor' });
    start.connect('activate', () => {
      const model = client();
      if (monitor || !model) return;
      monitor = new Monitor(app, model);
      monitor.start();
      // While the monitor runs, Quit closes the windows only.
      app.remove_action('quit');
      const quit = new Gio.SimpleAction({ name: 'quit' });
      quit.connect('activate', () => {
        for (const window of app.get_windows()) window.close();
      });
      app.add_action(quit);
    });
    app.add_action(start);
    const open = new Gio.SimpleAction({ name: 'open' });
    open.connect('activate', () => app.activate());
    app.add_action(open);
    // In a Flatpak, ask once the app runs at all, so the monitor starts at the next login.
    requestBackground();
  });
  return {
    get running() {
      return monitor !== null;
    },
  };
}
