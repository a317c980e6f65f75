import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { Config, Destination } from '../../core/config';
import { destinationAt, placeOf, type Place } from '../../core/destination-identity';
import { destinationName } from '../../core/destination-name';
import type { Schedule } from '../../core/schedule';
import type { HelperClient } from '../helper-client';
import { _, fmt } from '../i18n';
import { trace } from '../trace';
import { WhatModel } from '../what/what-model';
import { notReadyText } from '../what/not-ready-text';
import { WizardModel } from '../wizard/wizard-model';
import { namedKeys } from '../config-edit';
import { diskName, unusableReason } from './disk-rows';
import { configWith, diskDestination, folderDestination } from './setup-config';
import { destinationId, parseSchedule, type DiskInfo, type SetupMode, type SetupPage } from './setup-types';

/**
 * Setting up backups, as steps (the "page" property):
 * - what: what to back up, in the person's terms (WhatModel, src/app/what):
 *   the config's sources read as a choice, else "My home folder"; Continue
 *   waits until the choice can be backed up, then leaves out what was ticked;
 * - where: ListDisks, grouped by what Rewind can do with each disk (btrfs:
 *   used directly; another filesystem: stream files; empty: prepare; the
 *   disk that holds the chosen folders is not offered), a
 *   backup server (the Add Backup Server dialog hands its destination back
 *   through useDestination) or a folder for stream files. A disk, server or
 *   folder that already is a destination (src/core/destination-identity.ts)
 *   is marked so: setting up again goes on with it as it is, adding a
 *   destination refuses it;
 * - prepare: only for an empty disk: a warning that names the disk and its
 *   size, then PrepareDisk (mkfs.btrfs) with exactly that path and size;
 * - when: hourly, daily at a time, weekly on a day at a time, or manual;
 * - summary: what will happen, and for a new folder or disk written as
 *   stream files "Encrypt backups" (setup.encrypt, off until turned on);
 *   Save calls SetConfig, which makes the recovery key shown once after.
 * Adding a destination later (Preferences) runs where → prepare → summary
 * and appends the destination to the config as it is.
 *
 * Every step is an action of the `setup` group (setup.continue, …): the
 * dialog's buttons name them and tests activate them over org.gtk.Actions.
 * Each page change prints `rewind: setup page NAME` for the tests.
 */
const DEFAULT_SCHEDULE: Schedule = { kind: 'daily', at: '12:00' };

export class SetupFlow extends WizardModel {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindSetupFlow',
        Signals: {
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
  mode: SetupMode = 'first-run';
  /** The configuration as the helper has it, or null on a first run. */
  existing: Config | null = null;
  /** What to back up (the What page): its actions are this flow's (setup.what-choice, setup.add-source, …). */
  readonly what: WhatModel;
  disks: DiskInfo[] | null = null;
  /** ListDisks did not answer the disks (refused, failed, or the password dialog was closed): the page offers to look again. */
  disksUnread = false;
  destination: Destination | null = null;
  /** How the destination was described when chosen, for the summary. */
  destinationText = '';
  /** True when the destination chosen is one the configuration already has. */
  keeping = false;
  /** The empty disk waiting for the user's go-ahead. */
  toPrepare: DiskInfo | null = null;
  schedule: Schedule = { ...DEFAULT_SCHEDULE };
  /** After Save: the recovery keys of encrypted destinations it added (a server's, a folder's), to show once. */
  newKeys: Array<{ name: string; recoveryKey: string }> = [];
  /** True while this flow's dialog is open; the server dialog hands it its destination then. */
  active = false;
  private _whatSources = '';
  private _encrypt = new Gio.SimpleAction({ name: 'encrypt', state: GLib.Variant.new_boolean(false) });

  constructor(client: HelperClient) {
    super({
      traceName: 'setup',
      firstPage: 'what',
      traceIdle: true,
      notAuthorised: _('The system’s policy does not allow this account to set up backups. Ask an administrator.'),
    });
    this._client = client;
    this._addAction('continue', () => void this.continue());
    this._addAction('back', () => this.back());
    this.what = new WhatModel(client, 'setup');
    this.what.addActions(this.actions);
    this.what.connect('changed', () => this._whatChanged());
    this.what.connect('notify::busy', () => this._setBusy(this.what.busy));
    this.what.connect('error', (_w, message: string) => this._setError(message));
    this._addAction('refresh-disks', () => void this.loadDisks());
    this._addAction('choose-disk', (p) => this.chooseDisk(p), 's');
    // A destination the configuration has (a server, a folder): set up again, backups go on there.
    this._addAction('keep-destination', (p) => this.keepDestination(p), 's');
    // An absolute folder; "" opens a folder chooser.
    this._addAction('choose-folder', (p) => (p ? this.chooseFolder(p) : this.emit('pick-folder')), 's');
    this._addAction('add-server', () => this.emit('add-server'));
    this._addAction('prepare-disk', () => void this.prepare());
    // JSON of a schedule as the config spells it: {"kind":"weekly","day":"mon","at":"09:30"}.
    this._addAction('schedule', (p) => this.setScheduleJson(p), 's');
    this._addAction('save', () => void this.save());
    this._encrypt.connect('change-state', (action, value: GLib.Variant) => {
      action.set_state(value);
      this._trace(`encrypt ${value.get_boolean()}`);
      this.emit('changed');
    });
    this.actions.add_action(this._encrypt);
    this._syncActions();
  }

  override get page(): SetupPage {
    return this._page as SetupPage;
  }

  override get steps(): SetupPage[] {
    return this.mode === 'first-run' ? ['what', 'where', 'when', 'summary'] : ['where', 'summary'];
  }

  /** The erase warning is part of choosing where: it keeps that step's number. */
  override stepOf(page: string): number {
    return super.stepOf(page === 'prepare' ? 'where' : page);
  }

  override hasBack(page: string): boolean {
    return this.steps.indexOf(page as SetupPage) !== 0;
  }

  /** Starts over: reads the configuration (if any) and shows the first page. */
  async start(mode: SetupMode): Promise<void> {
    const fresh = { mode, existing: null, disks: null, disksUnread: false, destination: null, destinationText: '', keeping: false, toPrepare: null };
    Object.assign(this, { ...fresh, schedule: { ...DEFAULT_SCHEDULE } });
    this._encrypt.set_state(GLib.Variant.new_boolean(false));
    this._setError('');
    this._setPage(mode === 'first-run' ? 'what' : 'where');
    // No configuration yet is what a first run expects: quiet.
    const config = await this._call('GetConfig', () => this._client.callJson('GetConfig'), true);
    if (config) {
      this.existing = config.value;
      if (config.value.schedule) this.schedule = config.value.schedule;
    }
    this.emit('changed');
    if (mode === 'add-destination') void this.loadDisks();
    else this.what.start(config ? config.value.sources : null, config?.value.exclude ?? []);
  }

  /** The folders backed up: the choice's (the system's root for the whole system), or the configuration's when adding a destination. */
  get sources(): string[] {
    if (this.mode === 'add-destination') return (this.existing?.sources ?? []).map((s) => s.path ?? s.allSubvolumesOf ?? '').filter((p) => p !== '');
    return this.what.sourcePaths();
  }

  async loadDisks(): Promise<void> {
    // The chosen folders' own disks are marked, so they are not offered.
    const dismissed = _('You closed the password dialog, so Rewind did not look for disks. Look again when you are ready.');
    this.disksUnread = false;
    this.emit('changed');
    const reply = await this._call('ListDisks', () => this._client.callJson('ListDisks', { sources: this.sources }), false, dismissed);
    if (!reply) {
      // The page stops saying it is looking.
      this.disksUnread = !this.disks;
      this.emit('changed');
      return;
    }
    this.disks = reply.value;
    this._trace(`disks ${this.disks.map((d) => `${d.path}=${d.use}${this.diskInUse(d) ? '+used' : ''}`).join(' ')}`);
    this.emit('changed');
  }

  chooseDisk(path: string): void {
    const disk = this.disks?.find((d) => d.path === path);
    if (!disk) {
      this._setError(_('That disk is not in the list any more. Connect it, then look again.'));
      return;
    }
    this._setError('');
    const label = diskName(disk);
    const used = this.diskInUse(disk);
    const chosen = used ?? diskDestination(disk, destinationId(label, this._takenIds()), label);
    if (used && this.mode === 'add-destination') {
      this._setError(fmt(_('“%s” is already used for backups.'), destinationName(used)));
    } else if (disk.use === 'empty') {
      this.toPrepare = disk;
      // The warning page names the disk: show it before the page.
      this.emit('changed');
      this._setPage('prepare');
    } else if (disk.use === 'source') {
      this._setError(_('This disk holds the folders you back up. A backup on the same disk would be lost with them: choose another disk.'));
    } else if (chosen) {
      this._choose(chosen, used ? destinationName(used) : label);
    } else {
      this._setError(disk.reason ? `${_('Rewind cannot use this disk.')} ${unusableReason(disk)}` : unusableReason(disk));
    }
  }

  chooseFolder(path: string): void {
    if (!path.startsWith('/') || path.split('/').includes('..')) {
      this._setError(_('Choose a folder by its absolute path.'));
      return;
    }
    const label = GLib.path_get_basename(path) || path;
    // A folder is written as stream files: it may be on any filesystem or a share.
    const chosen = folderDestination(path, label, destinationId(label, this._takenIds()));
    this._chooseUnlessUsed({ kind: 'folder', path }, chosen, path);
  }

  /** A destination made elsewhere (the Add Backup Server dialog). */
  useDestination(destination: Destination, text: string): void {
    this._chooseUnlessUsed(placeOf(destination), { ...destination, id: destinationId(destination.label ?? destination.id, this._takenIds()) }, text);
  }

  /** Setting up again: go on with a destination the configuration has, by its id. */
  keepDestination(id: string): void {
    const kept = this.existing?.destinations.find((d) => d.id === id);
    if (kept && this.mode === 'first-run') this._choose(kept, destinationName(kept));
  }

  /** The destination this disk already is (by its filesystem UUID), or undefined. */
  diskInUse(disk: DiskInfo): Destination | undefined {
    return disk.uuid ? this._inUse({ kind: 'disk', filesystem: disk.uuid }) : undefined;
  }

  setScheduleJson(json: string): void {
    const schedule = parseSchedule(json);
    if (schedule) this.setSchedule(schedule);
    else trace('setup.schedule wants a schedule such as {"kind":"daily","at":"12:00"}');
  }

  setSchedule(schedule: Schedule): void {
    if (JSON.stringify(schedule) === JSON.stringify(this.schedule)) return;
    this.schedule = schedule;
    this._trace(`schedule ${JSON.stringify(schedule)}`);
    this.emit('changed');
  }

  async continue(): Promise<void> {
    if (this.busy) return;
    const page = this.page;
    if (page === 'what') {
      if (!this.what.ready) {
        this._setError(notReadyText(this.what.choice, this.what.person, this.what.listing) || _('Wait until Rewind has looked at what you chose.'));
        return;
      }
      // The folders ticked under Leave out are kept apart now: the person saw what will happen.
      if (!(await this.what.applyLeaveOuts())) return;
      this._setPage('where');
      if (!this.disks) await this.loadDisks();
    } else if (page === 'where') {
      if (!this.destination) {
        this._setError(_('Choose where backups go.'));
        return;
      }
      this._setPage(this._afterWhere());
    } else if (page === 'prepare') {
      await this.prepare();
    } else if (page === 'when') {
      this._setPage('summary');
    }
  }

  back(): void {
    if (this.busy) return;
    this._setError('');
    if (this.page === 'prepare') {
      this.toPrepare = null;
      this._setPage('where');
      return;
    }
    const steps = this.steps;
    const at = steps.indexOf(this.page);
    if (at > 0) this._setPage(steps[at - 1]);
  }

  /** PrepareDisk on the disk the warning named, with the size it showed. */
  async prepare(): Promise<void> {
    const disk = this.toPrepare;
    if (this.busy || this.page !== 'prepare' || !disk) return;
    const request = { path: disk.path, sizeBytes: disk.sizeBytes, label: _('Rewind backups') };
    const reply = await this._call('PrepareDisk', () => this._client.callJson('PrepareDisk', request));
    if (!reply) return;
    this._trace(`prepared ${disk.path} ${reply.value.uuid}`);
    this.toPrepare = null;
    // Named as the disk now is, in Files and here alike.
    const name = request.label;
    this._choose(diskDestination({ ...disk, use: 'btrfs', uuid: reply.value.uuid, label: name }, destinationId(name, this._takenIds()), name)!, name);
    void this.loadDisks();
  }

  /** Whether "Encrypt backups" is offered: a new destination written as stream files (one kept stays as it is). */
  get canEncrypt(): boolean {
    return this.destination?.kind === 'files' && !this.keeping;
  }

  /** Whether the backups will be encrypted: offered, and turned on. */
  get encrypt(): boolean {
    return this.canEncrypt && (this._encrypt.get_state()?.get_boolean() ?? false);
  }

  /** The configuration Save will send. */
  newConfig(): Config | null {
    const chosen = this.destination;
    if (!chosen) return null;
    const destination = this.encrypt ? { ...chosen, encrypt: true } : chosen;
    return configWith(this.existing, this.mode, this.what.configSources(), destination, this.schedule, this.what.exclude);
  }

  async save(): Promise<void> {
    const config = this.newConfig();
    if (this.busy || this.page !== 'summary' || !config) return;
    const reply = await this._call('SetConfig', () => this._client.callJson('SetConfig', config));
    if (!reply) return;
    this._trace(`saved ${reply.value.config.destinations.map((d) => d.id).join(' ')} timer ${reply.value.timer}`);
    this.newKeys = namedKeys(reply.value);
    this.emit('saved');
    void this._client.refresh();
  }

  protected override _enabledActions(): Record<string, boolean> {
    const idle = !this.busy;
    const page = this.page;
    // Every step waits while the helper answers.
    return {
      ...Object.fromEntries(this.actions.list_actions().map((name) => [name, idle])),
      continue: idle && ['what', 'where', 'when'].includes(page) && (page !== 'what' || this.what.ready),
      back: idle && this.steps.indexOf(page) !== 0,
      'prepare-disk': idle && page === 'prepare',
      save: idle && page === 'summary',
    };
  }

  /** The disks are marked by the folders chosen: looked at again when these change. */
  private _whatChanged(): void {
    const sources = this.sources.join('\n');
    if (sources !== this._whatSources) this.disks = null;
    this._whatSources = sources;
    this.emit('changed');
    this._syncActions();
  }

  private _afterWhere(): SetupPage {
    const steps = this.steps;
    return steps[steps.indexOf('where') + 1];
  }

  private _takenIds(): string[] {
    return this.existing?.destinations.map((d) => d.id) ?? [];
  }

  private _inUse(place: Place): Destination | undefined {
    return destinationAt(this.existing?.destinations ?? [], place, this.disks ?? []);
  }

  /** Chooses `fresh`, unless `place` already is a destination: then that one when setting up again, nothing when adding. */
  private _chooseUnlessUsed(place: Place, fresh: Destination, text: string): void {
    const used = this._inUse(place);
    if (!used) this._choose(fresh, text);
    else if (this.mode === 'first-run') this._choose(used, destinationName(used));
    else this._setError(fmt(_('“%s” is already used for backups.'), destinationName(used)));
  }

  private _choose(destination: Destination, text: string): void {
    this.destination = destination;
    this.destinationText = text;
    this.keeping = this.existing?.destinations.some((d) => d.id === destination.id) ?? false;
    this._setError('');
    this._trace(`destination ${destination.kind} ${destination.id}`);
    this.emit('changed');
    this._setPage(this._afterWhere());
  }
}
