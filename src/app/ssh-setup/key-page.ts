import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { isRootAccount } from '../../core/server-setup';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { codeCard, copyButton } from './code-card';
import type { SshSetupFlow } from './ssh-setup-flow';

/**
 * Add Backup Server, step 2: what a person does once on the server, as an
 * administrator there: install Rewind's helper, make the backup folder (the
 * account's own, unless it is root), and let this computer's key in with
 * the accept-key command (or the authorized_keys line, by hand). Each is a
 * command to copy (GetSshSetup, src/core/server-setup.ts).
 */
export class KeyPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshKeyPage' }, this);
  }

  private _flow: SshSetupFlow;
  private _cards: Record<'install' | 'folder' | 'command' | 'line', Gtk.Label>;
  private _intro: Adw.PreferencesGroup;
  private _folder: Adw.PreferencesGroup;
  private _command: Adw.PreferencesGroup;
  private _line: Adw.PreferencesGroup;

  constructor(flow: SshSetupFlow) {
    super();
    this._flow = flow;
    const group = (title: string, what: keyof KeyPage['_cards'], copyName: string) => {
      const card = codeCard();
      const g = new Adw.PreferencesGroup({ title, header_suffix: copyButton(what, copyName) });
      g.add(card.card);
      return { group: g, label: card.label };
    };
    this._intro = new Adw.PreferencesGroup({ title: _('Set up the server once') });
    const install = group(_('1. Install Rewind on the server'), 'install', _('Copy Command'));
    const folder = group(_('2. Create the backup folder'), 'folder', _('Copy Command'));
    const command = group(_('3. Allow this computer'), 'command', _('Copy Command'));
    const line = group(_('Or add this line to the allowed keys by hand'), 'line', _('Copy Line'));
    this._folder = folder.group;
    this._command = command.group;
    this._line = line.group;
    this._cards = { install: install.label, folder: folder.label, command: command.label, line: line.label };
    for (const g of [this._intro, install.group, folder.group, command.group, line.group]) this.add(g);
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'ssh.continue' };
  }

  override refresh(): void {
    const setup = this._flow.setup;
    if (!setup) return;
    const user = setup.user;
    const folder = this._flow.fields.path.trim();
    this._cards.install.label = setup.installCommand;
    this._cards.folder.label = setup.folderCommand;
    this._cards.command.label = setup.acceptKeyCommand;
    this._cards.line.label = setup.authorizedKeysLine;
    if (isRootAccount(user)) {
      this._intro.description = _('On the server, as an administrator, run these three commands. Backups arrive there as root, so they can be kept as snapshots when the folder is on a disk that keeps them, as on Fedora Workstation; otherwise as compressed files.');
      this._folder.description = fmt(_('%s, readable only by root. Skip this if it exists.'), folder);
    } else {
      // Translators: %s is the user name on the server.
      this._intro.description = fmt(
        _('On the server, as an administrator, run these three commands. Backups arrive there as %s, who needs no administrator rights, and are kept as compressed files. Keeping them as snapshots that can be browsed on the server needs the user root.'),
        user,
      );
      // Translators: the backup folder, then the user name on the server.
      this._folder.description = fmt(_('%s, owned by %s, so that the backups can be written there.'), folder, user);
    }
    // Translators: %s is the user name on the server.
    this._command.description = fmt(_('It lets this computer’s key run only Rewind’s backup receiver, as %s, in the backup folder, and nothing else.'), user);
    // Translators: %s is a file on the server, such as ~alice/.ssh/authorized_keys.
    this._line.description = fmt(_('The same as the third command: one line in %s on the server.'), setup.authorizedKeysFile);
  }
}
