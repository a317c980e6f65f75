import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import { HELPER_INTERFACE_XML } from '../core/dbus-interface';
import { errorCodeFromDbusName, type ErrorCode } from '../core/errors';
import { HELPER_BUS_NAME, HELPER_INTERFACE, HELPER_OBJECT_PATH } from '../core/ids';
import type { HelperStatus, HistoryPage, Progress, RunRecord } from '../core/status';
import { _ } from './i18n';

/**
 * The app's model of the privileged helper, which it reaches on the system
 * bus only. The helper is D-Bus activated, so every call may start it.
 *
 * States, decided in this order:
 * - unreachable: the bus or the helper cannot be reached (no system bus, the
 *   name is not activatable, or activation failed);
 * - not-authorised: polkit refused the call (…Error.NotAuthorized);
 * - error: any other failure to read the status; `error-message` says why;
 * - not-configured: the status says backups are not configured;
 * - running: a backup job is running (ours, the timer's or another client's);
 * - ready: configured and idle;
 * - loading: the first status has not arrived yet.
 */
export type HelperState =
  | 'loading'
  | 'unreachable'
  | 'not-authorised'
  | 'error'
  | 'not-configured'
  | 'ready'
  | 'running';

/** How one backup that this client followed ended. */
export interface BackupResult {
  ok: boolean;
  /** An ErrorCode from the helper, or why the helper could not be asked. */
  code?: string;
  message?: string;
}

/** One line on stdout per state change and outcome; tests read them, nothing else does. */
function say(line: string): void {
  print(line);
}

const GET_STATUS_TIMEOUT_MS = 25_000;
// BackUpNow returns as soon as polkit said yes; the prompt may take a while.
const BACK_UP_NOW_TIMEOUT_MS = 60_000;
// The configure action asks for a password; ProbeHost then connects to the server.
const SSH_METHOD_TIMEOUT_MS = 120_000;
// PrepareDisk runs mkfs.btrfs; ListRestorePoints opens every destination.
const SETUP_METHOD_TIMEOUT_MS = 180_000;

/** Methods that take no argument or one JSON string and answer JSON (src/core/dbus-interface.ts). */
export type JsonMethod = 'GetConfig' | 'SetConfig' | 'ListDisks' | 'PrepareDisk' | 'ListRestorePoints' | 'CancelBackup' | 'ListSubvolumes' | RestoreMethod;
/** The restore browser's methods; RestoreFiles may ask for an administrator's password. */
export type RestoreMethod = 'ListFolder' | 'Search' | 'WhatChanged' | 'RestoreFiles';

export type Failure =
  | { kind: 'unreachable'; code: string }
  | { kind: 'not-authorised'; code: string }
  | { kind: 'dismissed'; code: ErrorCode }
  | { kind: 'error'; code: string; message: string };

const UNREACHABLE_NAMES = [
  'org.freedesktop.DBus.Error.ServiceUnknown',
  'org.freedesktop.DBus.Error.NameHasNoOwner',
  'org.freedesktop.DBus.Error.NoServer',
];
const UNREACHABLE_PREFIXES = ['org.freedesktop.DBus.Error.Spawn.', 'org.freedesktop.systemd1.'];
// GDBusProxy reports a failed activation with a prefixed message, so the
// remote name is gone; the registered error code still says what happened.
const UNREACHABLE_CODES = [
  Gio.DBusError.SERVICE_UNKNOWN,
  Gio.DBusError.NAME_HAS_NO_OWNER,
  Gio.DBusError.NO_SERVER,
  Gio.DBusError.SPAWN_EXEC_FAILED,
  Gio.DBusError.SPAWN_FORK_FAILED,
  Gio.DBusError.SPAWN_CHILD_EXITED,
  Gio.DBusError.SPAWN_CHILD_SIGNALED,
  Gio.DBusError.SPAWN_FAILED,
  Gio.DBusError.SPAWN_SETUP_FAILED,
  Gio.DBusError.SPAWN_CONFIG_INVALID,
  Gio.DBusError.SPAWN_SERVICE_INVALID,
  Gio.DBusError.SPAWN_SERVICE_NOT_FOUND,
  Gio.DBusError.SPAWN_PERMISSIONS_INVALID,
  Gio.DBusError.SPAWN_FILE_INVALID,
  Gio.DBusError.SPAWN_NO_MEMORY,
];

export function classifyError(error: unknown): Failure {
  if (!(error instanceof GLib.Error)) {
    return { kind: 'error', code: 'Internal', message: String(error) };
  }
  // Before the remote name: GDBus names its own timeouts too, with a terse message.
  if (
    error.matches(Gio.DBusError, Gio.DBusError.TIMEOUT) ||
    error.matches(Gio.DBusError, Gio.DBusError.NO_REPLY) ||
    error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT)
  ) {
    return { kind: 'error', code: 'Timeout', message: _('The backup helper did not answer in time. Try again.') };
  }
  const remote = Gio.DBusError.get_remote_error(error);
  if (remote) {
    if (UNREACHABLE_NAMES.includes(remote) || UNREACHABLE_PREFIXES.some((p) => remote.startsWith(p))) {
      return { kind: 'unreachable', code: remote };
    }
    // The bus's own policy refusing the call says the same as polkit refusing it.
    if (remote === 'org.freedesktop.DBus.Error.AccessDenied') return { kind: 'not-authorised', code: 'AccessDenied' };
    const code = errorCodeFromDbusName(remote);
    if (code === 'NotAuthorized') return { kind: 'not-authorised', code };
    if (code === 'Dismissed') return { kind: 'dismissed', code };
    Gio.DBusError.strip_remote_error(error);
    // The helper's messages are sentences written for people.
    return { kind: 'error', code: code ?? remote, message: error.message };
  }
  if (error.domain === Gio.DBusError.quark() && UNREACHABLE_CODES.includes(error.code)) {
    return { kind: 'unreachable', code: 'Spawn' };
  }
  // No system bus at all (e.g. its socket is missing).
  if (error.domain === Gio.io_error_quark()) return { kind: 'unreachable', code: 'NoBus' };
  return { kind: 'error', code: 'Internal', message: error.message };
}

/** Parses GetStatus' JSON, checking only what the app relies on. */
export function parseStatus(json: string): HelperStatus | null {
  try {
    const status = JSON.parse(json) as HelperStatus;
    if (typeof status !== 'object' || status === null) return null;
    if (typeof status.configured !== 'boolean' || typeof status.running !== 'boolean') return null;
    if (!Array.isArray(status.destinations) || !Array.isArray(status.sources)) return null;
    return status;
  } catch {
    return null;
  }
}

/** Completed's result JSON: a run record, or an error report on its own. */
export function parseResult(success: boolean, json: string): BackupResult {
  let record: Partial<RunRecord> & { code?: string; message?: string } = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === 'object' && parsed !== null) record = parsed;
  } catch {
    // An unreadable result still has its success flag.
  }
  if (success) return { ok: true };
  const report = record.error ?? (record.code ? { code: record.code, message: record.message } : undefined);
  return {
    ok: false,
    code: report?.code ?? 'Internal',
    message: report?.message ?? _('The backup failed.'),
  };
}

function call(proxy: Gio.DBusProxy, method: string, timeout: number): Promise<GLib.Variant> {
  return new Promise((resolve, reject) => {
    proxy.call(method, null, Gio.DBusCallFlags.NONE, timeout, null, (_p, result) => {
      try {
        resolve(proxy.call_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function callWith(proxy: Gio.DBusProxy, method: string, json: string | null, timeout: number): Promise<GLib.Variant> {
  return new Promise((resolve, reject) => {
    proxy.call(method, json === null ? null : new GLib.Variant('(s)', [json]), Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, timeout, null, (_p, result) => {
      try {
        resolve(proxy.call_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function callLimit(proxy: Gio.DBusProxy, method: string, limit: number, timeout: number): Promise<GLib.Variant> {
  return new Promise((resolve, reject) => {
    proxy.call(method, new GLib.Variant('(u)', [limit]), Gio.DBusCallFlags.NONE, timeout, null, (_p, result) => {
      try {
        resolve(proxy.call_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function newProxy(): Promise<Gio.DBusProxy> {
  const info = Gio.DBusNodeInfo.new_for_xml(HELPER_INTERFACE_XML).lookup_interface(HELPER_INTERFACE);
  return new Promise((resolve, reject) => {
    // Auto-start stays allowed: the helper is D-Bus activated.
    Gio.DBusProxy.new_for_bus(
      Gio.BusType.SYSTEM,
      Gio.DBusProxyFlags.DO_NOT_LOAD_PROPERTIES,
      info,
      HELPER_BUS_NAME,
      HELPER_OBJECT_PATH,
      HELPER_INTERFACE,
      null,
      (_o, result) => {
        try {
          resolve(Gio.DBusProxy.new_for_bus_finish(result));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

type HelperSignal = { name: 'Progress' | 'Completed'; args: unknown[] };

export class HelperClient extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindHelperClient',
        Properties: {
          state: GObject.ParamSpec.string('state', null, null, GObject.ParamFlags.READABLE, 'loading'),
          status: GObject.ParamSpec.jsobject('status', null, null, GObject.ParamFlags.READABLE),
          progress: GObject.ParamSpec.jsobject('progress', null, null, GObject.ParamFlags.READABLE),
          'last-result': GObject.ParamSpec.jsobject('last-result', null, null, GObject.ParamFlags.READABLE),
          'error-message': GObject.ParamSpec.string('error-message', null, null, GObject.ParamFlags.READABLE, ''),
          'can-back-up': GObject.ParamSpec.boolean('can-back-up', null, null, GObject.ParamFlags.READABLE, false),
        },
        Signals: {
          // ok, message: a backup this client asked for or followed has ended.
          'backup-finished': { param_types: [GObject.TYPE_BOOLEAN, GObject.TYPE_STRING] },
          // message: the helper did not start the backup this client asked for.
          'backup-refused': { param_types: [GObject.TYPE_STRING] },
        },
      },
      this,
    );
  }

  private _state: HelperState = 'loading';
  private _status: HelperStatus | null = null;
  private _progress: Progress | null = null;
  private _lastResult: BackupResult | null = null;
  private _errorMessage = '';
  private _proxy: Gio.DBusProxy | null = null;
  private _refreshing: Promise<void> | null = null;
  private _refreshAgain = false;
  private _starting = false;
  private _jobId: string | null = null;
  // Signals for jobs seen while BackUpNow has not returned its job id yet.
  private _early: HelperSignal[] = [];

  constructor() {
    super();
    say(`rewind: state ${this._state}`);
  }

  get state(): HelperState {
    return this._state;
  }

  get status(): HelperStatus | null {
    return this._status;
  }

  get progress(): Progress | null {
    return this._progress;
  }

  get last_result(): BackupResult | null {
    return this._lastResult;
  }

  get error_message(): string {
    return this._errorMessage;
  }

  get can_back_up(): boolean {
    return this._state === 'ready' && !this._starting;
  }

  /**
   * Reads the status again. A call while GetStatus is in flight asks for one
   * more read after it, since that answer may predate what prompted the call.
   */
  refresh(): Promise<void> {
    if (this._refreshing) {
      this._refreshAgain = true;
      return this._refreshing;
    }
    this._refreshing = (async () => {
      do {
        this._refreshAgain = false;
        await this._refresh();
      } while (this._refreshAgain);
    })().finally(() => {
      this._refreshing = null;
    });
    return this._refreshing;
  }

  private async _refresh(): Promise<void> {
    // Keep a page that shows status on screen; show loading when there is none.
    if (!['ready', 'running', 'not-configured'].includes(this._state)) this._setState('loading');
    try {
      const proxy = await this._getProxy();
      const [json] = (await call(proxy, 'GetStatus', GET_STATUS_TIMEOUT_MS)).deep_unpack() as [string];
      const status = parseStatus(json);
      if (!status) {
        this._fail(_('The backup helper sent a status this version of Rewind does not understand. Update Rewind and the helper to the same version.'));
        return;
      }
      this._status = status;
      this.notify('status');
      this._setState(this._stateFor(status));
    } catch (e) {
      const failure = classifyError(e);
      if (failure.kind === 'unreachable' || failure.kind === 'not-authorised') this._setState(failure.kind);
      else if (failure.kind === 'error') this._fail(failure.message);
      else this._fail(_('Reading the backup status was cancelled.'));
    }
  }

  /** Asks the helper to back up now, then follows that job to its end. */
  async backUpNow(): Promise<void> {
    if (!this.can_back_up) return;
    this._setStarting(true);
    try {
      const proxy = await this._getProxy();
      const [jobId] = (await call(proxy, 'BackUpNow', BACK_UP_NOW_TIMEOUT_MS)).deep_unpack() as [string];
      this._follow(jobId);
    } catch (e) {
      const failure = classifyError(e);
      this._early = [];
      say(`rewind: backup failed ${failure.code}`);
      if (failure.kind === 'unreachable' || failure.kind === 'not-authorised') {
        this._setState(failure.kind);
      } else if (failure.kind === 'error') {
        this._lastResult = { ok: false, code: failure.code, message: failure.message };
        this.notify('last-result');
        this.emit('backup-refused', failure.message);
        // Busy and the like: the status may have changed under us.
        void this.refresh();
      }
      // Dismissed: the user closed the authentication dialog; say nothing.
    } finally {
      this._setStarting(false);
    }
  }

  /**
   * One of the SSH setup methods (GetSshSetup, ProbeHost, TrustHost): JSON
   * in, JSON out, shapes in core/ssh. A failure rejects with the classified
   * Failure, so the caller can show the helper's message.
   */
  async callSshMethod(method: 'GetSshSetup' | 'ProbeHost' | 'TrustHost', request: object): Promise<unknown> {
    try {
      const proxy = await this._getProxy();
      const reply = await callWith(proxy, method, JSON.stringify(request), SSH_METHOD_TIMEOUT_MS);
      const [json] = (reply.deep_unpack() as string[] | undefined) ?? [];
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    } catch (e) {
      throw classifyError(e);
    }
  }

  /**
   * A setup method: JSON in (or nothing), JSON out. A failure rejects with
   * the classified Failure, like callSshMethod.
   */
  async callJson(method: JsonMethod, request?: object): Promise<unknown> {
    try {
      const proxy = await this._getProxy();
      const reply = await callWith(proxy, method, request === undefined ? null : JSON.stringify(request), SETUP_METHOD_TIMEOUT_MS);
      const [json] = (reply.deep_unpack() as string[] | undefined) ?? [];
      return json === undefined || json === '' ? undefined : (JSON.parse(json) as unknown);
    } catch (e) {
      throw classifyError(e);
    }
  }

  /** GetHistory: the newest `limit` runs, newest first. Rejects with the classified Failure. */
  async getHistory(limit: number): Promise<HistoryPage> {
    let json: string;
    try {
      const proxy = await this._getProxy();
      [json] = (await callLimit(proxy, 'GetHistory', limit, GET_STATUS_TIMEOUT_MS)).deep_unpack() as [string];
    } catch (e) {
      throw classifyError(e);
    }
    let page: HistoryPage | undefined;
    try {
      page = JSON.parse(json) as HistoryPage;
    } catch {
      // handled below
    }
    if (!Array.isArray(page?.runs)) {
      const failure: Failure = { kind: 'error', code: 'Internal', message: _('The backup helper sent a history this version of Rewind does not understand. Update Rewind and the helper to the same version.') };
      throw failure;
    }
    return page;
  }

  /**
   * Asks the helper to stop the running backup; its Completed signal then
   * ends the job as usual. Resolves to a sentence to show when it could not.
   */
  async cancelBackup(): Promise<string | undefined> {
    if (this._state !== 'running') return undefined;
    try {
      await this.callJson('CancelBackup');
      say('rewind: cancel requested');
      return undefined;
    } catch (e) {
      const failure = e as Failure;
      say(`rewind: cancel failed ${failure.code}`);
      if (failure.code === 'org.freedesktop.DBus.Error.UnknownMethod' || failure.code === 'UnknownMethod') {
        return _('Cancelling a backup is not available in this version of the backup helper yet.');
      }
      if (failure.kind === 'not-authorised') return _('The system’s policy does not allow this account to cancel backups.');
      if (failure.kind === 'error') return failure.message;
      return undefined;
    }
  }

  private _getProxy(): Promise<Gio.DBusProxy> {
    if (this._proxy) return Promise.resolve(this._proxy);
    return newProxy().then((proxy) => {
      this._proxy ??= proxy;
      if (this._proxy === proxy) {
        proxy.connect('g-signal', (_p, _sender, name: string, params: GLib.Variant) =>
          this._onSignal({ name: name as HelperSignal['name'], args: params.deep_unpack() as unknown[] }),
        );
        proxy.connect('notify::g-name-owner', () => this._onOwnerChanged());
      }
      return this._proxy;
    });
  }

  private _onSignal(signal: HelperSignal): void {
    if (signal.name !== 'Progress' && signal.name !== 'Completed') return;
    const jobId = signal.args[0] as string;
    if (this._starting && this._jobId === null) {
      this._early.push(signal);
      return;
    }
    if (this._jobId === null && signal.name === 'Progress') this._follow(jobId);
    if (jobId !== this._jobId) {
      // Another job (the timer's, another user's) ended: show its outcome.
      if (signal.name === 'Completed') void this.refresh();
      return;
    }
    if (signal.name === 'Progress') {
      try {
        this._progress = JSON.parse(signal.args[1] as string) as Progress;
        this.notify('progress');
      } catch {
        // A malformed progress report is not worth stopping for.
      }
    } else {
      const result = parseResult(signal.args[1] as boolean, signal.args[2] as string);
      say(result.ok ? 'rewind: backup completed ok' : `rewind: backup failed ${result.code}`);
      this._finish(result.ok, result.code, result.message);
      void this.refresh();
    }
  }

  private _follow(jobId: string): void {
    this._jobId = jobId;
    this._progress = null;
    this.notify('progress');
    this._setState('running');
    const early = this._early;
    this._early = [];
    for (const signal of early) this._onSignal(signal);
  }

  /** The helper left the bus while running our job: it will never complete it. */
  private _onOwnerChanged(): void {
    if (this._proxy?.g_name_owner || this._jobId === null) return;
    say('rewind: backup failed HelperExited');
    this._finish(false, 'HelperExited', _('The backup helper stopped before the backup finished. Try again.'));
    void this.refresh();
  }

  private _finish(ok: boolean, code: string | undefined, message: string | undefined): void {
    this._jobId = null;
    this._progress = null;
    this.notify('progress');
    this._lastResult = { ok, code, message };
    this.notify('last-result');
    if (this._state === 'running') this._setState(this._status?.configured === false ? 'not-configured' : 'ready');
    this.emit('backup-finished', ok, message ?? '');
  }

  private _stateFor(status: HelperStatus): HelperState {
    if (!status.configured) return 'not-configured';
    return status.running || this._jobId !== null ? 'running' : 'ready';
  }

  private _fail(message: string): void {
    this._errorMessage = message;
    this.notify('error-message');
    this._setState('error');
  }

  private _setStarting(starting: boolean): void {
    this._starting = starting;
    this.notify('can-back-up');
  }

  private _setState(state: HelperState): void {
    if (state === this._state) return;
    this._state = state;
    say(`rewind: state ${state}`);
    this.notify('state');
    this.notify('can-back-up');
  }
}
