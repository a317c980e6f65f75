import Adw from 'gi://Adw?version=1';
import Gdk from 'gi://Gdk?version=4.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import type { FoundBackups, ServerDiscovery } from '../../core/discovery';
import { hostKeyFile, type HostProbe } from '../../core/ssh';
import { escapeMarkup } from '../format';
import type { Failure } from '../helper-call';
import type { HelperClient } from '../helper-client';
import { _, fmt } from '../i18n';
import { codeCard } from '../ssh-setup/code-card';
import { trace } from '../trace';
import { mnemonicButton } from '../widgets';

/** The recovery window's pages for backups on a server, by stack name. */
export type ServerPage = 'server-ask' | 'server-trust' | 'server-accept' | 'server-found';

export interface ServerSearchHost {
  client: HelperClient;
  actions: Gio.SimpleActionGroup;
  show: (page: ServerPage) => void;
  busy: (on: boolean) => void;
  /** One found entry, in the words the disks' list uses. */
  describe: (found: FoundBackups) => string;
  failureText: (failure: Failure) => string;
}

/**
 * "Backups on a Server…" in Restore from a Backup: the server and the account
 * there; its key's fingerprint to compare and trust (ProbeHost, TrustHost, as
 * Add Backup Server); the backups this computer may read there
 * (DiscoverServerBackups). A fresh install's key is new, so the server first
 * refuses it: the page then shows the command its administrator runs there
 * (accept-key --read-only, naming the lost computer's folder), and Look Again.
 * A computer in the list is chosen as on the disks' list (`recover.choose`
 * with its id), and the window goes on to its restore points.
 * Actions in the window's `recover` group: server, server-host, server-port, server-user,
 * server-continue, server-trust, server-look, server-copy.
 */
export class ServerSearch {
  readonly pages: Array<[ServerPage, Gtk.Widget]>;
  private _host = new Adw.EntryRow({ title: _('Server') });
  private _port = new Adw.EntryRow({ title: _('Port'), text: '22', input_purpose: Gtk.InputPurpose.DIGITS });
  private _user = new Adw.EntryRow({ title: _('User on the server'), text: GLib.get_user_name() });
  private _askNote = new Adw.PreferencesGroup();
  private _trust = new Adw.StatusPage({ icon_name: 'channel-secure-symbolic', title: _('Check the server’s identity') });
  private _fingerprint = codeCard();
  private _compare = codeCard();
  private _accept = new Adw.StatusPage({ icon_name: 'dialog-password-symbolic', title: _('Let this computer read the backups') });
  private _command = codeCard();
  private _foundPage = new Adw.PreferencesPage();
  private _foundGroups: Adw.PreferencesGroup[] = [];
  private _probe: HostProbe | null = null;
  /** The server's entries last listed: the window finds the chosen one here. */
  private _found: FoundBackups[] = [];

  constructor(private readonly _window: ServerSearchHost) {
    const ask = new Adw.PreferencesPage();
    const group = new Adw.PreferencesGroup({
      title: _('Backups on a server'),
      description: _('The server that kept the lost computer’s backups, and the account they arrived as there.'),
    });
    group.add(this._host);
    group.add(this._port);
    group.add(this._user);
    ask.add(group);
    this._askNote.add(mnemonicButton({ label: _('_Continue'), css_classes: ['pill', 'suggested-action'], halign: Gtk.Align.CENTER, action_name: 'recover.server-continue' }));
    ask.add(this._askNote);

    const trustBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12 });
    trustBox.append(this._fingerprint.card);
    trustBox.append(new Gtk.Label({ label: _('On the server, this command shows its fingerprint. Trust the server only if it is the same.'), wrap: true, xalign: 0 }));
    trustBox.append(this._compare.card);
    trustBox.append(mnemonicButton({ label: _('_Trust Server'), css_classes: ['pill', 'suggested-action'], halign: Gtk.Align.CENTER, action_name: 'recover.server-trust' }));
    this._trust.set_child(new Adw.Clamp({ child: trustBox }));

    const acceptBox = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12 });
    acceptBox.append(this._command.card);
    const buttons = new Gtk.Box({ spacing: 12, halign: Gtk.Align.CENTER });
    buttons.append(mnemonicButton({ label: _('_Copy Command'), css_classes: ['pill'], action_name: 'recover.server-copy' }));
    buttons.append(mnemonicButton({ label: _('_Look Again'), css_classes: ['pill', 'suggested-action'], action_name: 'recover.server-look' }));
    acceptBox.append(buttons);
    this._accept.set_child(new Adw.Clamp({ child: acceptBox }));

    this.pages = [
      ['server-ask', ask],
      ['server-trust', this._trust],
      ['server-accept', this._accept],
      ['server-found', this._foundPage],
    ];
    this._add('server', false, () => this._window.show('server-ask'));
    this._add('server-host', true, (text) => (this._host.text = text));
    this._add('server-port', true, (text) => (this._port.text = text));
    this._add('server-user', true, (text) => (this._user.text = text));
    this._add('server-continue', false, () => void this._continue());
    this._add('server-trust', false, () => void this._trustServer());
    this._add('server-look', false, () => void this._look());
    this._add('server-copy', false, () => Gdk.Display.get_default()?.get_clipboard().set(this._command.label.label));
  }

  /** The entry `id` of the server's list, if it is one. */
  found(id: string): FoundBackups | undefined {
    return this._found.find((f) => f.id === id);
  }

  private _add(name: string, withString: boolean, activate: (value: string) => void): void {
    const action = new Gio.SimpleAction({ name, ...(withString ? { parameter_type: new GLib.VariantType('s') } : {}) });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
    this._window.actions.add_action(action);
  }

  /** What was typed; a port that is not a number is the helper's to refuse, in words. */
  private get _request(): { host: string; port: number; user: string } {
    const port = this._port.text.trim();
    return { host: this._host.text.trim(), port: /^\d+$/.test(port) ? Number(port) : Number.NaN, user: this._user.text.trim() };
  }

  /** Runs one helper call with the spinner; a failure is said on the first page, under the fields. */
  private async _step(what: () => Promise<void>): Promise<void> {
    this._window.busy(true);
    try {
      await what();
    } catch (e) {
      const failure = e as Failure;
      trace(`recover server failed ${failure.code}`);
      this._askNote.description = escapeMarkup(this._window.failureText(failure));
      this._window.show('server-ask');
    } finally {
      this._window.busy(false);
    }
  }

  private async _continue(): Promise<void> {
    this._askNote.description = '';
    await this._step(async () => {
      const probe = await this._window.client.callSshMethod('ProbeHost', this._request);
      this._probe = probe;
      if (probe.state === 'known') return this._discover();
      this._fingerprint.label.label = probe.fingerprint;
      this._compare.label.label = `ssh-keygen -lf ${hostKeyFile(probe.keyType)}`;
      this._trust.description =
        probe.state === 'changed'
          ? escapeMarkup(fmt(_('%s shows a key other than the one this computer trusted before. Trust it only after comparing it on the server.'), probe.host))
          : escapeMarkup(fmt(_('This computer has not connected to %s before.'), probe.host));
      this._window.show('server-trust');
    });
  }

  private async _trustServer(): Promise<void> {
    const probe = this._probe;
    if (!probe) return;
    await this._step(async () => {
      await this._window.client.callSshMethod('TrustHost', { host: probe.host, port: probe.port, fingerprint: probe.fingerprint });
      await this._discover();
    });
  }

  private async _look(): Promise<void> {
    await this._step(() => this._discover());
  }

  private async _discover(): Promise<void> {
    const answer = await this._window.client.call('DiscoverServerBackups', this._request);
    if (answer.keyNotAccepted) {
      trace('recover server key not accepted');
      this._command.label.label = answer.keyNotAccepted.acceptKeyCommand;
      this._accept.description = escapeMarkup(
        fmt(
          _('%s does not let this computer in yet. An administrator of the server runs this command there, with the server’s backup folder in place of ROOT and the lost computer’s name in place of COMPUTER. This computer may then only read that computer’s backups.'),
          this._request.host,
        ),
      );
      this._window.show('server-accept');
      return;
    }
    trace(`recover server found ${answer.found.length}`);
    this._showFound(answer);
    this._window.show('server-found');
  }

  private _showFound(answer: ServerDiscovery): void {
    for (const group of this._foundGroups.splice(0)) this._foundPage.remove(group);
    this._found = answer.found;
    const group = new Adw.PreferencesGroup({
      title: escapeMarkup(fmt(_('On %s'), this._request.host)),
      description:
        answer.found.length === 0
          ? _('This computer may read no backups on this server. Ask its administrator to run the command again, with the lost computer’s name.')
          : _('Choose the computer whose files you want back.'),
    });
    for (const found of answer.found) {
      const row = new Adw.ActionRow({ title: escapeMarkup(found.host), subtitle: escapeMarkup(this._window.describe(found)), activatable: true, action_name: 'recover.choose' });
      row.set_action_target_value(new GLib.Variant('s', found.id));
      row.add_prefix(new Gtk.Image({ icon_name: 'computer-symbolic' }));
      row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
      group.add(row);
    }
    this._foundPage.add(group);
    this._foundGroups.push(group);
    if (answer.problems.length > 0) {
      const problems = new Adw.PreferencesGroup({ title: _('Some backups could not be read'), description: escapeMarkup(answer.problems.join('\n')) });
      this._foundPage.add(problems);
      this._foundGroups.push(problems);
    }
  }
}
