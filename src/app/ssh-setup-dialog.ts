import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from './format';
import { _, fmt } from './i18n';
import { hostKeyFile } from '../core/ssh';
import type { SshSetupFlow } from './ssh-setup';
import { closeOnEscape } from './close-on-escape';

/** Text to copy (a command, a key line): monospace, selectable, wrapped anywhere, in a card. */
function codeCard(): { card: Gtk.Widget; label: Gtk.Label } {
  const label = new Gtk.Label({
    selectable: true,
    wrap: true,
    wrap_mode: 2 /* Pango.WrapMode.WORD_CHAR */,
    xalign: 0,
    css_classes: ['monospace'],
    margin_top: 12,
    margin_bottom: 12,
    margin_start: 12,
    margin_end: 12,
  });
  const card = new Gtk.Box({ css_classes: ['card'] });
  card.append(label);
  return { card, label };
}

function copyButton(what: string, accessibleName: string): Gtk.Button {
  const button = new Gtk.Button({
    icon_name: 'edit-copy-symbolic',
    action_name: 'app.ssh-copy',
    action_target: GLib.Variant.new_string(what),
    tooltip_text: accessibleName,
    valign: Gtk.Align.CENTER,
    css_classes: ['flat'],
  });
  button.update_property([Gtk.AccessibleProperty.LABEL], [accessibleName]);
  return button;
}

function page(...groups: Gtk.Widget[]): Adw.PreferencesPage {
  const p = new Adw.PreferencesPage();
  for (const g of groups) p.add(g as Adw.PreferencesGroup);
  return p;
}

/**
 * The "Add backup server" dialog: a view of SshSetupFlow, one stack page per
 * step. Its buttons name the flow's app actions; only the entries write to
 * the flow's fields.
 */
export class SshSetupDialog extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindSshSetupDialog' }, this);
  }

  private _flow!: SshSetupFlow;
  private _handlers: number[] = [];
  private _stack!: Gtk.Stack;
  private _toasts!: Adw.ToastOverlay;
  private _title!: Adw.WindowTitle;
  private _back!: Gtk.Button;
  private _cancel!: Gtk.Button;
  private _next!: Gtk.Button;
  private _spinner!: Gtk.Spinner;
  private _errors: Gtk.Label[] = [];
  private _entries!: Record<'host' | 'port' | 'user' | 'path', Adw.EntryRow>;
  private _command!: Gtk.Label;
  private _line!: Gtk.Label;
  private _fingerprintGroup!: Adw.PreferencesGroup;
  private _fingerprint!: Gtk.Label;
  private _compare!: Gtk.Label;
  private _pinnedRow!: Adw.ActionRow;
  private _confirm!: Gtk.CheckButton;
  private _changedGroup!: Adw.PreferencesGroup;
  private _doneText!: Gtk.Label;
  private _snippet!: Gtk.Label;

  constructor(parent: Gtk.Window, flow: SshSetupFlow) {
    super({ transient_for: parent, application: parent.application, modal: true, default_width: 560, default_height: 620, width_request: 360, title: _('Add Backup Server') });
    this._flow = flow;

    this._title = new Adw.WindowTitle({ title: _('Add Backup Server') });
    this._back = new Gtk.Button({ icon_name: 'go-previous-symbolic', action_name: 'app.ssh-back', tooltip_text: _('Back') });
    this._back.update_property([Gtk.AccessibleProperty.LABEL], [_('Back')]);
    this._cancel = new Gtk.Button({ label: _('_Cancel'), use_underline: true });
    this._cancel.connect('clicked', () => this.close());
    this._next = new Gtk.Button({ use_underline: true, css_classes: ['suggested-action'] });
    this._spinner = new Gtk.Spinner({ spinning: true, visible: false });
    this._spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Waiting for the backup helper')]);
    const header = new Adw.HeaderBar({ title_widget: this._title, show_end_title_buttons: false, show_start_title_buttons: false });
    header.pack_start(this._cancel);
    header.pack_start(this._back);
    header.pack_end(this._next);
    header.pack_end(this._spinner);

    this._stack = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.CROSSFADE, transition_duration: 150, vexpand: true });
    this._stack.add_named(this._serverPage(), 'server');
    this._stack.add_named(this._keyPage(), 'key');
    this._stack.add_named(this._fingerprintPage(), 'fingerprint');
    this._stack.add_named(this._donePage(), 'done');
    this._toasts = new Adw.ToastOverlay({ child: this._stack });
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._toasts);
    this.set_content(content);

    closeOnEscape(this);

    for (const property of ['page', 'busy', 'error-message']) this._handlers.push(flow.connect(`notify::${property}`, () => this._sync()));
    this._handlers.push(flow.connect('fields-changed', () => this._showFields()));
    this._handlers.push(flow.connect('toast', (_f, title: string) => this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(title), timeout: 2 }))));
    this.connect('close-request', () => {
      for (const id of this._handlers) flow.disconnect(id);
      this._handlers = [];
      return false;
    });
    this._showFields();
    this._sync();
  }

  private _errorLabel(): Gtk.Label {
    const label = new Gtk.Label({ wrap: true, xalign: 0, visible: false, css_classes: ['error'], margin_bottom: 12 });
    this._errors.push(label);
    return label;
  }

  private _groupWithError(): Adw.PreferencesGroup {
    const group = new Adw.PreferencesGroup();
    group.add(this._errorLabel());
    return group;
  }

  private _serverPage(): Gtk.Widget {
    const entry = (title: string, field: 'host' | 'port' | 'user' | 'path', purpose = Gtk.InputPurpose.FREE_FORM) => {
      const row = new Adw.EntryRow({ title, input_purpose: purpose });
      row.connect('changed', () => (this._flow.fields[field] = row.text));
      row.connect('entry-activated', () => this.activate_action('app.ssh-continue', null));
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
      description: _('Another computer that keeps this computer’s backups over SSH. It needs Rewind installed and the backup folder on a btrfs filesystem.'),
    });
    for (const key of ['host', 'port', 'user'] as const) server.add(this._entries[key]);
    const folder = new Adw.PreferencesGroup({
      description: _('Backups go into a folder named after this computer inside it. The folder must exist on the server.'),
    });
    folder.add(this._entries.path);
    return page(this._groupWithError(), server, folder);
  }

  private _keyPage(): Gtk.Widget {
    const { card: commandCard, label: command } = codeCard();
    const { card: lineCard, label: line } = codeCard();
    this._command = command;
    this._line = line;
    const commandGroup = new Adw.PreferencesGroup({
      title: _('Allow this computer on the server'),
      description: _('On the server, as an administrator, run this command. It lets this computer’s key run only Rewind’s backup receiver, in the backup folder, and nothing else.'),
      header_suffix: copyButton('command', _('Copy Command')),
    });
    commandGroup.add(commandCard);
    const lineGroup = new Adw.PreferencesGroup({
      title: _('Or add this line to the server’s authorized keys'),
      description: _('The same, by hand: one line in /root/.ssh/authorized_keys on the server.'),
      header_suffix: copyButton('line', _('Copy Line')),
    });
    lineGroup.add(lineCard);
    return page(this._groupWithError(), commandGroup, lineGroup);
  }

  private _fingerprintPage(): Gtk.Widget {
    const { card: fingerprintCard, label: fingerprint } = codeCard();
    fingerprint.add_css_class('heading');
    this._fingerprint = fingerprint;
    this._fingerprintGroup = new Adw.PreferencesGroup({ title: _('Check the server’s identity') });
    this._fingerprintGroup.add(fingerprintCard);
    const { card: compareCard, label: compare } = codeCard();
    this._compare = compare;
    const compareGroup = new Adw.PreferencesGroup({
      title: _('Compare on the server'),
      description: _('On the server, run this command. Trust the server only if it shows the same fingerprint.'),
    });
    compareGroup.add(compareCard);
    this._pinnedRow = new Adw.ActionRow({ title: _('Key trusted before'), visible: false });
    this._confirm = new Gtk.CheckButton({ label: _('I compared the new fingerprint on the server'), action_name: 'app.ssh-confirm-changed', visible: false });
    this._changedGroup = new Adw.PreferencesGroup({ visible: false });
    this._changedGroup.add(this._pinnedRow);
    this._changedGroup.add(this._confirm);
    return page(this._groupWithError(), this._fingerprintGroup, compareGroup, this._changedGroup);
  }

  private _donePage(): Gtk.Widget {
    this._doneText = new Gtk.Label({ wrap: true, xalign: 0 });
    const { card, label } = codeCard();
    this._snippet = label;
    const done = new Adw.PreferencesGroup({ title: _('Server trusted') });
    done.add(this._doneText);
    const next = new Adw.PreferencesGroup({
      title: _('Next: add the server'),
      description: _('Add Server makes it a backup destination. An administrator may also add this entry to “destinations” in /etc/rewind/config.json by hand:'),
      header_suffix: copyButton('config', _('Copy Entry')),
    });
    next.add(card);
    return page(done, next);
  }

  private _showFields(): void {
    for (const key of ['host', 'port', 'user', 'path'] as const) {
      if (this._entries[key].text !== this._flow.fields[key]) this._entries[key].text = this._flow.fields[key];
    }
  }

  private _sync(): void {
    const flow = this._flow;
    const name = flow.page;
    this._stack.visible_child_name = name;
    this._spinner.visible = flow.busy;
    for (const label of this._errors) {
      label.label = flow.error_message;
      label.visible = flow.error_message !== '';
    }
    this._cancel.visible = name === 'server' || name === 'done';
    this._back.visible = name === 'key' || name === 'fingerprint';
    this._next.remove_css_class('destructive-action');
    this._next.add_css_class('suggested-action');
    const host = flow.fields.host.trim();
    if (name === 'server') this._setNext(_('_Continue'), 'app.ssh-continue', _('Step 1 of 3'));
    if (name === 'key' && flow.setup) {
      this._command.label = flow.setup.acceptKeyCommand;
      this._line.label = flow.setup.authorizedKeysLine;
      this._setNext(_('_Continue'), 'app.ssh-continue', _('Step 2 of 3'));
    }
    if (name === 'fingerprint' && flow.probe) {
      const probe = flow.probe;
      this._fingerprint.label = probe.fingerprint;
      this._compare.label = `ssh-keygen -lf ${hostKeyFile(probe.keyType)}`;
      this._changedGroup.visible = probe.state === 'changed';
      this._pinnedRow.visible = probe.state === 'changed';
      this._pinnedRow.subtitle = probe.pinnedFingerprint ?? '';
      this._confirm.visible = probe.state === 'changed';
      if (probe.state === 'changed') {
        this._fingerprintGroup.title = _('The server’s key has changed');
        this._fingerprintGroup.description = fmt(
          _('%s shows a key other than the one this computer trusted before. If the server was reinstalled, that is expected; otherwise someone may be intercepting the connection. Trust the new key only after comparing it on the server.'),
          host,
        );
        this._fingerprintGroup.add_css_class('error');
        this._setNext(_('_Trust New Key'), 'app.ssh-trust', _('Step 3 of 3'));
        this._next.remove_css_class('suggested-action');
        this._next.add_css_class('destructive-action');
      } else {
        this._fingerprintGroup.remove_css_class('error');
        this._fingerprintGroup.title = _('Check the server’s identity');
        this._fingerprintGroup.description =
          probe.state === 'known'
            ? fmt(_('%s shows the key this computer already trusts:'), host)
            : fmt(_('%s shows this %s key fingerprint. Compare it with the one the server shows before you trust it:'), host, probe.keyType);
        this._setNext(probe.state === 'known' ? _('_Continue') : _('_Trust Server'), 'app.ssh-trust', _('Step 3 of 3'));
      }
      print(`rewind: ssh shown fingerprint ${this._fingerprint.label} ${probe.state}`);
    }
    if (name === 'done') {
      this._doneText.label = fmt(_('Rewind will connect to %s only while it shows the key you compared.'), host);
      this._snippet.label = flow.configSnippet();
      this._setNext(_('_Add Server'), 'app.ssh-use', '');
    }
    this.set_default_widget(this._next);
    this._next.grab_focus();
    if (name === 'server') this._entries.host.grab_focus();
  }

  private _setNext(label: string, action: string, step: string): void {
    this._next.label = label;
    this._next.action_name = action;
    this._title.subtitle = step;
  }
}
