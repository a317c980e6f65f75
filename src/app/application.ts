import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { APP_ID } from '../core/ids';
import { showAbout } from './compat';
import { HelperClient } from './helper-client';
import { _ } from './i18n';
import { shortcutGroups } from './shortcuts-window';
import { SshSetupDialog } from './ssh-setup-dialog';
import { SshSetupFlow } from './ssh-setup';
import { RewindWindow } from './window';

/**
 * The application owns the model (HelperClient) and the actions; widgets only
 * name actions, so app.back-up-now activated over D-Bus (org.gtk.Actions) is
 * the same as the button.
 */
export class RewindApplication extends Adw.Application {
  static {
    GObject.registerClass({ GTypeName: 'RewindApplication' }, this);
  }

  private _client: HelperClient | null = null;
  private _sshFlow: SshSetupFlow | null = null;
  private _sshDialog: SshSetupDialog | null = null;

  constructor() {
    super({ application_id: APP_ID, flags: Gio.ApplicationFlags.DEFAULT_FLAGS });
  }

  override vfunc_startup(): void {
    super.vfunc_startup();
    const client = new HelperClient();
    this._client = client;

    const backUpNow = new Gio.SimpleAction({ name: 'back-up-now', enabled: false });
    backUpNow.connect('activate', () => void client.backUpNow());
    client.bind_property('can-back-up', backUpNow, 'enabled', GObject.BindingFlags.SYNC_CREATE);
    this._addAction(backUpNow);
    this._addAction('refresh', () => void client.refresh());
    this._sshFlow = new SshSetupFlow(client, this);
    this._addAction('add-ssh-destination', () => this._addSshDestination());
    this._addAction('about', () => this._about());
    this._addAction('quit', () => this.quit());

    for (const group of shortcutGroups()) {
      for (const shortcut of group.shortcuts) this.set_accels_for_action(shortcut.action, shortcut.accels);
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
    const parent = this.active_window;
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

  private _about(): void {
    const parent = this.active_window;
    if (!parent) return;
    showAbout(parent, {
      application_name: _('Rewind'),
      application_icon: APP_ID,
      developer_name: _('The Rewind developers'),
      license_type: Gtk.License.GPL_3_0,
      comments: _('Back up your files with btrfs snapshots, and get them back from any point in time.'),
    });
  }
}
