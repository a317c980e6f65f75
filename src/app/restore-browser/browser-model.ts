import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import type { BrowseEntry, SearchResult, WhatChangedResult } from '../../core/browse-request';
import type { MomentsSearchResult } from '../../core/moments-search';
import type { RestoreResult } from '../../core/restore-request';
import { findMoment, stepMoment, type Moment } from '../../core/timeline';
import type { Failure, HelperClient } from '../helper-client';
import { _, fmt, ngettext } from '../i18n';
import { copyPlace, timelineOf } from '../timeline-words';
import { launchDefault, privateCopyFolder, readOnlyCopy } from './open-copy';
import { trace } from '../trace';

/** A restore point as the timeline names it (src/app/restore-points-window.ts). */
export interface PointRef {
  /** "local" or a destination id. */
  from: string;
  snapshot: string;
  /** The backed-up folder. */
  source?: string;
  /** Where the point is, for people ("This computer", the disk's name). */
  where?: string;
  /** Encrypted backups found with no configuration: the recovery key typed in the recovery window. */
  recoveryKey?: string;
  /** Where the browser opens (relative to the backed-up folder); else the person's home in it, or the top. */
  folder?: string;
}

/** What the window shows in each view: loading, the items, or a message. */
export type ViewState<T> = { kind: 'loading' } | { kind: 'ready'; value: T } | { kind: 'failed'; message: string };

/** A sentence for a failed helper call. */
export function failureText(failure: Failure): string {
  if (failure.kind === 'error') return failure.message;
  if (failure.kind === 'unreachable') return _('The backup helper is not available. Install the rewind-helper package.');
  if (failure.kind === 'not-authorised') return _('The system’s policy does not allow this account to browse restore points.');
  return _('Authentication was cancelled.');
}

/**
 * The restore browser's model: which point and folder are open, what the
 * helper answered for the folder, the search and "what changed", and which
 * paths are selected for restoring. The window shows it and names actions;
 * this calls the helper (ListFolder, Search, WhatChanged, RestoreFiles).
 * The point's timeline (ListRestorePoints, src/core/timeline.ts) lets it
 * step to an earlier or later moment in the same folder.
 * `changed` says which part changed: folder, search, changes, selection,
 * busy, point (another moment is shown), timeline (the moments are known).
 */
export class BrowserModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindBrowserModel',
        Signals: {
          changed: { param_types: [GObject.TYPE_STRING] },
          // message: a restore finished (ok) or failed.
          restored: { param_types: [GObject.TYPE_BOOLEAN, GObject.TYPE_STRING] },
          // ok, message: a read-only copy was opened, or could not be.
          'copy-opened': { param_types: [GObject.TYPE_BOOLEAN, GObject.TYPE_STRING] },
        },
      },
      this,
    );
  }

  point: PointRef;
  folder = '';
  listing: ViewState<BrowseEntry[]> = { kind: 'loading' };
  /** The open folder was not in this moment (created later, or deleted before). */
  folderMissing = false;
  /** The moments of the point's folder, newest first, and which one is shown (-1: not known). */
  moments: Moment[] = [];
  momentIndex = -1;
  /** null while no search is active; across every moment (SearchMoments) when `everyMoment`. */
  search: { pattern: string; state: ViewState<SearchResult | MomentsSearchResult> } | null = null;
  everyMoment = false;
  changes: ViewState<WhatChangedResult> = { kind: 'loading' };
  readonly selection = new Map<string, BrowseEntry['kind']>();
  busy = false;
  private _client: HelperClient;
  private _searchSerial = 0;
  private _folderSerial = 0;
  private _changesSerial = 0;

  constructor(client: HelperClient, point: PointRef) {
    super();
    this._client = client;
    this.point = point;
  }

  private get _pointFields(): { from: string; snapshot: string; source?: string; recoveryKey?: string } {
    return {
      from: this.point.from,
      snapshot: this.point.snapshot,
      ...(this.point.source ? { source: this.point.source } : {}),
      ...(this.point.recoveryKey ? { recoveryKey: this.point.recoveryKey } : {}),
    };
  }

  private _changed(what: string): void {
    this.emit('changed', what);
  }

  async openFolder(folder: string): Promise<void> {
    const serial = ++this._folderSerial;
    this.folder = folder;
    this.listing = { kind: 'loading' };
    this.folderMissing = false;
    this._changed('folder');
    try {
      const answer = await this._client.callJson('ListFolder', { ...this._pointFields, path: folder });
      if (serial !== this._folderSerial) return;
      this.listing = { kind: 'ready', value: answer.entries };
      trace(`browser folder ${folder === '' ? '.' : folder} ${answer.entries.length}`);
    } catch (e) {
      if (serial !== this._folderSerial) return;
      const failure = e as Failure;
      this.listing = { kind: 'failed', message: failureText(failure) };
      // Not there (or not a folder) in this moment: said as such, and the folder is kept for the next step in time.
      this.folderMissing = folder !== '' && failure.kind === 'error' && failure.code === 'InvalidArgs';
      trace(this.folderMissing ? `browser folder-missing ${folder}` : `browser folder-failed ${failure.code}`);
    }
    this._changed('folder');
  }

  /** Opens where the browser starts (the person's home), or the top when that is not in this point. */
  async openStart(folder: string): Promise<void> {
    await this.openFolder(folder);
    if (this.folderMissing) await this.openFolder('');
  }

  /** Reads the point's timeline, for stepping in time; without it the browser shows this point only. */
  async loadTimeline(): Promise<void> {
    // Backups found with no configuration (recovery) are not in the configured timeline.
    if (this.point.recoveryKey !== undefined || this._client.status?.configured === false) return;
    try {
      const inventory = await this._client.callJson('ListRestorePoints');
      const timelines = timelineOf(inventory, this._client);
      const timeline = timelines.find((t) => t.source === this.point.source) ?? (this.point.source === undefined && timelines.length === 1 ? timelines[0] : undefined);
      this.moments = timeline?.moments ?? [];
      this.momentIndex = findMoment(this.moments, this.point.from, this.point.snapshot);
      trace(`browser timeline ${this.moments.length} at ${this.momentIndex}`);
    } catch (e) {
      trace(`browser timeline-failed ${(e as Failure).code}`);
    }
    this._changed('timeline');
  }

  /** The moment an older (1) or newer (-1) step goes to; undefined at an end. */
  neighbour(step: 1 | -1): number | undefined {
    return stepMoment(this.moments, this.momentIndex, step);
  }

  /** Shows an older (1) or newer (-1) moment, in the same folder and view, with the same search. */
  async step(step: 1 | -1): Promise<void> {
    const index = this.neighbour(step);
    if (index !== undefined) await this.showMoment(index, this.folder);
  }

  /** Shows the moment of a hit of a search across time (a local snapshot, or a backup on a disk, `from`) at `folder`. */
  async openMoment(snapshot: string, folder: string, from = 'local'): Promise<void> {
    const index = findMoment(this.moments, from, snapshot);
    if (index >= 0) await this.showMoment(index, folder);
  }

  private async showMoment(index: number, folder: string): Promise<void> {
    const moment = this.moments[index];
    if (!moment?.open) return;
    const labels = new Map((this._client.status?.destinations ?? []).map((d) => [d.id, d.label]));
    this.point = { from: moment.open.from, snapshot: moment.open.snapshot, source: moment.source, where: copyPlace(moment.open.from, labels) };
    this.momentIndex = index;
    // A selection is of the moment it was made in.
    this.selection.clear();
    this.changes = { kind: 'loading' };
    this._changesSerial++;
    trace(`browser moment ${index} ${moment.open.from} ${moment.open.snapshot}`);
    this._changed('point');
    this._changed('selection');
    const pattern = this.search?.pattern;
    await this.openFolder(folder);
    // A search across time is of every moment: it stays as it is.
    if (pattern && !this.everyMoment) {
      this.search = null;
      await this.find(pattern);
    }
  }

  /**
   * Where a path of the point is on this computer now (for its previous
   * versions); undefined for backups found with no configuration, whose
   * folder may not be this computer's.
   */
  livePath(relative: string): string | undefined {
    const { source, recoveryKey } = this.point;
    if (source === undefined || recoveryKey !== undefined || this._client.status?.configured !== true) return undefined;
    return relative === '' ? source : GLib.build_filenamev([source, relative]);
  }

  /** The folder above the open one; nothing at the top. */
  up(): void {
    if (this.folder === '') return;
    const at = this.folder.lastIndexOf('/');
    void this.openFolder(at < 0 ? '' : this.folder.slice(0, at));
  }

  /** Searches every moment (on), or the one shown (off), for the same text. */
  async setEveryMoment(on: boolean): Promise<void> {
    if (on === this.everyMoment) return;
    this.everyMoment = on;
    trace(`browser every-moment ${on}`);
    const pattern = this.search?.pattern;
    this.search = null;
    this._changed('search');
    if (pattern) await this.find(pattern);
  }

  /** Searches the whole point (or every moment); an empty pattern ends the search. */
  async find(pattern: string): Promise<void> {
    // The search entry reports the text the action put there: same search.
    if (pattern === (this.search?.pattern ?? '')) return;
    const serial = ++this._searchSerial;
    if (pattern.trim() === '') {
      this.search = null;
      trace('browser search cleared');
      this._changed('search');
      return;
    }
    this.search = { pattern, state: { kind: 'loading' } };
    this._changed('search');
    let state: ViewState<SearchResult | MomentsSearchResult>;
    try {
      if (this.everyMoment) {
        const result = await this._client.callJson('SearchMoments', { ...(this.point.source ? { source: this.point.source } : {}), pattern, limit: 500 });
        state = { kind: 'ready', value: result };
        trace(`browser search-moments ${result.searched}/${result.moments} ${result.hits.map((h) => `${h.from ? `${h.from}/` : ''}${h.snapshot}:${h.entry.path}`).join(' ')}`);
      } else {
        const result = await this._client.callJson('Search', { ...this._pointFields, pattern, limit: 500 });
        state = { kind: 'ready', value: result };
        trace(`browser search ${result.entries.length}`);
      }
    } catch (e) {
      state = { kind: 'failed', message: failureText(e as Failure) };
      trace(`browser search-failed ${(e as Failure).code}`);
    }
    if (serial !== this._searchSerial) return;
    this.search = { pattern, state };
    this._changed('search');
  }

  async loadChanges(): Promise<void> {
    const serial = ++this._changesSerial;
    this.changes = { kind: 'loading' };
    this._changed('changes');
    let changes: ViewState<WhatChangedResult>;
    try {
      const result = await this._client.callJson('WhatChanged', this._pointFields);
      changes = { kind: 'ready', value: result };
      trace(`browser changes ${result.changes.length}`);
    } catch (e) {
      changes = { kind: 'failed', message: failureText(e as Failure) };
      trace(`browser changes-failed ${(e as Failure).code}`);
    }
    // Another moment was opened meanwhile: this answer is not its.
    if (serial !== this._changesSerial) return;
    this.changes = changes;
    this._changed('changes');
  }

  setSelected(path: string, kind: BrowseEntry['kind'], selected: boolean): void {
    if (selected === this.selection.has(path)) return;
    if (selected) this.selection.set(path, kind);
    else this.selection.delete(path);
    trace(`browser selection ${this.selection.size}`);
    this._changed('selection');
  }

  /** Selects a path by name (the test's and the keyboard's way); its kind is looked up in what is shown. */
  toggle(path: string): void {
    const shown = [...(this.listing.kind === 'ready' ? this.listing.value : []), ...(this.search?.state.kind === 'ready' && 'entries' in this.search.state.value ? this.search.state.value.entries : [])];
    this.setSelected(path, shown.find((e) => e.path === path)?.kind ?? 'file', !this.selection.has(path));
  }

  /** Restores the selection to where it was (the current version kept aside), or into `folder`. */
  async restore(folder?: string): Promise<void> {
    if (this.selection.size === 0) return;
    await this._restore({ ...this._pointFields, paths: [...this.selection.keys()] }, folder, () => {
      this.selection.clear();
      this._changed('selection');
    });
  }

  /**
   * Brings back something What changed lists as deleted: it is not in this
   * point, so it comes from the previous one, to where it was.
   */
  async restoreDeleted(path: string): Promise<void> {
    const previous = this.changes.kind === 'ready' ? this.changes.value.previous : undefined;
    const deleted = this.changes.kind === 'ready' && this.changes.value.changes.some((c) => c.kind === 'deleted' && c.path === path);
    if (previous === undefined || !deleted) return;
    await this._restore({ ...this._pointFields, snapshot: previous, paths: [path] }, undefined, () => undefined);
  }

  /**
   * Opens a read-only copy of one file of this moment in its default app
   * (./open-copy), without restoring it.
   */
  async openCopy(path: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this._changed('busy');
    const name = base(path);
    try {
      let copy: Gio.File;
      try {
        const result = await this._client.callJson('RestoreFiles', { ...this._pointFields, paths: [path], to: { folder: privateCopyFolder() } });
        copy = readOnlyCopy(result.restored[0]?.restoredTo ?? '');
      } catch (e) {
        const failure = e as Failure;
        trace(`browser copy-failed ${failure.kind ? failure.code : 'local'}`);
        // Closing the password dialog is the person's choice: nothing to say.
        if (failure.kind !== 'dismissed') this.emit('copy-opened', false, failure.kind ? restoreFailureText(failure) : fmt(_('A private folder for the copy could not be made: %s'), (e as Error).message));
        return;
      }
      trace(`browser copy ${copy.get_path()}`);
      try {
        await launchDefault(copy);
      } catch {
        trace('browser copy-failed open');
        this.emit('copy-opened', false, fmt(_('No app on this computer could open “%s”.'), name));
        return;
      }
      trace(`browser copy-opened ${copy.get_path()}`);
      this.emit('copy-opened', true, fmt(_('Opened a read-only copy of “%s”. Restore it to keep it.'), name));
    } finally {
      this.busy = false;
      this._changed('busy');
    }
  }

  private async _restore(request: { from: string; snapshot: string; source?: string; paths: string[] }, folder: string | undefined, done: () => void): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this._changed('busy');
    try {
      const result = await this._client.callJson('RestoreFiles', { ...request, to: folder === undefined ? { original: true } : { folder } });
      trace(`browser restored ${result.restored.length} ${result.as}`);
      done();
      this.emit('restored', true, restoredText(result, folder));
    } catch (e) {
      const failure = e as Failure;
      trace(`browser restore-failed ${failure.code}`);
      // Closing the password dialog is the user's choice: nothing to say.
      if (failure.kind !== 'dismissed') this.emit('restored', false, restoreFailureText(failure));
    } finally {
      this.busy = false;
      this._changed('busy');
    }
  }
}

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What a toast says after a restore (the restore browser's and the versions window's). */
export function restoredText(result: RestoreResult, folder: string | undefined): string {
  const n = result.restored.length;
  const name = base(result.restored[0]?.path ?? '');
  let done: string;
  if (folder === undefined) done = n === 1 ? fmt(_('Restored “%s”.'), name) : fmt(ngettext('Restored %s item.', 'Restored %s items.', n), n);
  else done = n === 1 ? fmt(_('Restored “%s” to %s.'), name, folder) : fmt(ngettext('Restored %s item to %s.', 'Restored %s items to %s.', n), n, folder);
  const parts = [done];
  const aside = result.restored.filter((r) => r.keptAsideAs);
  if (aside.length === 1) parts.push(fmt(_('The current version is kept as “%s”.'), base(aside[0].keptAsideAs!)));
  if (aside.length > 1) parts.push(_('The current versions are kept with “(before restore)” in their names.'));
  // setuid, setgid and sticky bits: what a user restores never has them, and the person should know it changed.
  const special = result.specialBitsRemoved?.count ?? 0;
  if (special > 0) parts.push(fmt(ngettext('Special permissions were removed from %s item.', 'Special permissions were removed from %s items.', special), special));
  return parts.join(' ');
}

export function restoreFailureText(failure: Failure): string {
  if (failure.kind === 'not-authorised') {
    return _('Your account may not read these files in the restore point or write where they go, and an administrator did not allow it.');
  }
  return failureText(failure);
}
