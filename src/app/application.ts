import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { APP_ID, ISSUES_URL, REWIND_VERSION, WEBSITE_URL } from '../core/ids';
import type { Destination } from '../core/config';
import { showAbout, showAlert } from './compat';
import { addDestination } from './config-edit';
import { HelperClient } from './helper-client';
import { _ } from './i18n';
import { askForFolder } from './folder-dialog';
import { installMonitor, type MonitorHandle } from './monitor';
import { shortcutGroups } from './shortcuts-window';
import { SshSetupDialog } from './ssh-setup/ssh-setup-dialog';
import { SshSetupFlow } from './ssh-setup/ssh-setup-flow';
import { PreferencesWindow } from './preferences/preferences-window';
import { HistoryWindow } from './history-window';
import { RestorePointsWindow } from './restore-points-window';
import { RecoveryWindow } from './recovery/recovery-window';
import { RecoveryKeyWindow } from './recovery-key-window';
import { addRestoreBrowserActions } from './restore-browser/browser-actions';
import { SetupDialog } from './setup/setup-dialog';
import { SetupFlow } from './setup/setup-flow';
import type { SetupMode } from './setup/setup-types';
import { exportActionGroup } from './action-groups';
import { RewindWindow } from './window';
import { trace } from './trace';
import { visibleTexts } from './screen-texts';
import { backupCheckFor } from './backup-check';

/**
 * The application owns the model (HelperClient) and the actions; widgets only
 * name actions, so app.back-up-now activated over D-Bus (org.gtk.Actions) is
 * the same as the button.
 *
 * It is D-Bus activatable (the desktop entry's DBusActivatable=true and the
 * session service file data/io.github.rewindbackup.Rewind.service.in, which
 * runs `rewind --gapplication-service`): GNOME Shell activates the launcher
 * and a notification's actions (app.open, app.back-up-now) through
 * org.freedesktop.Application, and the session bus starts Rewind first when
 * none runs. GApplication handles --gapplication-service itself: it registers
 * and waits for the call, without opening a window of its own.
 */
export class RewindApplication extends Adw.Application {
  static {
    GObject.registerClass({ GTypeName: 'RewindApplication' }, this);
  }

  private _client: HelperClient | null = null;
  private _sshFlow: SshSetupFlow | null = null;
  private _sshDialog: SshSetupDialog | null = null;
  private _setupFlow: SetupFlow | null = null;
  private _setupDialog: SetupDialog | null = null;
  private _preferences: PreferencesWindow | null = null;
  private readonly _monitor: MonitorHandle;

  constructor() {
    super({ application_id: APP_ID, flags: Gio.ApplicationFlags.DEFAULT_FLAGS });
    this._monitor = installMonitor(this, () => this._client);
  }

  override vfunc_startup(): void {
    super.vfunc_startup();
    const client = new HelperClient();
    this._client = client;

    // Enabled before the first status too, so that a notification's Back Up Now that started Rewind is not lost.
    const backUpNow = new Gio.SimpleAction({ name: 'back-up-now', enabled: true });
    backUpNow.connect('activate', () => void this._backUpNow());
    const enableBackUpNow = () => (backUpNow.enabled = client.can_back_up || client.state === 'loading');
    client.connect('notify::can-back-up', enableBackUpNow);
    enableBackUpNow();
    this._addAction(backUpNow);
    const cancel = new Gio.SimpleAction({ name: 'cancel-backup', enabled: false });
    cancel.connect('activate', () => void this._cancel());
    client.connect('notify::state', () => (cancel.enabled = client.state === 'running'));
    this._addAction(cancel);
    this._addAction('refresh', () => void client.refresh());
    this._addAction(backupCheckFor(client).action);
    // Test hook: prints every text on screen, for the tests that check their words (./screen-texts).
    this._addAction('trace-texts', () => trace(`texts ${JSON.stringify(visibleTexts())}`));
    this._sshFlow = new SshSetupFlow(client);
    exportActionGroup(this, 'ssh', this._sshFlow.actions);
    this._addAction('add-ssh-destination', () => this._addSshDestination());
    this._setupFlow = new SetupFlow(client);
    exportActionGroup(this, 'setup', this._setupFlow.actions);
    this._setupFlow.connect('add-server', () => this._addSshDestination());
    this._setupFlow.connect('pick-folder', () => this._pickFolder());
    this._setupFlow.connect('saved', () => {
      this._setupDialog?.close();
      this._showRecoveryKeys(this._setupFlow?.newKeys ?? []);
      // "Start Backups" means it: the first backup runs now, and the main page follows it.
      if (this._setupFlow?.mode === 'first-run') void this._firstBackup();
    });
    this._sshFlow.connect('use-destination', (_f, json: string) => void this._useServer(json));
    this._addAction('setup', () => this._setup('first-run'));
    this._addAction('add-destination', () => this._setup('add-destination'));
    this._addAction('restore-points', () => this._restorePoints());
    this._addAction('recover', () => this._recover());
    addRestoreBrowserActions(this, client);
    this._addAction('history', () => this._history());
    this._addAction('preferences', () => this._showPreferences());
    this._addAction('about', () => this._about());
    this._addAction('quit', () => this.quit());

    for (const group of shortcutGroups()) {
      for (const shortcut of group.shortcuts) if (!shortcut.windowOnly) this.set_accels_for_action(shortcut.action, shortcut.accels);
    }
  }

  override vfunc_activate(): void {
    const client = this._client;
    if (!client) return;
    const window = this.active_window ?? new RewindWindow(this, client);
    window.present();
    void client.refresh();
  }

  private _addAction(action: Gio.SimpleAction): void;
  private _addAction(name: string, activate: () => void): void;
  private _addAction(action: Gio.SimpleAction | string, activate?: () => void): void {
    if (typeof action === 'string') {
      const name = action;
      action = new Gio.SimpleAction({ name });
      if (activate) action.connect('activate', activate);
    }
    this.add_action(action);
  }

  /** Opens the "Add Backup Server" dialog, or brings the open one forward. */
  private _addSshDestination(): void {
    const parent = this._setupDialog ?? this._preferences ?? this.active_window;
    if (!parent || !this._sshFlow) return;
    if (!this._sshDialog) {
      this._sshFlow.reset();
      const dialog = new SshSetupDialog(parent, this._sshFlow);
      dialog.connect('close-request', () => {
        if (this._sshDialog === dialog) this._sshDialog = null;
        return false;
      });
      this._sshDialog = dialog;
    }
    this._sshDialog.present();
  }

  private _setup(mode: SetupMode): void {
    const parent = this._preferences ?? this.active_window;
    const flow = this._setupFlow;
    if (!parent || !flow) return;
    if (this._setupDialog) {
      this._setupDialog.present();
      return;
    }
    void flow.start(mode);
    const dialog = new SetupDialog(parent, flow);
    flow.active = true;
    dialog.connect('close-request', () => {
      if (this._setupDialog === dialog) this._setupDialog = null;
      flow.active = false;
      return false;
    });
    this._setupDialog = dialog;
    dialog.present();
  }

  /**
   * Back Up Now, from the window or a notification. With no window and no
   * monitor to follow it (Rewind was started for this action), the window
   * opens and shows the backup; the first status comes before the backup.
   */
  private async _backUpNow(): Promise<void> {
    const client = this._client;
    if (!client) return;
    if (!this.active_window && !this._monitor.running) {
      trace('back-up-now opens the window');
      this.activate();
    }
    await client.loaded();
    await client.backUpNow();
  }

  /** After setup: the status with the new configuration first (Back Up Now needs it), then the backup. */
  private async _firstBackup(): Promise<void> {
    const client = this._client;
    if (!client) return;
    await client.refresh();
    await client.backUpNow();
  }

  private _pickFolder(): void {
    const parent = this._setupDialog;
    if (!parent) return;
    askForFolder(parent, { title: _('Choose a Folder for Backups'), acceptLabel: _('_Select'), traceAs: 'setup choosing a folder' }, (path) => this._setupFlow?.chooseFolder(path));
  }

  /**
   * The Add Backup Server dialog ended with a trusted server: during setup it
   * becomes the setup's destination; otherwise it is added to the configuration.
   */
  private async _useServer(json: string): Promise<void> {
    const flow = this._setupFlow;
    const destination = JSON.parse(json) as Destination;
    this._sshDialog?.close();
    if (!flow) return;
    if (flow.active) {
      flow.useDestination(destination, destination.label ?? destination.id);
      return;
    }
    const { problem, newKeys } = await addDestination(this._client!, destination);
    trace(problem ? `ssh add failed ${problem}` : 'ssh added to config');
    if (problem && this.active_window) showAlert(this.active_window, _('Could not add the backup server'), problem, _('_Close'));
    this._showRecoveryKeys(newKeys);
    void this._client?.refresh();
  }

  /** The recovery key of each encrypted destination just added, shown once (its `key` actions exported while open). */
  private _showRecoveryKeys(keys: ReadonlyArray<{ name: string; recoveryKey: string }>): void {
    for (const key of keys) {
      const window = new RecoveryKeyWindow(this.active_window, key.name, key.recoveryKey);
      const unexport = exportActionGroup(this, 'key', window.actions);
      window.connect('close-request', () => {
        unexport();
        return false;
      });
      window.present();
    }
  }

  /** Restore from a Backup with no configuration (the welcome page); its `recover` actions are exported while it is open. */
  private _recover(): void {
    const parent = this.active_window;
    if (!parent || !this._client) return;
    const window = new RecoveryWindow(parent, this._client);
    const unexport = exportActionGroup(this, 'recover', window.actions);
    window.connect('close-request', () => {
      unexport();
      return false;
    });
    window.present();
  }

  private _restorePoints(): void {
    const parent = this.active_window;
    if (parent && this._client) new RestorePointsWindow(parent, this._client).present();
  }

  private _history(): void {
    const parent = this.get_windows().find((w) => w instanceof RewindWindow);
    if (parent && this._client) new HistoryWindow(parent, this._client).present();
  }

  private _showPreferences(): void {
    const parent = this.get_windows().find((w) => w instanceof RewindWindow);
    if (!parent || !this._client) return;
    if (!this._preferences) {
      const prefs = new PreferencesWindow(parent, this._client);
      prefs.connect('close-request', () => {
        if (this._preferences === prefs) this._preferences = null;
        return false;
      });
      this._preferences = prefs;
    }
    this._preferences.present();
  }

  private async _cancel(): Promise<void> {
    const message = await this._client?.cancelBackup();
    const window = this.get_windows().find((w) => w instanceof RewindWindow);
    if (message && window instanceof RewindWindow) window.toast(message);
  }

  private _about(): void {
    const parent = this.active_window;
    if (!parent) return;
    const info = {
      application_name: _('Rewind'),
      application_icon: APP_ID,
      developer_name: _('The Rewind developers'),
      version: REWIND_VERSION,
      website: WEBSITE_URL,
      issue_url: ISSUES_URL,
      license_type: Gtk.License.GPL_3_0,
      comments: _('Back up your files, and get them back from any point in time.'),
    };
    showAbout(parent, info);
    trace(`about ${JSON.stringify({ version: info.version, website: info.website, issues: info.issue_url })}`);
  }
}
