import type Gio from 'gi://Gio';
import type GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { ArgsOf, MethodName, ResponseOf } from '../core/contract/methods';
import type { HelperStatus, HistoryPage, Progress } from '../core/status';
import { versionAgreement, type VersionAgreement } from '../core/helper-version';
import { REWIND_VERSION } from '../core/ids';
import { callHelper, newHelperProxy, parseResult, readHelperVersion, type BackupResult, type Failure } from './helper-call';
import { _ } from './i18n';
import { trace } from './trace';

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
  /** The helper is of another release (`helper_version`, `version_agreement`): the app does not call it. */
  | 'other-version'
  | 'error'
  | 'not-configured'
  | 'ready'
  | 'running';

export { classifyError, parseResult, parseStatus, type BackupResult, type Failure } from './helper-call';

/** Methods that take no argument or one JSON string and answer JSON (the contract, src/core/contract/methods.ts). */
export type JsonMethod = 'GetConfig' | 'SetConfig' | 'ListDisks' | 'PrepareDisk' | 'ListRestorePoints' | 'CancelBackup' | 'ListSubvolumes' | RestoreMethod;
/** The restore browser's methods; RestoreFiles may ask for an administrator's password. */
export type RestoreMethod = 'ListFolder' | 'ListVersions' | 'Search' | 'SearchMoments' | 'WhatChanged' | 'RestoreFiles';
export type SshMethod = 'GetSshSetup' | 'ProbeHost' | 'TrustHost' | 'CheckServer';

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
  private _helperVersion: string | null = null;
  private _proxy: Gio.DBusProxy | null = null;
  private _refreshing: Promise<void> | null = null;
  private _refreshAgain = false;
  private _starting = false;
  private _jobId: string | null = null;
  // Signals for jobs seen while BackUpNow has not returned its job id yet.
  private _early: HelperSignal[] = [];

  constructor() {
    super();
    trace(`state ${this._state}`);
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

  /** The helper's release as it said it; null when it has none (older than the property). */
  get helper_version(): string | null {
    return this._helperVersion;
  }

  get version_agreement(): VersionAgreement {
    return versionAgreement(REWIND_VERSION, this._helperVersion ?? undefined);
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
    // Both at once: the version costs no polkit check and adds no wait to the status.
    const version = readHelperVersion(this._getProxy()).then(
      (v) => ({ read: true as const, v }),
      // Not reached at all: the status read says so, below.
      () => ({ read: false as const }),
    );
    const statusRead = this.call('GetStatus');
    // Awaited below, or not at all when the versions differ.
    statusRead.catch(() => undefined);
    const answer = await version;
    if (answer.read) {
      this._helperVersion = answer.v;
      if (this.version_agreement !== 'same') {
        trace(`helper version ${answer.v ?? 'none'}`);
        this._setState('other-version');
        return;
      }
    }
    try {
      // A status this version does not understand comes back as an error Failure that says so.
      const status = await statusRead;
      this._status = status;
      this.notify('status');
      this._setState(this._stateFor(status));
    } catch (e) {
      const failure = e as Failure;
      if (failure.kind === 'unreachable' || failure.kind === 'not-authorised') this._setState(failure.kind);
      else if (failure.kind === 'error') this._fail(failure.message);
      else this._fail(_('Reading the backup status was cancelled.'));
    }
  }

  /** Resolves once the first status was read (or could not be), reading it if nobody asked yet. */
  loaded(): Promise<void> {
    if (this._state !== 'loading') return Promise.resolve();
    return this._refreshing ?? this.refresh();
  }

  /** Asks the helper to back up now, then follows that job to its end. */
  backUpNow(): Promise<void> {
    return this._start(async () => this._follow(await this.call('BackUpNow')));
  }

  /**
   * Asks for the run the timer would start now (the monitor's): followed
   * like Back Up Now's, or postponed by the helper, which recorded it; the
   * status then shows that.
   */
  startScheduledBackup(): Promise<void> {
    return this._start(async () => {
      const answer = await this.call('StartScheduledBackup');
      if ('job' in answer) {
        this._follow(answer.job);
        return;
      }
      trace(`backup postponed ${answer.postponed}`);
      this._early = [];
      void this.refresh();
    });
  }

  private async _start(starting: () => Promise<void>): Promise<void> {
    if (!this.can_back_up) return;
    this._setStarting(true);
    try {
      await starting();
    } catch (e) {
      const failure = e as Failure;
      this._early = [];
      trace(`backup failed ${failure.code}`);
      if (failure.kind === 'unreachable') {
        this._setState(failure.kind);
      } else if (failure.kind === 'not-authorised') {
        // Only starting a backup is refused: the status this account may read stays on screen, with why.
        this.emit('backup-refused', _('The system’s policy does not allow this account to start backups. Ask an administrator.'));
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
   * Calls a helper method as the contract (src/core/contract/methods.ts)
   * declares it: its argument, its timeout, its answer decoded to its type.
   * A failure rejects with the classified Failure, so the caller can show
   * the helper's message.
   */
  call<M extends MethodName>(method: M, ...args: ArgsOf<M>): Promise<ResponseOf<M>> {
    return callHelper(this._getProxy(), method, ...args);
  }

  /**
   * One of the SSH setup methods (GetSshSetup, ProbeHost, TrustHost); shapes
   * in core/ssh. `call` checks the request's type too; this takes any object.
   */
  callSshMethod<M extends SshMethod>(method: M, request: object): Promise<ResponseOf<M>> {
    return this.call(method, ...([request] as ArgsOf<M>));
  }

  /** A setup or restore method: JSON in (or nothing), JSON out; like callSshMethod, any object. */
  callJson<M extends JsonMethod>(method: M, request?: object): Promise<ResponseOf<M>> {
    return this.call(method, ...((request === undefined ? [] : [request]) as ArgsOf<M>));
  }

  /** GetHistory: the newest `limit` runs, newest first. */
  getHistory(limit: number): Promise<HistoryPage> {
    return this.call('GetHistory', limit);
  }

  /**
   * Asks the helper to stop the running backup; its Completed signal then
   * ends the job as usual. Resolves to a sentence to show when it could not.
   */
  async cancelBackup(): Promise<string | undefined> {
    if (this._state !== 'running') return undefined;
    try {
      await this.callJson('CancelBackup');
      trace('cancel requested');
      return undefined;
    } catch (e) {
      const failure = e as Failure;
      trace(`cancel failed ${failure.code}`);
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
    return newHelperProxy().then((proxy) => {
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
      trace(result.ok ? 'backup completed ok' : `backup failed ${result.code}`);
      this._finish(result);
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
    trace('backup failed HelperExited');
    this._finish({ ok: false, code: 'HelperExited', message: _('The backup helper stopped before the backup finished. Try again.') });
    void this.refresh();
  }

  private _finish(result: BackupResult): void {
    this._jobId = null;
    this._progress = null;
    this.notify('progress');
    this._lastResult = result;
    this.notify('last-result');
    if (this._state === 'running') this._setState(this._status?.configured === false ? 'not-configured' : 'ready');
    this.emit('backup-finished', result.ok, result.message ?? '');
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
    trace(`state ${state}`);
    this.notify('state');
    this.notify('can-back-up');
  }
}
