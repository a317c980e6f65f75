import Gdk from 'gi://Gdk?version=4.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import { checkSshHost, checkSshPort, checkSshUser, DEFAULT_SSH_PORT, DEFAULT_SSH_USER, destinationSnippet, type HostProbe, type SshSetup } from '../core/ssh';
import type { SshDestinationConfig } from '../core/config';
import type { Failure, HelperClient } from './helper-client';
import { _ } from './i18n';

/**
 * First contact with a backup server, as steps (the "page" property):
 * - server: host, port, user and the server's backup folder;
 * - key: GetSshSetup's accept-key command and authorized_keys line, to copy
 *   and run on the server;
 * - fingerprint: ProbeHost's SHA256 fingerprint of the server's key, to
 *   compare with what the server shows; a key other than the one trusted
 *   before is a warning, and trusting it needs an explicit confirmation;
 * - done: the key is pinned (TrustHost). "Add Server" (app.ssh-use) hands
 *   the destination to whoever opened the dialog (signal use-destination):
 *   the setup flow, or the application, which adds it to the configuration.
 *
 * The steps are app actions (app.ssh-*): the dialog's buttons name them, and
 * tests activate them over org.gtk.Actions like any other action.
 */
export type SshSetupPage = 'server' | 'key' | 'fingerprint' | 'done';

export interface ServerFields {
  host: string;
  port: string;
  user: string;
  path: string;
}

export const DEFAULT_SERVER_PATH = '/srv/rewind';

function say(line: string): void {
  print(line);
}

export class SshSetupFlow extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindSshSetupFlow',
        Properties: {
          page: GObject.ParamSpec.string('page', null, null, GObject.ParamFlags.READABLE, 'server'),
          busy: GObject.ParamSpec.boolean('busy', null, null, GObject.ParamFlags.READABLE, false),
          'error-message': GObject.ParamSpec.string('error-message', null, null, GObject.ParamFlags.READABLE, ''),
        },
        Signals: {
          // The fields were set from outside (the test hook): the entries show them.
          'fields-changed': {},
          // A short confirmation, such as "Copied".
          toast: { param_types: [GObject.TYPE_STRING] },
          // JSON of the ssh destination (config shape), after the key was trusted.
          'use-destination': { param_types: [GObject.TYPE_STRING] },
        },
      },
      this,
    );
  }

  private _client: HelperClient;
  private _page: SshSetupPage = 'server';
  private _busy = false;
  private _errorMessage = '';
  fields: ServerFields = { host: '', port: String(DEFAULT_SSH_PORT), user: DEFAULT_SSH_USER, path: DEFAULT_SERVER_PATH };
  setup: SshSetup | null = null;
  probe: HostProbe | null = null;
  /** The port and user as checked on the server page. */
  private _port = DEFAULT_SSH_PORT;
  private _confirmChanged: Gio.SimpleAction;
  private _actions: Gio.SimpleAction[] = [];

  constructor(client: HelperClient, group: Gio.ActionMap) {
    super();
    this._client = client;
    const add = (name: string, activate: (parameter: GLib.Variant | null) => void, parameterType: string | null = null) => {
      const action = parameterType ? new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType(parameterType) }) : new Gio.SimpleAction({ name });
      action.connect('activate', (_a, parameter: GLib.Variant | null) => activate(parameter));
      group.add_action(action);
      this._actions.push(action);
      return action;
    };
    add('ssh-continue', () => void this.continue());
    add('ssh-back', () => this.back());
    add('ssh-trust', () => void this.trust());
    add('ssh-copy', (p) => this.copy(p?.unpack() as string), 's');
    add('ssh-use', () => this.use());
    // Test hook (documented in docs/architecture.md): fills the server page from JSON {host, port, user, path}.
    add('ssh-fill', (p) => this.fill(p?.unpack() as string), 's');
    this._confirmChanged = new Gio.SimpleAction({ name: 'ssh-confirm-changed', state: GLib.Variant.new_boolean(false) });
    this._confirmChanged.connect('change-state', (action, value: GLib.Variant) => {
      action.set_state(value);
      this._syncActions();
    });
    group.add_action(this._confirmChanged);
    this._syncActions();
  }

  get page(): SshSetupPage {
    return this._page;
  }

  get busy(): boolean {
    return this._busy;
  }

  get error_message(): string {
    return this._errorMessage;
  }

  /** Back to an empty first page (a new dialog). */
  reset(): void {
    this.fields = { host: '', port: String(DEFAULT_SSH_PORT), user: DEFAULT_SSH_USER, path: DEFAULT_SERVER_PATH };
    this.setup = null;
    this.probe = null;
    this._setError('');
    this._confirmChanged.set_state(GLib.Variant.new_boolean(false));
    this.emit('fields-changed');
    this._setPage('server');
  }

  fill(json: string): void {
    try {
      const f = JSON.parse(json) as Partial<Record<keyof ServerFields, unknown>>;
      for (const key of ['host', 'port', 'user', 'path'] as const) if (f[key] !== undefined) this.fields[key] = String(f[key]);
      this.emit('fields-changed');
    } catch {
      say('rewind: ssh-fill wants a JSON object');
    }
  }

  async continue(): Promise<void> {
    if (this._busy) return;
    if (this._page === 'server') await this._getSetup();
    else if (this._page === 'key') await this._probe();
  }

  back(): void {
    if (this._busy) return;
    this._setError('');
    if (this._page === 'key') this._setPage('server');
    else if (this._page === 'fingerprint') this._setPage('key');
  }

  copy(what: string): void {
    const text = what === 'command' ? this.setup?.acceptKeyCommand : what === 'line' ? this.setup?.authorizedKeysLine : what === 'config' ? this.configSnippet() : undefined;
    const display = Gdk.Display.get_default();
    if (!text || !display) return;
    display.get_clipboard().set(text);
    this.emit('toast', _('Copied'));
  }

  /** The trusted server as a destination entry of the configuration. */
  destination(): SshDestinationConfig {
    const host = this.fields.host.trim();
    return {
      id: 'server',
      kind: 'ssh',
      host,
      port: this._port,
      user: this.fields.user.trim() || DEFAULT_SSH_USER,
      path: this.fields.path.trim(),
      label: host,
      enabled: true,
      compression: 'auto',
    };
  }

  use(): void {
    if (this._page !== 'done') return;
    say(`rewind: ssh use ${this.fields.host.trim()}`);
    this.emit('use-destination', JSON.stringify(this.destination()));
  }

  configSnippet(): string {
    return destinationSnippet({ host: this.fields.host.trim(), port: this._port, user: this.fields.user.trim() || DEFAULT_SSH_USER, path: this.fields.path.trim() });
  }

  private _check(): string | undefined {
    const host = this.fields.host.trim();
    if (!host) return _('Enter the server’s host name or address.');
    if (checkSshHost(host)) return _('The host must be a host name (letters, digits, “-” and “.”) or an IP address.');
    const port = Number(this.fields.port.trim() || DEFAULT_SSH_PORT);
    if (checkSshPort(port)) return _('The port must be a number from 1 to 65535.');
    if (checkSshUser(this.fields.user.trim() || DEFAULT_SSH_USER)) return _('The user must be a user name such as root.');
    if (!/^\/[A-Za-z0-9._+/-]*$/.test(this.fields.path.trim()) || this.fields.path.split('/').includes('..')) {
      return _('The server folder must be an absolute path of letters, digits, “.”, “_”, “+”, “-” and “/”, such as /srv/rewind.');
    }
    this._port = port;
    return undefined;
  }

  private async _getSetup(): Promise<void> {
    const problem = this._check();
    if (problem) {
      this._setError(problem);
      return;
    }
    const reply = await this._call<SshSetup>('GetSshSetup', { path: this.fields.path.trim() });
    if (!reply) return;
    this.setup = reply.value;
    this._setPage('key');
  }

  private async _probe(): Promise<void> {
    const reply = await this._call<HostProbe>('ProbeHost', { host: this.fields.host.trim(), port: this._port, user: this.fields.user.trim() || DEFAULT_SSH_USER });
    if (!reply) return;
    this.probe = reply.value;
    this._confirmChanged.set_state(GLib.Variant.new_boolean(false));
    this._setPage('fingerprint');
  }

  async trust(): Promise<void> {
    const probe = this.probe;
    if (this._busy || this._page !== 'fingerprint' || !probe) return;
    if (probe.state === 'known') {
      this._setPage('done');
      return;
    }
    if (probe.state === 'changed' && !(this._confirmChanged.get_state()?.get_boolean() ?? false)) return;
    // TrustHost answers nothing: it pinned exactly this fingerprint, or it failed.
    if (!(await this._call<undefined>('TrustHost', { host: probe.host, port: probe.port, fingerprint: probe.fingerprint }))) return;
    say(`rewind: ssh trusted ${probe.fingerprint}`);
    this._setPage('done');
  }

  /** One helper call with the flow busy; a failure becomes the page's error message and undefined. */
  private async _call<T>(method: 'GetSshSetup' | 'ProbeHost' | 'TrustHost', request: object): Promise<{ value: T } | undefined> {
    this._setBusy(true);
    this._setError('');
    try {
      return { value: (await this._client.callSshMethod(method, request)) as T };
    } catch (e) {
      const failure = e as Failure;
      say(`rewind: ssh ${method} failed ${failure.code}`);
      if (failure.kind === 'error') this._setError(failure.message);
      else if (failure.kind === 'not-authorised') this._setError(_('The system’s policy does not allow this account to set up backup servers. Ask an administrator.'));
      else if (failure.kind === 'unreachable') this._setError(_('The backup helper is not available. Install the rewind-helper package.'));
      // Dismissed: the user closed the authentication dialog; say nothing.
      return undefined;
    } finally {
      this._setBusy(false);
    }
  }

  private _setPage(page: SshSetupPage): void {
    this._page = page;
    say(`rewind: ssh page ${page}`);
    this.notify('page');
    this._syncActions();
  }

  private _setBusy(busy: boolean): void {
    this._busy = busy;
    this.notify('busy');
    this._syncActions();
  }

  private _setError(message: string): void {
    if (message) say(`rewind: ssh error ${message}`);
    this._errorMessage = message;
    this.notify('error-message');
  }

  private _syncActions(): void {
    const enabled: Record<string, boolean> = {
      'ssh-continue': !this._busy && (this._page === 'server' || this._page === 'key'),
      'ssh-back': !this._busy && (this._page === 'key' || this._page === 'fingerprint'),
      'ssh-trust':
        !this._busy &&
        this._page === 'fingerprint' &&
        (this.probe?.state !== 'changed' || (this._confirmChanged.get_state()?.get_boolean() ?? false)),
      'ssh-copy': !this._busy,
      'ssh-use': this._page === 'done',
      'ssh-fill': true,
    };
    for (const action of this._actions) action.enabled = enabled[action.name] ?? true;
    this._confirmChanged.enabled = !this._busy && this._page === 'fingerprint' && this.probe?.state === 'changed';
  }
}
