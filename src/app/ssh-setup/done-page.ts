import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { describeProblem, describeServer, describeStore } from './server-words';
import type { SshSetupFlow } from './ssh-setup-flow';
import { mnemonicButton } from '../widgets';

/**
 * Add Backup Server, the end: the server is trusted, and the connection test
 * (CheckServer) says in words what it is, or what stops it and what to do,
 * with Test Again. Where it keeps compressed files, Encrypt backups can be
 * switched on. Add Server makes it a destination only after a test that
 * passed. (An administrator who writes the configuration by hand has
 * docs/config.md; nothing is shown here as JSON.)
 */
export class DonePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshDonePage' }, this);
  }

  private _flow: SshSetupFlow;
  private _trusted: Gtk.Label;
  private _group: Adw.PreferencesGroup;
  private _server: Gtk.Label;
  private _detail: Gtk.Label;
  private _spinner: Gtk.Spinner;
  private _again: Gtk.Button;
  private _encryption: Adw.PreferencesGroup;

  constructor(flow: SshSetupFlow) {
    super(false);
    this._flow = flow;
    this._trusted = new Gtk.Label({ wrap: true, xalign: 0 });
    const done = new Adw.PreferencesGroup({ title: _('Server trusted') });
    done.add(this._trusted);
    this._again = mnemonicButton({ label: _('_Test Again'), action_name: 'ssh.test', valign: Gtk.Align.CENTER });
    this._group = new Adw.PreferencesGroup({ title: _('Connection test'), header_suffix: this._again });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6 });
    const row = new Gtk.Box({ spacing: 12 });
    this._spinner = new Gtk.Spinner();
    this._server = new Gtk.Label({ wrap: true, xalign: 0, hexpand: true, css_classes: ['heading'] });
    row.append(this._spinner);
    row.append(this._server);
    this._detail = new Gtk.Label({ wrap: true, xalign: 0 });
    box.append(row);
    box.append(this._detail);
    this._group.add(box);
    // Offered only where the server keeps compressed files (the flow's canEncrypt).
    const toggle = new Gtk.Switch({ valign: Gtk.Align.CENTER, action_name: 'ssh.encrypt' });
    const encryptRow = new Adw.ActionRow({
      title: _('Encrypt backups'),
      subtitle: _('The server keeps only encrypted files, which no one there can read. You get a recovery key to keep: without it, the backups cannot be restored on another computer.'),
      activatable_widget: toggle,
    });
    encryptRow.add_suffix(toggle);
    this._encryption = new Adw.PreferencesGroup({ visible: false });
    this._encryption.add(encryptRow);
    this.add(done);
    this.add(this._group);
    this.add(this._encryption);
  }

  override next(): NextButton {
    return { label: _('_Add Server'), action: 'ssh.use' };
  }

  override refresh(): void {
    if (this._flow.page !== 'done') return;
    const host = this._flow.host;
    this._trusted.label = fmt(_('Rewind will connect to %s only while it shows the key you compared.'), host);
    const check = this._flow.check;
    const testing = this._flow.testing;
    this._encryption.visible = this._flow.canEncrypt;
    this._spinner.spinning = testing;
    this._spinner.visible = testing;
    if (check === null) {
      this._server.label = testing ? _('Testing the connection…') : _('Not tested yet');
      this._detail.label = testing ? _('Rewind connects with this computer’s key and checks the backup folder.') : '';
    } else if (check.ok) {
      this._server.label = describeServer(host, check);
      this._detail.label = `${describeStore(check, this._flow.user)}\n${_('Add Server makes it a backup destination. You can rename it, turn it off or remove it later in Preferences.')}`;
    } else {
      this._server.label = _('The server cannot be used yet');
      this._detail.label = describeProblem(check, this._flow.fields.path.trim(), this._flow.user);
    }
  }
}
