import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { codeCard, copyButton } from './code-card';
import type { SshSetupFlow } from './ssh-setup-flow';

/** Add Backup Server, the end: the server is trusted; Add Server makes it a destination. */
export class DonePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshDonePage' }, this);
  }

  private _flow: SshSetupFlow;
  private _text: Gtk.Label;
  private _snippet: Gtk.Label;

  constructor(flow: SshSetupFlow) {
    super(false);
    this._flow = flow;
    this._text = new Gtk.Label({ wrap: true, xalign: 0 });
    const { card, label } = codeCard();
    this._snippet = label;
    const done = new Adw.PreferencesGroup({ title: _('Server trusted') });
    done.add(this._text);
    const next = new Adw.PreferencesGroup({
      title: _('Next: add the server'),
      description: _('Add Server makes it a backup destination. An administrator may also add this entry to “destinations” in /etc/rewind/config.json by hand:'),
      header_suffix: copyButton('config', _('Copy Entry')),
    });
    next.add(card);
    this.add(done);
    this.add(next);
  }

  override next(): NextButton {
    return { label: _('_Add Server'), action: 'ssh.use' };
  }

  override refresh(): void {
    if (this._flow.page !== 'done') return;
    this._text.label = fmt(_('Rewind will connect to %s only while it shows the key you compared.'), this._flow.host);
    this._snippet.label = this._flow.configSnippet();
  }
}
