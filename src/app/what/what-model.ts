import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Source } from '../../core/config';
import { leaveOutCandidates, leaveOutChanges, leftOutNow, type LeaveOutCandidate } from '../../core/leave-out';
import { CHOICE_KINDS, choiceOf, homesFolder, MAX_KEEP_OTHERS_APART, planSources, systemRoot, typedFolder, type ChoiceKind, type Person, type SourceChoice, type SourcePlan } from '../../core/source-choice';
import type { SubvolumeSize } from '../../core/subvolume-size';
import type { Failure, HelperClient } from '../helper-client';
import { _ } from '../i18n';
import { listSubvolumes } from '../subvolume-sizes';
import { trace } from '../trace';

/**
 * What to back up, as the person chooses it (src/core/source-choice.ts):
 * My home folder, All users' home folders, The whole system, or folders of
 * their own; the subvolumes found inside them to add; the folders to leave
 * out (src/core/leave-out.ts); and the ways forward for a folder that cannot
 * be backed up yet (keep it apart, or keep the others apart: SetFolderApart).
 *
 * Setup holds one (mode "setup": leaving out happens on Continue, once the
 * person has seen what will happen) and so does Preferences (mode
 * "preferences": every change is applied and saved at once, through
 * `save`). Its actions go into the window's group (`setup.*`, `prefs.*`):
 * what-choice (s: my-home, all-homes, system, folders), add-source (s: a
 * folder as typed, "~/Documents" too; "" opens the file chooser),
 * remove-source (s), include-nested and leave-out (s: "PATH=true|false"),
 * keep-apart and keep-others-apart (s: the folder that cannot be backed up
 * yet), look-again (s, ignored: look at the folders again after that
 * failed). Each change prints `rewind: <prefix> sources PATHS ready|blocked
 * KIND` for the tests.
 */
export type WhatMode = 'setup' | 'preferences';

/**
 * The person running the app, and their Downloads folder (named in their
 * language). REWIND_SYSTEM_ROOT stands in for "/" where the system disk is
 * not btrfs (the tests mount a btrfs disk's root subvolume instead). Only
 * the app reads it, and the app runs as the person: the helper checks what
 * it then asks (ListSubvolumes of that folder, a configuration naming it)
 * as it checks any caller's, and has no such setting of its own.
 */
export function currentPerson(): { person: Person; downloads: string } {
  const home = GLib.get_home_dir();
  const downloads = GLib.get_user_special_dir(GLib.UserDirectory.DIRECTORY_DOWNLOAD);
  const root = GLib.getenv('REWIND_SYSTEM_ROOT');
  return {
    person: { user: GLib.get_user_name(), home, ...(root?.startsWith('/') ? { systemRoot: root } : {}) },
    downloads: downloads && downloads !== home ? downloads : `${home}/Downloads`,
  };
}

export class WhatModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindWhatModel',
        Properties: {
          busy: GObject.ParamSpec.boolean('busy', null, null, GObject.ParamFlags.READABLE, false),
        },
        Signals: {
          // What the rows show changed.
          changed: {},
          // A sentence for the person: the page's error, or a toast.
          error: { param_types: [GObject.TYPE_STRING] },
          // Open the file chooser; its folder comes back through addFolder.
          'pick-folder': {},
        },
      },
      this,
    );
  }

  readonly person: Person;
  readonly candidates: LeaveOutCandidate[];
  choice: SourceChoice = { kind: 'my-home', folders: [], nested: [] };
  /** ListSubvolumes' answer; null until it comes. */
  listing: SubvolumeSize[] | null = null;
  loading = false;
  /** The last look at the folders failed and none came before: nothing can be chosen until a look again (look-again). */
  unread = false;
  /** The configuration's `exclude`: the folders left out (under the whole system, subvolumes Rewind did not make too). */
  exclude: string[] = [];
  /** The candidates to leave out, as ticked. */
  leaveOut: string[] = [];
  /** The folder the helper is working on (kept apart, included again), for a spinner on its row. */
  working: string | null = null;
  /** Preferences: saves a new configuration's sources and exclude. */
  save: ((sources: Source[], exclude: string[]) => void) | null = null;
  private _client: HelperClient;
  private _mode: WhatMode;
  private _busy = false;
  /** The configuration's sources, read as a choice once the listing is there. */
  private _configured: Source[] | null = null;
  private _fresh = true;
  private _lastTrace = '';

  constructor(client: HelperClient, mode: WhatMode) {
    super();
    this._client = client;
    this._mode = mode;
    const { person, downloads } = currentPerson();
    this.person = person;
    this.candidates = leaveOutCandidates(person.home, downloads);
  }

  get busy(): boolean {
    return this._busy;
  }

  /** Adds the actions to a window's group. */
  addActions(group: Gio.SimpleActionGroup): void {
    const add = (name: string, activate: (value: string) => void) => {
      const action = new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType('s') });
      action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
      group.add_action(action);
    };
    const toggle = (value: string, set: (path: string, on: boolean) => void) => {
      const at = value.lastIndexOf('=');
      if (at > 0) set(value.slice(0, at), value.slice(at + 1) === 'true');
    };
    add('what-choice', (kind) => {
      if ((CHOICE_KINDS as readonly string[]).includes(kind)) this.choose(kind as ChoiceKind);
    });
    add('add-source', (text) => (text ? this.addFolder(text) : this.emit('pick-folder')));
    add('remove-source', (path) => this.removeFolder(path));
    add('include-nested', (value) => toggle(value, (path, on) => this.setNested(path, on)));
    add('leave-out', (value) => toggle(value, (path, on) => void this.setLeaveOut(path, on)));
    add('keep-apart', (path) => void this.keepApart(path));
    add('keep-others-apart', (path) => void this.keepOthersApart(path));
    add('look-again', () => void this.load());
  }

  /** Starts from the configuration's sources and exclude (none: a first setup, "My home folder"). */
  start(sources: Source[] | null, exclude: readonly string[]): void {
    this._configured = sources;
    this._fresh = sources === null;
    this.exclude = [...exclude];
    this.choice = { kind: 'my-home', folders: [], nested: [] };
    this.leaveOut = [];
    this.listing = null;
    this._lastTrace = '';
    void this.load();
  }

  /** Preferences: the configuration changed (saved here or elsewhere); its sources are read again unless they are this choice's. */
  configured(sources: Source[], exclude: readonly string[]): void {
    this.exclude = [...exclude];
    const same = JSON.stringify(this.plan().sources) === JSON.stringify(sources);
    if (!same) {
      this._configured = sources;
      this._readConfigured();
    }
    this.leaveOut = leftOutNow(this.candidates, this.listing, this.exclude, this._sourcePaths(), false, this._everySubvolume());
    this._changed();
  }

  plan(): SourcePlan {
    return planSources(this.choice, this.person, this.listing);
  }

  /** True when the choice can be backed up as it is. */
  get ready(): boolean {
    return this.plan().ready && !this._busy;
  }

  /** The configuration's sources for this choice. */
  configSources(): Source[] {
    return this.plan().sources;
  }

  /** The folders the choice backs up (the system's root for the whole system), for ListDisks. */
  sourcePaths(): string[] {
    return this._sourcePaths();
  }

  /** Sizes, and whether each folder can be backed up; every folder the page may show is asked at once. */
  async load(): Promise<void> {
    const folders = new Set([this.person.home, homesFolder(this.person), systemRoot(this.person), ...this.choice.folders, ...this.candidates.map((c) => c.path)]);
    for (const s of this._configured ?? []) if (s.path) folders.add(s.path);
    this.loading = true;
    this._changed();
    const listing = await listSubvolumes(this._client, [...folders].slice(0, 32));
    this.loading = false;
    const wasUnread = this.unread;
    if (Array.isArray(listing)) this.listing = listing;
    this.unread = !this.listing;
    // Without it nothing can be chosen: say so, and how to look again (what-choice rows offer look-again), rather than wait.
    if (!Array.isArray(listing) && !this.listing) {
      this.emit(
        'error',
        listing.kind === 'dismissed'
          ? _('You closed the password dialog, so Rewind did not look at the folders on this computer. Look again when you are ready.')
          : _('Rewind could not look at the folders on this computer. Look again, or close this window and try later.'),
      );
    } else if (wasUnread && !this.unread) {
      this.emit('error', '');
    }
    if (this._configured) this._readConfigured();
    this.leaveOut = leftOutNow(this.candidates, this.listing, this.exclude, this._sourcePaths(), this._fresh && this._mode === 'setup', this._everySubvolume());
    this._changed();
  }

  /**
   * Preferences keeps the folders left out as they are shown: the whole
   * system backs up every subvolume, so those left out go into `exclude`,
   * and a subvolume backed up there becomes a source of its own elsewhere.
   */
  choose(kind: ChoiceKind): void {
    if (kind === this.choice.kind) return;
    this.choice = { ...this.choice, kind };
    if (this._mode === 'preferences') void this.applyLeaveOuts();
    else this._changedByPerson();
  }

  /** A folder typed ("~/Documents") or picked: the choice becomes "Folders I choose". */
  addFolder(text: string): void {
    const folder = typedFolder(text, this.person.home);
    if (!folder) {
      this.emit('error', _('Enter a folder such as ~/Documents or /srv/photos.'));
      return;
    }
    this.emit('error', '');
    const folders = this.choice.kind === 'folders' ? this.choice.folders : [];
    this.choice = { ...this.choice, kind: 'folders', folders: folders.includes(folder) ? folders : [...folders, folder] };
    this._changedByPerson();
    if (!this.listing?.some((s) => s.path === folder)) void this.load();
  }

  removeFolder(path: string): void {
    this.choice = { ...this.choice, folders: this.choice.folders.filter((f) => f !== path), nested: this.choice.nested.filter((n) => n !== path) };
    this._changedByPerson();
  }

  setNested(path: string, on: boolean): void {
    const nested = this.choice.nested.filter((n) => n !== path);
    this.choice = { ...this.choice, nested: on ? [...nested, path] : nested };
    this._changedByPerson();
  }

  /** Ticks or unticks a folder to leave out: setup applies it on Continue, Preferences at once. */
  async setLeaveOut(path: string, on: boolean): Promise<void> {
    if (!this.candidates.some((c) => c.path === path)) return;
    const before = this.leaveOut;
    this.leaveOut = on ? [...before.filter((p) => p !== path), path] : before.filter((p) => p !== path);
    this._changed();
    if (this._mode === 'preferences' && !(await this.applyLeaveOuts())) {
      this.leaveOut = before;
      this._changed();
    }
  }

  /**
   * Makes the folders to leave out so (src/core/leave-out.ts): sets apart
   * those ticked, joins again those unticked that Rewind had set apart, and
   * adds those unticked that are apart already (Rewind did not make them)
   * to the sources, leaving the disk as it is; for the
   * whole system, names the subvolumes ticked in `exclude` and drops those
   * unticked from it. False, with the reason told, when one could not be
   * changed: it stays as it is.
   */
  async applyLeaveOuts(): Promise<boolean> {
    const changes = leaveOutChanges(this.candidates, this.leaveOut, this.listing, this.exclude, this._everySubvolume(), this._sourcePaths());
    const dropped = [...changes.excludeNoMore, ...changes.excludeApart, ...changes.backUpApart];
    this.exclude = [...this.exclude.filter((p) => !dropped.includes(p)), ...changes.excludeApart];
    const steps = [...changes.setApart.map((p) => [p, true] as const), ...changes.joinAgain.map((p) => [p, false] as const)];
    let ok = true;
    for (const [path, apart] of steps) {
      if (!(await this._setApart(path, apart))) {
        // What could not be changed is shown as it is.
        this.leaveOut = apart ? this.leaveOut.filter((p) => p !== path) : [...this.leaveOut, path];
        ok = false;
        break;
      }
      this.exclude = apart ? [...this.exclude.filter((p) => p !== path), path] : this.exclude.filter((p) => p !== path);
    }
    // A subvolume Rewind did not make is included as a source of its own: the disk stays as it is.
    for (const path of changes.backUpApart) if (!this.choice.nested.includes(path)) this.choice = { ...this.choice, nested: [...this.choice.nested, path] };
    if (changes.backUpNoMore.length > 0) this.choice = { ...this.choice, nested: this.choice.nested.filter((n) => !changes.backUpNoMore.includes(n)) };
    if (steps.length > 0) await this.load();
    this._changedByPerson();
    return ok;
  }

  /** The way forward for a folder that is not kept apart: make it so. */
  async keepApart(path: string): Promise<void> {
    if (await this._setApart(path, true)) await this.load();
    this._changedByPerson();
  }

  /**
   * The other way forward: keep apart everything else its holder holds, and
   * back up the holder. The listing names a few of them at a time; each one
   * kept apart drops out of it, so it is asked again until none is left, one
   * fails, or MAX_KEEP_OTHERS_APART were tried (each at most once).
   */
  async keepOthersApart(path: string): Promise<void> {
    const tried = new Set<string>();
    for (;;) {
      const others = (this.listing?.find((s) => s.path === path)?.others ?? []).filter((o) => !tried.has(o));
      if (others.length === 0 || tried.size >= MAX_KEEP_OTHERS_APART) break;
      let failed = false;
      for (const other of others.slice(0, MAX_KEEP_OTHERS_APART - tried.size)) {
        tried.add(other);
        if (!(await this._setApart(other, true))) {
          failed = true;
          break;
        }
      }
      await this.load();
      if (failed) break;
    }
    this._changedByPerson();
  }

  private async _setApart(path: string, apart: boolean): Promise<boolean> {
    this._setBusy(true, path);
    try {
      const result = await this._client.call('SetFolderApart', { path, apart });
      trace(`${this._prefix()} ${result.apart ? 'apart' : 'joined'} ${path}`);
      return true;
    } catch (e) {
      const failure = e as Failure;
      trace(`${this._prefix()} SetFolderApart failed ${failure.code}`);
      if (failure.kind === 'error') this.emit('error', failure.message);
      else if (failure.kind === 'not-authorised') this.emit('error', _('The system’s policy does not allow this account to change how folders are kept. Ask an administrator.'));
      else if (failure.kind === 'unreachable') this.emit('error', _('The backup helper is not available. Install the rewind-helper package.'));
      return false;
    } finally {
      this._setBusy(false, null);
    }
  }

  private _readConfigured(): void {
    const sources = this._configured;
    if (!sources || !this.listing) return;
    this.choice = choiceOf(sources, this.person, this.listing);
    this._configured = null;
  }

  /** The choice backs up every subvolume of the system's disk, so only `exclude` leaves one out. */
  private _everySubvolume(): boolean {
    return this.choice.kind === 'system';
  }

  private _sourcePaths(): string[] {
    return this.plan().sources.map((s) => s.path ?? s.allSubvolumesOf ?? '').filter((p) => p !== '');
  }

  private _prefix(): string {
    return this._mode === 'setup' ? 'setup' : 'prefs';
  }

  private _setBusy(busy: boolean, working: string | null): void {
    this._busy = busy;
    this.working = working;
    this.notify('busy');
    this._changed();
  }

  /** A change the person made: Preferences saves it when it can be backed up. */
  private _changedByPerson(): void {
    this._changed();
    const plan = this.plan();
    if (this._mode === 'preferences' && plan.ready && this.save) this.save(plan.sources, this.exclude);
  }

  private _changed(): void {
    const plan = this.plan();
    const line = `${this._prefix()} sources ${this._sourcePaths().join(' ')} ${plan.ready ? 'ready' : 'blocked'} ${this.choice.kind}`;
    if (line !== this._lastTrace && !this.loading) {
      this._lastTrace = line;
      trace(line);
    }
    this.emit('changed');
  }
}

