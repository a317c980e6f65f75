import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import type { Failure, HelperClient } from './helper-client';
import { describeCheckResult, drillWentWrong } from './drill-words';
import { _ } from './i18n';
import { trace } from './trace';

/**
 * Check Backups Now: the helper's CheckBackups (a restore drill of every
 * enabled destination, docs/drills.md), its progress and its result in
 * words. One per helper model (`backupCheckFor`), shared by the
 * application's action and the main page that shows it.
 */
export class BackupCheck extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindBackupCheck',
        Properties: {
          checking: GObject.ParamSpec.boolean('checking', null, null, GObject.ParamFlags.READABLE, false),
          result: GObject.ParamSpec.string('result', null, null, GObject.ParamFlags.READABLE, ''),
          'went-wrong': GObject.ParamSpec.boolean('went-wrong', null, null, GObject.ParamFlags.READABLE, false),
        },
      },
      this,
    );
  }

  private _checking = false;
  private _result = '';
  private _wentWrong = false;
  readonly action: Gio.SimpleAction;

  constructor(private readonly _client: HelperClient) {
    super();
    this.action = new Gio.SimpleAction({ name: 'check-backups', enabled: false });
    this.action.connect('activate', () => void this.run());
    const sync = () => (this.action.enabled = this._client.state === 'ready' && !this._checking);
    this._client.connect('notify::state', sync);
    this.connect('notify::checking', sync);
    sync();
  }

  get checking(): boolean {
    return this._checking;
  }

  get result(): string {
    return this._result;
  }

  get went_wrong(): boolean {
    return this._wentWrong;
  }

  async run(): Promise<void> {
    if (this._checking) return;
    this._set(true, '', false);
    trace('check started');
    let result = '';
    let wrong = false;
    try {
      const answer = await this._client.call('CheckBackups');
      if ('skipped' in answer) {
        result = _('Backups were not checked: the computer runs on battery. Plug it in and try again.');
      } else {
        const labels = new Map((this._client.status?.destinations ?? []).map((d) => [d.id, d.label]));
        result = describeCheckResult(answer.drills, labels);
        wrong = answer.drills.some((d) => drillWentWrong(d) || d.outcome === 'not-connected');
      }
    } catch (e) {
      const failure = e as Failure;
      wrong = true;
      if (failure.code === 'Busy') result = _('Backups cannot be checked while a backup runs. Try again when it has finished.');
      else if (failure.kind === 'not-authorised') result = _('The system’s policy does not allow this account to check backups.');
      else if (failure.kind === 'error') result = failure.message;
      else if (failure.kind === 'unreachable') result = _('The backup helper could not be reached.');
      // Dismissed: the authentication dialog was closed; nothing to say.
    }
    this._set(false, result, wrong);
    trace(`check finished ${wrong ? 'problem' : 'ok'}: ${result}`);
    // The main page's "Last checked" comes from the status.
    await this._client.refresh();
  }

  private _set(checking: boolean, result: string, wrong: boolean): void {
    this._checking = checking;
    this._result = result;
    this._wentWrong = wrong;
    this.notify('checking');
    this.notify('result');
    this.notify('went-wrong');
  }
}

const checks = new WeakMap<HelperClient, BackupCheck>();

export function backupCheckFor(client: HelperClient): BackupCheck {
  let check = checks.get(client);
  if (!check) {
    check = new BackupCheck(client);
    checks.set(client, check);
  }
  return check;
}
