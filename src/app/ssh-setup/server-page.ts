import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { ServerFields, SshSetupFlow } from './ssh-setup-flow';

/** Add Backup Server, step 1: host, port, user and the backup folder on the server. */
export class ServerPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshServerPage' }, this);
  }

  private _flow: SshSetupFlow;
  private _entries: Record<keyof ServerFields, Adw.EntryRow>;

  constructor(flow: SshSetupFlow) {
    super();
    this._flow = flow;
    const entry = (title: string, field: keyof ServerFields, purpose = Gtk.InputPurpose.FREE_FORM) => {
      const row = new Adw.EntryRow({ title, input_purpose: purpose });
      row.connect('changed', () => (flow.fields[field] = row.text));
      row.connect('entry-activated', () => this.activate_action('ssh.continue', null));
      return row;
    };
    this._entries = {
      host: entry(_('Host name or address'), 'host', Gtk.InputPurpose.URL),
      port: entry(_('Port'), 'port', Gtk.InputPurpose.DIGITS),
      user: entry(_('User'), 'user'),
      path: entry(_('Backup folder on the server'), 'path'),
    };
    const server = new Adw.PreferencesGroup({
      title: _('Backup server'),
      description: _('Another computer that keeps this computer’s backups over SSH, such as a Fedora Server. The user is the account there that backups arrive as; it needs no administrator rights. The next step shows how to set the server up.'),
    });
    for (const key of ['host', 'port', 'user'] as const) server.add(this._entries[key]);
    const folder = new Adw.PreferencesGroup({
      description: _('Backups go into a folder named after this computer inside it.'),
    });
    folder.add(this._entries.path);
    this.add(server);
    this.add(folder);
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'ssh.continue' };
  }

  override focusWidget(): Gtk.Widget {
    return this._entries.host;
  }

  override refresh(): void {
    for (const key of ['host', 'port', 'user', 'path'] as const) {
      if (this._entries[key].text !== this._flow.fields[key]) this._entries[key].text = this._flow.fields[key];
    }
  }
}
