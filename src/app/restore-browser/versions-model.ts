import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import { backedUpSource, folderVersion, foldVersions, type FoldedVersions, type Observation, type Sighting, type VersionEntry } from '../../core/file-versions';
import type { Moment } from '../../core/timeline';
import type { PointLook } from '../../core/versions-request';
import { screenMessage } from '../error-text';
import type { Failure, HelperClient } from '../helper-client';
import { copyPlace, timelineOf } from '../timeline-words';
import { trace } from '../trace';
import { failureText, restoredText, restoreFailureText, type PointRef } from './browser-model';
import { leftOutFolder } from './path-facts';

/** Moments read in one ListVersions call: the rows come a few at a time, and no call runs long. */
const MOMENTS_A_CALL = 20;

/** Where the versions window is: reading, a reason to show nothing, or the versions (while more are read). */
export type VersionsState = { kind: 'loading' } | { kind: 'not-configured' } | { kind: 'not-backed-up' } | { kind: 'failed'; message: string } | { kind: 'ready' };

/** The path as it is now, read by the app as the person. */
export interface NowEntry {
  kind: VersionEntry['kind'];
  size: number;
  mtime: number;
}

/**
 * The previous versions of one path (src/core/file-versions.ts): which
 * backed-up folder holds it, what each moment of that folder's timeline had
 * there (read with ListVersions, as the restore browser reads a folder, a
 * few moments a call, newest first), folded into versions; and a chosen
 * version restored with RestoreFiles, to where it was (the current one kept
 * aside) or into a folder. `changed` says what changed: state, rows (another
 * moment was read), selection, busy, now.
 */
export class VersionsModel extends GObject.Object {
  static {
    GObject.registerClass(
      {
        GTypeName: 'RewindVersionsModel',
        Signals: {
          changed: { param_types: [GObject.TYPE_STRING] },
          // ok, message: a restore finished or failed.
          restored: { param_types: [GObject.TYPE_BOOLEAN, GObject.TYPE_STRING] },
        },
      },
      this,
    );
  }

  /** The absolute path asked about. */
  readonly path: string;
  readonly name: string;
  state: VersionsState = { kind: 'loading' };
  source = '';
  /** The path inside the backed-up folder ("" for the folder itself). */
  relative = '';
  /** Still reading moments. */
  reading = false;
  /** How many moments the timeline has, and how many have been read. */
  total = 0;
  observations: Observation<Moment>[] = [];
  folded: FoldedVersions<Moment> = { rows: [], versions: 0, unavailable: 0 };
  now: NowEntry | undefined;
  /** The folder on the way to the path that backups leave out (set apart, or another disk), if any. */
  leftOut: string | undefined;
  /** The snapshot of the chosen version's moment (its newest). */
  selected: string | null = null;
  busy = false;
  private _client: HelperClient;
  private _labels = new Map<string, string>();

  constructor(client: HelperClient, path: string) {
    super();
    this._client = client;
    this.path = path;
    this.name = GLib.path_get_basename(path);
  }

  private _changed(what: string): void {
    this.emit('changed', what);
  }

  private _set(state: VersionsState): void {
    this.state = state;
    this._changed('state');
  }

  /** Finds the backed-up folder, then reads each moment, newest first. */
  async load(): Promise<void> {
    this.readNow();
    await this._statusRead();
    const status = this._client.status;
    if (!status) {
      const state = this._client.state;
      const failure: Failure = state === 'unreachable' || state === 'not-authorised' ? { kind: state, code: state } : { kind: 'error', code: state, message: this._client.error_message };
      return this._set({ kind: 'failed', message: failureText(failure) });
    }
    if (!status.configured) {
      trace('versions not-configured');
      return this._set({ kind: 'not-configured' });
    }
    this._labels = new Map(status.destinations.map((d) => [d.id, d.label]));
    let moments: Moment[];
    try {
      const timelines = timelineOf(await this._client.callJson('ListRestorePoints'), this._client);
      const found = backedUpSource(this.path, [...new Set([...status.sources, ...timelines.map((t) => t.source)])]);
      if (!found) {
        trace(`versions not-backed-up ${this.path}`);
        return this._set({ kind: 'not-backed-up' });
      }
      this.source = found.source;
      this.relative = found.relative;
      this.leftOut = leftOutFolder(found.source, found.relative);
      if (this.leftOut !== undefined) trace(`versions left-out ${this.leftOut}`);
      moments = timelines.find((t) => t.source === found.source)?.moments ?? [];
    } catch (e) {
      trace(`versions failed ${(e as Failure).code}`);
      return this._set({ kind: 'failed', message: failureText(e as Failure) });
    }
    trace(`versions source ${this.source} ${this.relative === '' ? '.' : this.relative} ${moments.length}`);
    this.total = moments.length;
    this.reading = true;
    this._set({ kind: 'ready' });
    const started = GLib.get_monotonic_time();
    // A few moments a call, newest first, so the rows come as they are read.
    for (let at = 0; at < moments.length; at += MOMENTS_A_CALL) {
      const chunk = moments.slice(at, at + MOMENTS_A_CALL);
      const seen = await this._look(chunk);
      chunk.forEach((moment, i) => this.observations.push({ moment, seen: seen[i] }));
      this.folded = foldVersions(this.observations);
      this._changed('rows');
    }
    this.reading = false;
    this._changed('rows');
    const summary = this.folded.rows.map((r) => `${r.kind}:${r.newest.open?.snapshot ?? '-'}:${r.count}`).join(' ');
    trace(`versions done ${this.folded.versions} ${summary}`);
    trace(`versions read ${moments.length} moments in ${Math.round((GLib.get_monotonic_time() - started) / 1000)} ms`);
  }

  /** Resolves once the first status was read, or could not be (the window reads it when it opens). */
  private _statusRead(): Promise<void> {
    const client = this._client;
    if (client.state !== 'loading') return Promise.resolve();
    return new Promise((resolve) => {
      const id = client.connect('notify::state', () => {
        if (client.state === 'loading') return;
        client.disconnect(id);
        resolve();
      });
    });
  }

  /** The path as it is now, read as the person (no link followed). */
  readNow(): void {
    const attributes = 'standard::type,standard::size,time::modified,time::modified-usec';
    try {
      const info = Gio.File.new_for_path(this.path).query_info(attributes, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
      const type = info.get_file_type();
      const kind = type === Gio.FileType.DIRECTORY ? 'folder' : type === Gio.FileType.SYMBOLIC_LINK ? 'link' : type === Gio.FileType.REGULAR ? 'file' : 'other';
      const mtime = info.get_attribute_uint64('time::modified') + info.get_attribute_uint32('time::modified-usec') / 1e6;
      this.now = { kind, size: info.get_size(), mtime };
    } catch {
      this.now = undefined;
    }
    this._changed('now');
  }

  private _point(moment: Moment): PointRef {
    const open = moment.open!;
    return { from: open.from, snapshot: open.snapshot, source: moment.source, where: copyPlace(open.from, this._labels) };
  }

  /**
   * What some moments had at the path (rule 3 of src/core/file-versions.ts),
   * in one ListVersions call for those that can be opened.
   */
  private async _look(moments: Moment[]): Promise<Sighting[]> {
    const open = moments.filter((m) => m.open);
    const looks = new Map<Moment, PointLook>();
    if (open.length > 0) {
      try {
        const points = open.map((m) => ({ from: m.open!.from, snapshot: m.open!.snapshot }));
        const answer = await this._client.callJson('ListVersions', { source: this.source, path: this.relative, points });
        open.forEach((m, i) => looks.set(m, answer.looks[i] ?? { kind: 'absent' }));
      } catch (e) {
        const failure = e as Failure;
        trace(`versions moments-failed ${failure.code}`);
        return moments.map((m) => (m.open ? { kind: 'unreadable', message: failureText(failure) } : { kind: 'unavailable' }));
      }
    }
    return moments.map((m) => this._sighting(looks.get(m)));
  }

  private _sighting(look: PointLook | undefined): Sighting {
    if (look === undefined) return { kind: 'unavailable' };
    if (look.kind === 'absent') return { kind: 'absent' };
    if (look.kind === 'unreadable') return { kind: 'unreadable', message: screenMessage(look.error) };
    const { entry, items } = look;
    // The backed-up folder itself: its own time is not a version's (as when it was listed from above).
    if (entry.kind === 'folder') return { kind: 'present', entry: folderVersion(this.relative === '' ? 0 : entry.mtime, items ?? []) };
    return { kind: 'present', entry: { kind: entry.kind, size: entry.size, mtime: entry.mtime, ...(entry.target !== undefined ? { target: entry.target } : {}) } };
  }

  /** The point a version row restores from and opens in the browser. */
  pointOf(snapshot: string): PointRef | undefined {
    const row = this.folded.rows.find((r) => r.kind === 'version' && r.newest.open?.snapshot === snapshot);
    return row ? this._point(row.newest) : undefined;
  }

  /** A version is chosen, and nothing is being restored. */
  get canRestore(): boolean {
    return this.selected !== null && !this.busy && this.relative !== '' && this.pointOf(this.selected) !== undefined;
  }

  select(snapshot: string): void {
    const next = this.pointOf(snapshot) ? snapshot : null;
    if (next === this.selected) return;
    this.selected = next;
    trace(`versions selection ${next ?? 'none'}`);
    this._changed('selection');
  }

  /** Restores the chosen version where the path is (the current one kept aside), or into `folder`. */
  async restore(folder?: string): Promise<void> {
    const point = this.selected === null ? undefined : this.pointOf(this.selected);
    if (!point || !this.canRestore) return;
    this.busy = true;
    this._changed('busy');
    try {
      const to = folder === undefined ? { original: true as const } : { folder };
      const result = await this._client.callJson('RestoreFiles', { from: point.from, snapshot: point.snapshot, source: point.source, paths: [this.relative], to });
      trace(`versions restored ${result.restored.length} ${result.as}`);
      this.emit('restored', true, restoredText(result, folder));
    } catch (e) {
      const failure = e as Failure;
      trace(`versions restore-failed ${failure.code}`);
      // Closing the password dialog is the person's choice: nothing to say.
      if (failure.kind !== 'dismissed') this.emit('restored', false, restoreFailureText(failure));
    } finally {
      this.busy = false;
      this._changed('busy');
      this.readNow();
    }
  }
}
