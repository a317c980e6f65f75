import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { BackupPage } from './backup-page';
import { showAlert } from './compat';
import { watchDisks } from './disk-watch';
import { escapeMarkup } from './format';
import type { HelperClient } from './helper-client';
import { _ } from './i18n';
import { MessagePage } from './message-page';
import { newShortcutsWindow } from './shortcuts-window';
import { WelcomePage } from './welcome-page';
import { otherVersionWords } from './version-words';
import { REWIND_VERSION } from '../core/ids';
import { trace } from './trace';
import { screenMessage } from './error-text';

const INSTALL_COMMAND = 'sudo dnf install rewind-helper';
/** Long enough to read a heading and reach its Details button; the page keeps saying it after. */
const TOAST_SECONDS = 10;

function helperMissingText(): string {
  const missing = _('The Rewind helper (rewind-helper) is not installed, or it could not start. Rewind needs it to make backups.');
  if (GLib.file_test('/.flatpak-info', GLib.FileTest.EXISTS)) {
    return `${missing}\n\n${_('Rewind runs as a Flatpak, so the helper must be installed on the host system, outside the Flatpak. Install the rewind-helper package there, for example with:')}`;
  }
  return `${missing}\n\n${_('Install the rewind-helper package, for example with:')}`;
}

/** The main window: one page per state of the helper, toasts for outcomes. */
export class RewindWindow extends Adw.ApplicationWindow {
  static {
    GObject.registerClass({ GTypeName: 'RewindWindow' }, this);
  }

  private _client!: HelperClient;
  private _stack!: Gtk.Stack;
  private _toasts!: Adw.ToastOverlay;
  private _welcome!: WelcomePage;
  private _shownPage = '';
  private _error!: MessagePage;
  private _otherVersion!: MessagePage;

  constructor(application: Adw.Application, client: HelperClient) {
    super({ application, title: _('Rewind'), default_width: 600, default_height: 680, width_request: 360, height_request: 400 });
    this._client = client;
    this.set_help_overlay(newShortcutsWindow());

    const menu = new Gio.Menu();
    const section = new Gio.Menu();
    section.append(_('_Restore Points'), 'app.restore-points');
    section.append(_('Backup _History'), 'app.history');
    section.append(_('_Check Backups Now'), 'app.check-backups');
    section.append(_('_Add Backup Server…'), 'app.add-ssh-destination');
    section.append(_('_Preferences'), 'app.preferences');
    menu.append_section(null, section);
    const about = new Gio.Menu();
    about.append(_('_Keyboard Shortcuts'), 'win.show-help-overlay');
    about.append(_('_About Rewind'), 'app.about');
    menu.append_section(null, about);
    const menuButton = new Gtk.MenuButton({
      icon_name: 'open-menu-symbolic',
      menu_model: menu,
      primary: true,
      tooltip_text: _('Main Menu'),
    });
    menuButton.update_property([Gtk.AccessibleProperty.LABEL], [_('Main Menu')]);
    const header = new Adw.HeaderBar();
    header.pack_end(menuButton);

    this._stack = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.CROSSFADE, vexpand: true });
    const spinner = new Gtk.Spinner({ spinning: true, width_request: 32, height_request: 32, halign: Gtk.Align.CENTER, valign: Gtk.Align.CENTER });
    spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Loading')]);
    this._stack.add_named(spinner, 'loading');
    this._stack.add_named(
      new MessagePage({
        iconName: 'system-software-install-symbolic',
        title: _('Backup helper not available'),
        description: escapeMarkup(helperMissingText()),
        code: INSTALL_COMMAND,
        buttonLabel: _('Try Again'),
        actionName: 'app.refresh',
      }),
      'unreachable',
    );
    this._stack.add_named(
      new MessagePage({
        iconName: 'changes-prevent-symbolic',
        title: _('Not allowed to back up'),
        description: escapeMarkup(_('The system’s policy does not allow this account to run backups. Ask an administrator to allow it.')),
        buttonLabel: _('Try Again'),
        actionName: 'app.refresh',
      }),
      'not-authorised',
    );
    this._otherVersion = new MessagePage({
      iconName: 'software-update-available-symbolic',
      title: '',
      description: '',
      buttonLabel: _('Try Again'),
      actionName: 'app.refresh',
    });
    this._stack.add_named(this._otherVersion, 'other-version');
    this._welcome = new WelcomePage();
    this._stack.add_named(this._welcome, 'not-configured');
    this._error = new MessagePage({
      iconName: 'dialog-error-symbolic',
      title: _('Could not read the backup status'),
      description: '',
      buttonLabel: _('Try Again'),
      actionName: 'app.refresh',
    });
    this._stack.add_named(this._error, 'error');
    this._stack.add_named(new BackupPage(client), 'ready');

    this._toasts = new Adw.ToastOverlay({ child: this._stack });
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._toasts);
    this.set_content(content);

    for (const property of ['state', 'status', 'error-message']) {
      client.connect(`notify::${property}`, () => this._sync());
    }
    client.connect('backup-finished', (_c, ok: boolean, message: string) => {
      // A backup the user cancelled ends silently.
      if (!ok && client.last_result?.code === 'Cancelled') this.toast(_('Backup cancelled'));
      // What was removed for room is said where it stays to be read: the main page's run and the history.
      else if (ok && client.last_result?.spaceFreed) this._toastWithDetails(_('Backup finished; older copies removed for space'), 'app.history');
      else if (ok) this.toast(_('Backup finished'));
      // No destination was there: nothing failed, and nothing was backed up.
      else if (client.last_result?.skipped) this._alert(_('Nothing was backed up'), message);
      else this._alert(_('Backup failed'), message);
    });
    client.connect('backup-refused', (_c, message: string) => this._alert(_('Could not start the backup'), message));
    // A backup disk plugged in or taken out: the page says so without a Refresh item (the monitor, when it runs, does the same).
    const stopWatching = watchDisks(() => void client.refresh());
    this.connect('close-request', () => {
      stopWatching();
      return false;
    });
    // For the start-up benchmark (bench/app-startup.mjs) and tests: the window is on screen.
    const mapped = this.connect('map', () => {
      this.disconnect(mapped);
      trace('window mapped');
    });
    this._sync();
  }

  private _sync(): void {
    const state = this._client.state;
    this._stack.visible_child_name = state === 'running' ? 'ready' : state;
    this._error.description = escapeMarkup(this._client.error_message);
    const agreement = this._client.version_agreement;
    if (state === 'other-version' && agreement !== 'same') {
      const words = otherVersionWords(agreement, REWIND_VERSION, this._client.helper_version);
      this._otherVersion.title = words.title;
      this._otherVersion.description = escapeMarkup(words.description);
      this._otherVersion.code = words.command;
    }
    const configError = this._client.status?.configError;
    this._welcome.problem = configError ? screenMessage(configError) : '';
    if (this._shownPage !== this._stack.visible_child_name) {
      this._shownPage = this._stack.visible_child_name ?? '';
      trace(`page ${this._shownPage}`);
    }
  }

  toast(title: string): void {
    this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(title) }));
  }

  /**
   * A failure needs reading: a dialog while the window is in use. Otherwise a
   * toast with the heading only (a toast is one line: a sentence would be cut
   * off), whose Details opens that dialog; it goes away on its own, as the
   * page's headline keeps saying what is wrong.
   */
  private _alert(heading: string, message: string): void {
    if (this.is_active) {
      trace(`alert ${heading}`);
      showAlert(this, heading, message, _('_Close'));
      return;
    }
    const toast = this._toastWithDetails(heading);
    toast.connect('button-clicked', () => showAlert(this, heading, message, _('_Close')));
  }

  /** A short toast with a Details button (`action`, or the caller's button-clicked handler). */
  private _toastWithDetails(title: string, action?: string): Adw.Toast {
    const toast = new Adw.Toast({ title: escapeMarkup(title), button_label: _('_Details'), timeout: TOAST_SECONDS });
    if (action) toast.action_name = action;
    this._toasts.add_toast(toast);
    trace(`toast ${title}`);
    toast.connect('dismissed', () => trace(`toast gone ${title}`));
    return toast;
  }
}
