import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Config, Destination } from '../core/config';
import type { Schedule } from '../core/schedule';
import { WEEKDAYS } from '../core/schedule';
import type { Failure, HelperClient } from './helper-client';
import { _ } from './i18n';
import type { SubvolumeSize } from '../core/subvolume-size';
import { listSubvolumes } from './subvolume-sizes';

/**
 * Setting up backups, as steps (the "page" property):
 * - what: the folders (btrfs subvolumes) to back up; the config's, else /home;
 *   ListSubvolumes adds their sizes and the other mounted subvolumes;
 * - where: ListDisks, grouped by what Rewind can do with each disk (btrfs:
 *   used directly; another filesystem: stream files; empty: prepare; the
 *   disk that holds the chosen folders is not offered), a
 *   backup server (the Add Backup Server dialog hands its destination back
 *   through useDestination) or a folder for stream files;
 * - prepare: only for an empty disk: a warning that names the disk and its
 *   size, then PrepareDisk (mkfs.btrfs) with exactly that path and size;
 * - when: hourly, daily at a time, weekly on a day at a time, or manual;
 * - summary: what will happen; Save calls SetConfig.
 * Adding a destination later (Preferences) runs where → prepare → summary
 * and appends the destination to the config as it is.
 *
 * Every step is an app action (app.setup-*): the dialog's buttons name them
 * and tests activate them over org.gtk.Actions. Each page change prints
 * `rewind: setup page NAME` for the tests.
 */
export type SetupPage = 'what' | 'where' | 'prepare' | 'when' | 'summary';
export type SetupMode = 'first-run' | 'add-destination';

/** ListDisks' entries (src/helper/system/disks.ts), what the app reads of them. */
export interface DiskInfo {
  path: string;
  name: string;
  sizeBytes: number;
  fstype?: string;
  uuid?: string;
  label?: string;
  removable: boolean;
  mountpoints: string[];
  /** 'source': it holds the folders to back up, so it is not offered. */
  use: 'btrfs' | 'files' | 'empty' | 'system' | 'source' | 'other';
  why?: string;
}

const DEFAULT_SOURCES = ['/home'];
const DEFAULT_SCHEDULE: Schedule = { kind: 'daily', at: '12:00' };
/** The folder on a disk that holds Rewind's backups. */
const DISK_FOLDER = 'rewind';

function say(line: string): void {
  print(line);
}

/** A destination id from a name: letters, digits, - and _, unique in the config. */
export function destinationId(name: string, taken: string[]): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase()
      .slice(0, 56) || 'backup';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

export function isSchedule(value: unknown): value is Schedule {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  const time = typeof s.at === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(s.at);
  if (s.kind === 'manual' || s.kind === 'hourly') return true;
  if (s.kind === 'daily') return time;
  if (s.kind === 'weekly') return time && (WEEKDAYS as readonly unknown[]).includes(s.day);
  return false;
}

export class SetupFlow extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindSetupFlow',
        Properties: {
          page: GObject.ParamSpec.string('page', null, null, GObject.ParamFlags.READABLE, 'what'),
          busy: GObject.ParamSpec.boolean('busy', null, null, GObject.ParamFlags.READABLE, false),
          'error-message': GObject.ParamSpec.string('error-message', null, null, GObject.ParamFlags.READABLE, ''),
        },
        Signals: {
          // The fields changed (sources, disks, destination, schedule): the pages show them again.
          changed: {},
          // SetConfig saved the configuration: the dialog closes.
          saved: {},
          // Open the Add Backup Server dialog; its destination comes back through useDestination.
          'add-server': {},
          // Choose a folder with a file chooser; the answer comes back through chooseFolder.
          'pick-folder': {},
        },
      },
      this,
    );
  }

  private _client: HelperClient;
  private _page: SetupPage = 'what';
  private _busy = false;
  private _errorMessage = '';
  private _actions: Gio.SimpleAction[] = [];
  mode: SetupMode = 'first-run';
  /** The configuration as the helper has it, or null on a first run. */
  existing: Config | null = null;
  sources: string[] = [...DEFAULT_SOURCES];
  disks: DiskInfo[] | null = null;
  /** The mounted subvolumes and the chosen folders with their sizes; null until ListSubvolumes answers. */
  sizes: SubvolumeSize[] | null = null;
  sizesLoading = false;
  destination: Destination | null = null;
  /** How the destination was described when chosen, for the summary. */
  destinationText = '';
  /** The empty disk waiting for the user's go-ahead. */
  toPrepare: DiskInfo | null = null;
  schedule: Schedule = { ...DEFAULT_SCHEDULE };
  /** True while this flow's dialog is open; the server dialog hands it its destination then. */
  active = false;

  constructor(client: HelperClient, group: Gio.ActionMap) {
    super();
    this._client = client;
    const add = (name: string, activate: (parameter: string) => void, parameterType: string | null = null) => {
      const action = parameterType ? new Gio.SimpleAction({ name, parameter_type: new GLib.VariantType(parameterType) }) : new Gio.SimpleAction({ name });
      action.connect('activate', (_a, parameter: GLib.Variant | null) => activate((parameter?.unpack() as string | undefined) ?? ''));
      group.add_action(action);
      this._actions.push(action);
    };
    add('setup-continue', () => void this.continue());
    add('setup-back', () => this.back());
    add('setup-add-source', (p) => this.addSource(p), 's');
    add('setup-remove-source', (p) => this.removeSource(p), 's');
    add('setup-refresh-disks', () => void this.loadDisks());
    add('setup-choose-disk', (p) => this.chooseDisk(p), 's');
    // An absolute folder; "" opens a folder chooser.
    add('setup-choose-folder', (p) => (p ? this.chooseFolder(p) : this.emit('pick-folder')), 's');
    add('setup-add-server', () => this.emit('add-server'));
    add('setup-prepare-disk', () => void this.prepare());
    // JSON of a schedule as the config spells it: {"kind":"weekly","day":"mon","at":"09:30"}.
    add('setup-schedule', (p) => this.setScheduleJson(p), 's');
    add('setup-save', () => void this.save());
    this._syncActions();
  }

  get page(): SetupPage {
    return this._page;
  }

  get busy(): boolean {
    return this._busy;
  }

  get error_message(): string {
    return this._errorMessage;
  }

  get steps(): SetupPage[] {
    return this.mode === 'first-run' ? ['what', 'where', 'when', 'summary'] : ['where', 'summary'];
  }

  /** Starts over: reads the configuration (if any) and shows the first page. */
  async start(mode: SetupMode): Promise<void> {
    this.mode = mode;
    this.existing = null;
    this.sources = [...DEFAULT_SOURCES];
    this.disks = null;
    this.sizes = null;
    this.destination = null;
    this.destinationText = '';
    this.toPrepare = null;
    this.schedule = { ...DEFAULT_SCHEDULE };
    this._setError('');
    this._setPage(mode === 'first-run' ? 'what' : 'where');
    const config = await this._call<Config>('GetConfig', undefined, true);
    if (config) {
      this.existing = config.value;
      this.sources = config.value.sources.map((s) => s.path ?? s.allSubvolumesOf ?? '').filter((p) => p !== '');
      if (config.value.schedule) this.schedule = config.value.schedule;
    }
    this.emit('changed');
    if (mode === 'add-destination') void this.loadDisks();
    else void this.loadSizes();
  }

  /** Sizes for the What page; a folder added later is measured then. */
  async loadSizes(): Promise<void> {
    this.sizesLoading = true;
    this.emit('changed');
    this.sizes = (await listSubvolumes(this._client, this.sources)) ?? this.sizes;
    this.sizesLoading = false;
    this.emit('changed');
  }

  addSource(path: string): void {
    const folder = path.trim().replace(/(.)\/+$/, '$1');
    if (!folder.startsWith('/') || folder.split('/').includes('..')) {
      this._setError(_('Enter a folder as an absolute path, such as /home.'));
      return;
    }
    this._setError('');
    if (!this.sources.includes(folder)) this.sources.push(folder);
    this.disks = null;
    say(`rewind: setup sources ${this.sources.join(' ')}`);
    this.emit('changed');
    this._syncActions();
    if (!this.sizes?.some((s) => s.path === folder)) void this.loadSizes();
  }

  removeSource(path: string): void {
    this.sources = this.sources.filter((s) => s !== path);
    this.disks = null;
    say(`rewind: setup sources ${this.sources.join(' ')}`);
    this.emit('changed');
    this._syncActions();
  }

  async loadDisks(): Promise<void> {
    // The chosen folders' own disks are marked, so they are not offered.
    const reply = await this._call<DiskInfo[]>('ListDisks', { sources: this.sources });
    if (!reply) return;
    this.disks = reply.value;
    say(`rewind: setup disks ${this.disks.map((d) => `${d.path}=${d.use}`).join(' ')}`);
    this.emit('changed');
  }

  chooseDisk(path: string): void {
    const disk = this.disks?.find((d) => d.path === path);
    if (!disk) {
      this._setError(_('That disk is not in the list any more. Connect it, then look again.'));
      return;
    }
    this._setError('');
    const label = disk.label || disk.name;
    const taken = this._takenIds();
    if (disk.use === 'empty') {
      this.toPrepare = disk;
      // The warning page names the disk: show it before the page.
      this.emit('changed');
      this._setPage('prepare');
    } else if (disk.use === 'btrfs' && disk.uuid) {
      this._choose({ id: destinationId(label, taken), kind: 'btrfs', filesystem: disk.uuid, path: DISK_FOLDER, label, enabled: true }, label);
    } else if (disk.use === 'files' && disk.uuid) {
      this._choose(
        { id: destinationId(label, taken), kind: 'files', filesystem: disk.uuid, path: DISK_FOLDER, label, enabled: true, encrypt: false, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 },
        label,
      );
    } else if (disk.use === 'source') {
      this._setError(_('This disk holds the folders you back up. A backup on the same disk would be lost with them: choose another disk.'));
    } else {
      this._setError(disk.why ? `${_('Rewind cannot use this disk:')} ${disk.why}.` : _('Rewind cannot use this disk.'));
    }
  }

  chooseFolder(path: string): void {
    if (!path.startsWith('/') || path.split('/').includes('..')) {
      this._setError(_('Choose a folder by its absolute path.'));
      return;
    }
    const label = GLib.path_get_basename(path) || path;
    // A folder is written as stream files: it may be on any filesystem or a share.
    this._choose(
      { id: destinationId(label, this._takenIds()), kind: 'files', path, label, enabled: true, encrypt: false, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 },
      path,
    );
  }

  /** A destination made elsewhere (the Add Backup Server dialog). */
  useDestination(destination: Destination, text: string): void {
    this._choose({ ...destination, id: destinationId(destination.label ?? destination.id, this._takenIds()) }, text);
  }

  setScheduleJson(json: string): void {
    try {
      const value: unknown = JSON.parse(json);
      if (!isSchedule(value)) throw new Error('not a schedule');
      this.setSchedule(value);
    } catch {
      say('rewind: setup-schedule wants a schedule such as {"kind":"daily","at":"12:00"}');
    }
  }

  setSchedule(schedule: Schedule): void {
    if (JSON.stringify(schedule) === JSON.stringify(this.schedule)) return;
    this.schedule = schedule;
    say(`rewind: setup schedule ${JSON.stringify(schedule)}`);
    this.emit('changed');
  }

  async continue(): Promise<void> {
    if (this._busy) return;
    const steps = this.steps;
    if (this._page === 'what') {
      if (this.sources.length === 0) {
        this._setError(_('Choose at least one folder to back up.'));
        return;
      }
      this._setPage('where');
      if (!this.disks) await this.loadDisks();
    } else if (this._page === 'where') {
      if (!this.destination) {
        this._setError(_('Choose where backups go.'));
        return;
      }
      this._setPage(steps[steps.indexOf('where') + 1]);
    } else if (this._page === 'prepare') {
      await this.prepare();
    } else if (this._page === 'when') {
      this._setPage('summary');
    }
  }

  back(): void {
    if (this._busy) return;
    this._setError('');
    if (this._page === 'prepare') {
      this.toPrepare = null;
      this._setPage('where');
      return;
    }
    const steps = this.steps;
    const at = steps.indexOf(this._page);
    if (at > 0) this._setPage(steps[at - 1]);
  }

  /** PrepareDisk on the disk the warning named, with the size it showed. */
  async prepare(): Promise<void> {
    const disk = this.toPrepare;
    if (this._busy || this._page !== 'prepare' || !disk) return;
    const label = _('Rewind backups');
    const reply = await this._call<{ uuid: string }>('PrepareDisk', { path: disk.path, sizeBytes: disk.sizeBytes, label });
    if (!reply) return;
    say(`rewind: setup prepared ${disk.path} ${reply.value.uuid}`);
    this.toPrepare = null;
    const name = disk.name;
    this._choose({ id: destinationId(name, this._takenIds()), kind: 'btrfs', filesystem: reply.value.uuid, path: DISK_FOLDER, label: name, enabled: true }, name);
    void this.loadDisks();
  }

  /** The configuration Save will send. */
  newConfig(): Config | null {
    if (!this.destination) return null;
    const base: Config = this.existing ?? {
      version: 1,
      sources: [],
      destinations: [],
      schedule: { kind: 'hourly' },
      conditions: { postponeOnBattery: false, postponeOnMetered: true },
    };
    if (this.mode === 'add-destination') return { ...base, destinations: [...base.destinations, this.destination] };
    return {
      ...base,
      sources: this.sources.map((path) => ({ path })),
      destinations: [...base.destinations.filter((d) => d.id !== this.destination?.id), this.destination],
      schedule: this.schedule,
    };
  }

  async save(): Promise<void> {
    const config = this.newConfig();
    if (this._busy || this._page !== 'summary' || !config) return;
    const reply = await this._call<{ config: Config; timer: string }>('SetConfig', config);
    if (!reply) return;
    say(`rewind: setup saved ${reply.value.config.destinations.map((d) => d.id).join(' ')} timer ${reply.value.timer}`);
    this.emit('saved');
    void this._client.refresh();
  }

  private _takenIds(): string[] {
    return this.existing?.destinations.map((d) => d.id) ?? [];
  }

  private _choose(destination: Destination, text: string): void {
    this.destination = destination;
    this.destinationText = text;
    this._setError('');
    say(`rewind: setup destination ${destination.kind} ${destination.id}`);
    this.emit('changed');
    const steps = this.steps;
    this._setPage(steps[steps.indexOf('where') + 1]);
  }

  /** One helper call with the flow busy; a failure becomes the page's error message and undefined. */
  private async _call<T>(method: 'GetConfig' | 'ListDisks' | 'PrepareDisk' | 'SetConfig', request?: object, quiet = false): Promise<{ value: T } | undefined> {
    this._setBusy(true);
    if (!quiet) this._setError('');
    try {
      return { value: (await this._client.callJson(method, request)) as T };
    } catch (e) {
      const failure = e as Failure;
      say(`rewind: setup ${method} failed ${failure.code}`);
      // No configuration yet is what a first run expects.
      if (quiet) return undefined;
      if (failure.kind === 'error') this._setError(failure.message);
      else if (failure.kind === 'not-authorised') this._setError(_('The system’s policy does not allow this account to set up backups. Ask an administrator.'));
      else if (failure.kind === 'unreachable') this._setError(_('The backup helper is not available. Install the rewind-helper package.'));
      return undefined;
    } finally {
      this._setBusy(false);
    }
  }

  private _setPage(page: SetupPage): void {
    this._page = page;
    say(`rewind: setup page ${page}`);
    this.notify('page');
    this._syncActions();
  }

  private _setBusy(busy: boolean): void {
    this._busy = busy;
    this.notify('busy');
    this._syncActions();
    // The page's actions are disabled while busy: a driver (the UI tests) waits for this line.
    if (!busy) say('rewind: setup idle');
  }

  private _setError(message: string): void {
    if (message) say(`rewind: setup error ${message}`);
    this._errorMessage = message;
    this.notify('error-message');
  }

  private _syncActions(): void {
    const idle = !this._busy;
    const enabled: Record<string, boolean> = {
      'setup-continue': idle && ['what', 'where', 'when'].includes(this._page) && (this._page !== 'what' || this.sources.length > 0),
      'setup-back': idle && this.steps.indexOf(this._page) !== 0,
      'setup-prepare-disk': idle && this._page === 'prepare',
      'setup-save': idle && this._page === 'summary',
    };
    for (const action of this._actions) action.enabled = enabled[action.name] ?? idle;
  }
}
