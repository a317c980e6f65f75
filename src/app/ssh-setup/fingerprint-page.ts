import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { hostKeyFile } from '../../core/ssh';
import { _, fmt } from '../i18n';
import { trace } from '../trace';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { codeCard } from './code-card';
import type { SshSetupFlow } from './ssh-setup-flow';
import { infoRow } from '../widgets';

/**
 * Add Backup Server, step 3: the server's key fingerprint to compare on the
 * server. A key other than the one trusted before is a warning, and Trust
 * New Key needs the check box (ssh.confirm-changed) first.
 */
export class FingerprintPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshFingerprintPage' }, this);
  }

  private _flow: SshSetupFlow;
  private _group: Adw.PreferencesGroup;
  private _fingerprint: Gtk.Label;
  private _compare: Gtk.Label;
  private _pinned: Adw.ActionRow;
  private _changed: Adw.PreferencesGroup;

  constructor(flow: SshSetupFlow) {
    super();
    this._flow = flow;
    const fingerprint = codeCard();
    fingerprint.label.add_css_class('heading');
    this._fingerprint = fingerprint.label;
    this._group = new Adw.PreferencesGroup({ title: _('Check the server’s identity') });
    this._group.add(fingerprint.card);
    const compare = codeCard();
    this._compare = compare.label;
    const compareGroup = new Adw.PreferencesGroup({
      title: _('Compare on the server'),
      description: _('On the server, run this command. Trust the server only if it shows the same fingerprint.'),
    });
    compareGroup.add(compare.card);
    this._pinned = infoRow({ title: _('Key trusted before') });
    const confirm = new Gtk.CheckButton({ label: _('I compared the new fingerprint on the server'), action_name: 'ssh.confirm-changed' });
    this._changed = new Adw.PreferencesGroup({ visible: false });
    this._changed.add(this._pinned);
    this._changed.add(confirm);
    for (const group of [this._group, compareGroup, this._changed]) this.add(group);
  }

  override next(): NextButton {
    const state = this._flow.probe?.state;
    if (state === 'changed') return { label: _('_Trust New Key'), action: 'ssh.trust', destructive: true };
    return { label: state === 'known' ? _('_Continue') : _('_Trust Server'), action: 'ssh.trust' };
  }

  override refresh(): void {
    const probe = this._flow.probe;
    if (this._flow.page !== 'fingerprint' || !probe) return;
    const host = this._flow.host;
    const changed = probe.state === 'changed';
    this._fingerprint.label = probe.fingerprint;
    this._compare.label = `ssh-keygen -lf ${hostKeyFile(probe.keyType)}`;
    this._changed.visible = changed;
    this._pinned.subtitle = probe.pinnedFingerprint ?? '';
    if (changed) {
      this._group.title = _('The server’s key has changed');
      this._group.description = fmt(
        _('%s shows a key other than the one this computer trusted before. If the server was reinstalled, that is expected; otherwise someone may be intercepting the connection. Trust the new key only after comparing it on the server.'),
        host,
      );
      this._group.add_css_class('error');
    } else {
      this._group.remove_css_class('error');
      this._group.title = _('Check the server’s identity');
      this._group.description =
        probe.state === 'known'
          ? fmt(_('%s shows the key this computer already trusts:'), host)
          : fmt(_('%s shows this %s key fingerprint. Compare it with the one the server shows before you trust it:'), host, probe.keyType);
    }
    trace(`ssh shown fingerprint ${probe.fingerprint} ${probe.state}`);
  }
}
