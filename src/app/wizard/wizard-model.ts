import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Failure } from '../helper-client';
import { _ } from '../i18n';
import { trace } from '../trace';

/**
 * What Set Up Backups and Add Backup Server have in common: a dialog of
 * steps (the "page" property) over a model that calls the helper. The model
 * is busy while the helper answers, has one error message for the page, and
 * owns an action group (`setup.*`, `ssh.*`) that the dialog's buttons name
 * and the tests activate over org.gtk.Actions. Each page change, error and
 * failed call prints a trace line: `<trace name> page NAME`,
 * `<trace name> error MESSAGE`, `<trace name> METHOD failed CODE`.
 *
 * A subclass names its steps, says which actions are enabled, and says which
 * pages have a Back button. Every page can be cancelled (`<group>.cancel`).
 */
export interface WizardOptions {
  /** The first word of the model's trace lines. */
  traceName: string;
  firstPage: string;
  /** Also print `<trace name> idle` when a call ends (a driver waits for it). */
  traceIdle?: boolean;
  /** The sentence for a call polkit refused. */
  notAuthorised: string;
}

export class WizardModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindWizardModel',
        Properties: {
          page: GObject.ParamSpec.string('page', null, null, GObject.ParamFlags.READABLE, ''),
          busy: GObject.ParamSpec.boolean('busy', null, null, GObject.ParamFlags.READABLE, false),
          'error-message': GObject.ParamSpec.string('error-message', null, null, GObject.ParamFlags.READABLE, ''),
        },
        Signals: {
          // What the pages show changed: they show it again.
          changed: {},
          // Cancel: the dialog closes; nothing of the steps taken is saved.
          cancelled: {},
        },
      },
      this,
    );
  }

  /** The dialog inserts it as `setup` or `ssh`; the application exports it on the session bus. */
  readonly actions = new Gio.SimpleActionGroup();
  protected _page: string;
  private _busy = false;
  private _errorMessage = '';
  private _options: WizardOptions;

  constructor(options: WizardOptions) {
    super();
    this._options = options;
    this._page = options.firstPage;
    this._addAction('cancel', () => {
      this._trace('cancelled');
      this.emit('cancelled');
    });
  }

  get page(): string {
    return this._page;
  }

  get busy(): boolean {
    return this._busy;
  }

  get error_message(): string {
    return this._errorMessage;
  }

  /** The numbered steps, for "Step x of N"; a page not in it has no number. */
  get steps(): string[] {
    return [];
  }

  /** The page's place in `steps` (-1: no number); a page between two steps may count as the one it belongs to. */
  stepOf(page: string): number {
    return this.steps.indexOf(page);
  }

  /** Whether the page has a Back button (else it has Cancel). */
  hasBack(_page: string): boolean {
    return false;
  }

  /** Which of the group's actions are enabled now; an action not named is enabled. */
  protected _enabledActions(): Record<string, boolean> {
    return {};
  }

  /** Adds an action to the group; a parameter arrives unpacked (a string), or null. */
  protected _addAction(name: string, activate: (parameter: string) => void, parameterType: string | null = null): Gio.SimpleAction {
    const action = parameterType ? new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType(parameterType) }) : new Gio.SimpleAction({ name });
    action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
    this.actions.add_action(action);
    return action;
  }

  protected _trace(line: string): void {
    trace(`${this._options.traceName} ${line}`);
  }

  /**
   * One helper call with the model busy; a failure becomes the page's error
   * message and undefined. `quiet`: a failure is expected and says nothing.
   * Dismissed (the person closed the password dialog) is no failure, but the
   * page says what did not happen and that they can try again (`dismissed`),
   * rather than wait for an answer that is not coming.
   */
  protected async _call<T>(method: string, call: () => Promise<T>, quiet = false, dismissed?: string): Promise<{ value: T } | undefined> {
    this._setBusy(true);
    if (!quiet) this._setError('');
    try {
      return { value: await call() };
    } catch (e) {
      const failure = e as Failure;
      this._trace(`${method} failed ${failure.code}`);
      if (quiet) return undefined;
      if (failure.kind === 'error') this._setError(failure.message);
      else if (failure.kind === 'not-authorised') this._setError(this._options.notAuthorised);
      else if (failure.kind === 'unreachable') this._setError(_('The backup helper is not available. Install the rewind-helper package.'));
      else this._setError(dismissed ?? _('You closed the password dialog, so nothing was done. Try again when you are ready.'));
      return undefined;
    } finally {
      this._setBusy(false);
    }
  }

  protected _setPage(page: string): void {
    this._page = page;
    this._trace(`page ${page}`);
    this.notify('page');
    this._syncActions();
  }

  protected _setBusy(busy: boolean): void {
    this._busy = busy;
    this.notify('busy');
    this._syncActions();
    // The page's actions are disabled while busy: a driver (the UI tests) waits for this line.
    if (!busy && this._options.traceIdle) this._trace('idle');
  }

  protected _setError(message: string): void {
    if (message) this._trace(`error ${message}`);
    this._errorMessage = message;
    this.notify('error-message');
  }

  protected _syncActions(): void {
    const enabled = this._enabledActions();
    for (const name of this.actions.list_actions()) {
      const action = this.actions.lookup_action(name) as Gio.SimpleAction;
      // Cancel always works, also while the helper answers: the person may give up waiting.
      action.enabled = name === 'cancel' || (enabled[name] ?? true);
    }
  }
}
