import Gdk from 'gi://Gdk?version=4.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Destination, SshDestinationConfig } from '../../core/config';
import { destinationAt } from '../../core/destination-identity';
import { destinationName } from '../../core/destination-name';
import { checkSshHost, checkSshPort, checkSshUser, DEFAULT_SSH_PORT, type HostProbe, type SshSetup } from '../../core/ssh';
import type { ServerCheck } from '../../core/server-check';
import type { HelperClient } from '../helper-client';
import { _, fmt } from '../i18n';
import { trace } from '../trace';
import { WizardModel } from '../wizard/wizard-model';

// A string, not a regular expression literal: xgettext reads the '/' inside its brackets as its end and loses every string after it.
const SERVER_FOLDER = new RegExp('^/[A-Za-z0-9._+/-]*$');

/**
 * First contact with a backup server, as steps (the "page" property):
 * - server: host, port, user and the server's backup folder; one that
 *   already is a destination (same host, port, user and folder) goes no further;
 * - key: GetSshSetup's accept-key command and authorized_keys line, to copy
 *   and run on the server;
 * - fingerprint: ProbeHost's SHA256 fingerprint of the server's key, to
 *   compare with what the server shows; a key other than the one trusted
 *   before is a warning, and trusting it needs an explicit confirmation;
 * - done: the key is pinned (TrustHost), and the connection test
 *   (CheckServer, again with ssh.test) proves that this computer's key is
 *   accepted and the folder can be written, and says what the server is.
 *   Where the server keeps compressed files, "Encrypt backups"
 *   (ssh.encrypt) is offered; the recovery key is shown once the
 *   destination is saved (SetConfig's newKeys, ../recovery-key-window).
 *   Only then does "Add Server" (ssh.use) hand the destination to whoever
 *   opened the dialog (signal use-destination): the setup flow, or the
 *   application, which adds it to the configuration.
 *
 * The steps are actions of the `ssh` group (ssh.continue, …): the dialog's
 * buttons name them, and tests activate them over org.gtk.Actions.
 */
export type SshSetupPage = 'server' | 'key' | 'fingerprint' | 'done';

export interface ServerFields {
  host: string;
  port: string;
  user: string;
  path: string;
}

export const DEFAULT_SERVER_PATH = '/srv/rewind';

/**
 * The account on the server, at first: the person's own user name (the same
 * name on both machines is the usual case), which needs no administrator for
 * backups to arrive; root only for a person who is root here.
 */
export function defaultServerUser(): string {
  const name = GLib.get_user_name();
  return checkSshUser(name) === undefined ? name : '';
}

function emptyFields(): ServerFields {
  return { host: '', port: String(DEFAULT_SSH_PORT), user: defaultServerUser(), path: DEFAULT_SERVER_PATH };
}

export class SshSetupFlow extends WizardModel {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindSshSetupFlow',
        Signals: {
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
  fields: ServerFields = emptyFields();
  setup: SshSetup | null = null;
  probe: HostProbe | null = null;
  /** The last connection test's answer; null before one, or while it runs. */
  check: ServerCheck | null = null;
  /** Whether the connection test is running. */
  testing = false;
  /** The port as checked on the server page. */
  private _port = DEFAULT_SSH_PORT;
  private _confirmChanged: Gio.SimpleAction;
  /** "Encrypt backups" (ssh.encrypt), offered where the server keeps compressed files. */
  private _encrypt: Gio.SimpleAction;
  /** The configured destinations, read when the dialog opens: a server is not added twice. */
  private _configured: Promise<Destination[]> = Promise.resolve([]);

  constructor(client: HelperClient) {
    super({
      traceName: 'ssh',
      firstPage: 'server',
      notAuthorised: _('The system’s policy does not allow this account to set up backup servers. Ask an administrator.'),
    });
    this._client = client;
    this._addAction('continue', () => void this.continue());
    this._addAction('back', () => this.back());
    this._addAction('trust', () => void this.trust());
    this._addAction('copy', (p) => this.copy(p), 's');
    this._addAction('use', () => this.use());
    this._addAction('test', () => void this.test());
    // Test hook (documented in docs/architecture.md): fills the server page from JSON {host, port, user, path}.
    this._addAction('fill', (p) => this.fill(p), 's');
    this._confirmChanged = new Gio.SimpleAction({ name: 'confirm-changed', state: GLib.Variant.new_boolean(false) });
    this._confirmChanged.connect('change-state', (action, value: GLib.Variant) => {
      action.set_state(value);
      this._syncActions();
    });
    this.actions.add_action(this._confirmChanged);
    this._encrypt = new Gio.SimpleAction({ name: 'encrypt', state: GLib.Variant.new_boolean(false) });
    this._encrypt.connect('change-state', (action, value: GLib.Variant) => {
      action.set_state(value);
      this._trace(`encrypt ${value.get_boolean()}`);
      this.emit('changed');
    });
    this.actions.add_action(this._encrypt);
    this._syncActions();
  }

  /** Whether the server keeps compressed files, where the backups can be encrypted. */
  get canEncrypt(): boolean {
    return this.check?.ok === true && this.check.store === 'files';
  }

  /** Whether the backups will be encrypted: asked for, and possible there. */
  get encrypt(): boolean {
    return this.canEncrypt && (this._encrypt.get_state()?.get_boolean() ?? false);
  }

  override get page(): SshSetupPage {
    return this._page as SshSetupPage;
  }

  /** Every page is a step the person takes: the connection test and Add Server are the last of them. */
  override get steps(): SshSetupPage[] {
    return ['server', 'key', 'fingerprint', 'done'];
  }

  override hasBack(page: string): boolean {
    // From the connection test back to the commands for the server, when it says one was not run.
    return page === 'key' || page === 'fingerprint' || page === 'done';
  }

  /** Back to an empty first page (a new dialog). */
  reset(): void {
    this.fields = emptyFields();
    this.setup = null;
    this.probe = null;
    this.check = null;
    this._setError('');
    this._confirmChanged.set_state(GLib.Variant.new_boolean(false));
    this._encrypt.set_state(GLib.Variant.new_boolean(false));
    // No configuration yet (a first setup) has nothing in use.
    this._configured = this._client.callJson('GetConfig').then(
      (config) => config.destinations,
      () => [],
    );
    this.emit('changed');
    this._setPage('server');
  }

  fill(json: string): void {
    try {
      const f = JSON.parse(json) as Partial<Record<keyof ServerFields, unknown>>;
      for (const key of ['host', 'port', 'user', 'path'] as const) if (f[key] !== undefined) this.fields[key] = String(f[key]);
      this.emit('changed');
    } catch {
      trace('ssh.fill wants a JSON object');
    }
  }

  async continue(): Promise<void> {
    if (this.busy) return;
    if (this.page === 'server') await this._getSetup();
    else if (this.page === 'key') await this._probe();
  }

  back(): void {
    if (this.busy) return;
    this._setError('');
    if (this.page === 'key') this._setPage('server');
    else if (this.page === 'fingerprint' || this.page === 'done') this._setPage('key');
  }

  copy(what: string): void {
    const setup = this.setup;
    const texts: Record<string, string | undefined> = {
      install: setup?.installCommand,
      folder: setup?.folderCommand,
      command: setup?.acceptKeyCommand,
      line: setup?.authorizedKeysLine,
    };
    const text = Object.hasOwn(texts, what) ? texts[what] : undefined;
    const display = Gdk.Display.get_default();
    if (!text || !display) return;
    display.get_clipboard().set(text);
    this.emit('toast', _('Copied'));
  }

  get host(): string {
    return this.fields.host.trim();
  }

  /** The account on the server, as entered. */
  get user(): string {
    return this.fields.user.trim();
  }

  /**
   * The trusted server as a destination entry of the configuration. Its store
   * is the server's to choose at each run, except with encryption: the
   * encrypted files are pinned (an encrypted backup cannot become a snapshot).
   */
  destination(): SshDestinationConfig {
    const host = this.host;
    const entry: SshDestinationConfig = { id: 'server', kind: 'ssh', host, port: this._port, user: this.user, path: this.fields.path.trim(), label: host, enabled: true, compression: 'auto' };
    return this.encrypt ? { ...entry, store: 'files', encrypt: true } : entry;
  }

  use(): void {
    if (this.page !== 'done' || !this.check?.ok) return;
    this._trace(`use ${this.host}`);
    this.emit('use-destination', JSON.stringify(this.destination()));
  }

  async trust(): Promise<void> {
    const probe = this.probe;
    if (this.busy || this.page !== 'fingerprint' || !probe) return;
    if (probe.state === 'known') {
      this._setPage('done');
      await this.test();
      return;
    }
    if (probe.state === 'changed' && !this._confirmed()) return;
    // TrustHost answers nothing: it pinned exactly this fingerprint, or it failed.
    const request = { host: probe.host, port: probe.port, fingerprint: probe.fingerprint };
    if (!(await this._call('TrustHost', () => this._client.callSshMethod('TrustHost', request)))) return;
    this._trace(`trusted ${probe.fingerprint}`);
    this._setPage('done');
    await this.test();
  }

  /** The connection test: the server as a run will meet it. Its answer is shown in words by the done page. */
  async test(): Promise<void> {
    if (this.busy || this.page !== 'done') return;
    this.check = null;
    this.testing = true;
    this.emit('changed');
    const request = { host: this.host, port: this._port, user: this.user };
    const reply = await this._call('CheckServer', () => this._client.callSshMethod('CheckServer', request));
    this.testing = false;
    this.emit('changed');
    if (!reply) return;
    this.check = reply.value;
    this._trace(this.check.ok ? `checked ok ${this.check.store}` : `checked ${this.check.problem}`);
    // Encryption is only for compressed files: what was asked for another server is not carried over.
    if (!this.canEncrypt) this._encrypt.set_state(GLib.Variant.new_boolean(false));
    this.emit('changed');
    this._syncActions();
  }

  protected override _enabledActions(): Record<string, boolean> {
    const idle = !this.busy;
    const page = this.page;
    return {
      continue: idle && (page === 'server' || page === 'key'),
      back: idle && this.hasBack(page),
      trust: idle && page === 'fingerprint' && (this.probe?.state !== 'changed' || this._confirmed()),
      copy: idle,
      use: idle && page === 'done' && this.check?.ok === true,
      test: idle && page === 'done',
      fill: true,
      'confirm-changed': idle && page === 'fingerprint' && this.probe?.state === 'changed',
      encrypt: idle && page === 'done' && this.canEncrypt,
    };
  }

  private _confirmed(): boolean {
    return this._confirmChanged.get_state()?.get_boolean() ?? false;
  }

  private _check(): string | undefined {
    const host = this.host;
    if (!host) return _('Enter the server’s host name or address.');
    if (checkSshHost(host)) return _('The host must be a host name (letters, digits, “-” and “.”) or an IP address.');
    const port = Number(this.fields.port.trim() || DEFAULT_SSH_PORT);
    if (checkSshPort(port)) return _('The port must be a number from 1 to 65535.');
    if (!this.user) return _('Enter the user name backups arrive as on the server.');
    if (checkSshUser(this.user)) return _('The user must be a user name on the server: letters, digits, “.”, “_” and “-”.');
    if (!SERVER_FOLDER.test(this.fields.path.trim()) || this.fields.path.split('/').includes('..')) {
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
    const place = { kind: 'server' as const, host: this.host, port: this._port, user: this.user, path: this.fields.path.trim() };
    const used = destinationAt(await this._configured, place);
    if (used) {
      // Translators: %s is the name of the destination that already is this server's folder.
      this._setError(fmt(_('This folder on this server is already used for backups, as “%s”.'), destinationName(used)));
      return;
    }
    const request = { path: this.fields.path.trim(), user: this.user };
    const reply = await this._call('GetSshSetup', () => this._client.callSshMethod('GetSshSetup', request));
    if (!reply) return;
    this.setup = reply.value;
    this._setPage('key');
  }

  private async _probe(): Promise<void> {
    const request = { host: this.host, port: this._port, user: this.user };
    const reply = await this._call('ProbeHost', () => this._client.callSshMethod('ProbeHost', request));
    if (!reply) return;
    this.probe = reply.value;
    this._confirmChanged.set_state(GLib.Variant.new_boolean(false));
    this._setPage('fingerprint');
  }
}
