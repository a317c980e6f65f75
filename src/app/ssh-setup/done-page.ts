import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { SshSetupFlow } from './ssh-setup-flow';

/**
 * Add Backup Server, the end: the server is trusted; Add Server makes it a
 * destination. (An administrator who writes the configuration by hand has
 * docs/config.md; the entry is not shown here as JSON.)
 */
export class DonePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshDonePage' }, this);
  }

  private _flow: SshSetupFlow;
  private _text: Gtk.Label;

  constructor(flow: SshSetupFlow) {
    super(false);
    this._flow = flow;
    this._text = new Gtk.Label({ wrap: true, xalign: 0 });
    const done = new Adw.PreferencesGroup({ title: _('Server trusted') });
    done.add(this._text);
    const next = new Adw.PreferencesGroup({
      title: _('Next: add the server'),
      description: _('Add Server makes it a backup destination. You can rename it, turn it off or remove it later in Preferences.'),
    });
    this.add(done);
    this.add(next);
  }

  override next(): NextButton {
    return { label: _('_Add Server'), action: 'ssh.use' };
  }

  override refresh(): void {
    if (this._flow.page !== 'done') return;
    this._text.label = fmt(_('Rewind will connect to %s only while it shows the key you compared.'), this._flow.host);
  }
}
