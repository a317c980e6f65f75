import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { codeCard, copyButton } from './code-card';
import type { SshSetupFlow } from './ssh-setup-flow';

/** Add Backup Server, step 2: the command (or authorized_keys line) that lets this computer's key in on the server. */
export class KeyPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshKeyPage' }, this);
  }

  private _flow: SshSetupFlow;
  private _command: Gtk.Label;
  private _line: Gtk.Label;

  constructor(flow: SshSetupFlow) {
    super();
    this._flow = flow;
    const command = codeCard();
    const line = codeCard();
    this._command = command.label;
    this._line = line.label;
    const commandGroup = new Adw.PreferencesGroup({
      title: _('Allow this computer on the server'),
      description: _('Once, on the server, as an administrator: install Rewind (on Fedora: sudo dnf install rewind), create the backup folder, then run this command. It lets this computer’s key run only Rewind’s backup receiver, in the backup folder, and nothing else.'),
      header_suffix: copyButton('command', _('Copy Command')),
    });
    commandGroup.add(command.card);
    const lineGroup = new Adw.PreferencesGroup({
      title: _('Or add this line to the server’s authorized keys'),
      description: _('The same, by hand: one line in /root/.ssh/authorized_keys on the server.'),
      header_suffix: copyButton('line', _('Copy Line')),
    });
    lineGroup.add(line.card);
    this.add(commandGroup);
    this.add(lineGroup);
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'ssh.continue' };
  }

  override refresh(): void {
    const setup = this._flow.setup;
    if (!setup) return;
    this._command.label = setup.acceptKeyCommand;
    this._line.label = setup.authorizedKeysLine;
  }
}
