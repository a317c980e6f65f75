import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from './format';
import type { HelperClient } from './helper-client';
import { InventoryModel } from './inventory-model';
import { _ } from './i18n';
import type { Moment } from '../core/timeline';
import { copyPlace, momentPlaces, timelineOf } from './timeline-words';
import type { PointRef } from './restore-browser/browser-model';
import { closeOnEscape } from './close-on-escape';
import { trace } from './trace';
import { screenMessage } from './error-text';
import { sourceName } from './source-name';

/** A snapshot name (YYYYMMDDTHHMMSSZ) as ISO 8601, for formatWhen. */
export function snapshotTime(name: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : undefined;
}

/** A row that opens the moment in the restore browser (app.browse-point), from its fastest copy. */
function momentRow(moment: Moment, labels: Map<string, string>): Adw.ActionRow {
  const open = moment.open;
  const row = new Adw.ActionRow({ title: escapeMarkup(moment.timeLabel), subtitle: escapeMarkup(momentPlaces(moment, labels)), activatable: !!open, focusable: !!open });
  if (!open) {
    row.subtitle = escapeMarkup(`${momentPlaces(moment, labels)}\n${_('Connect the disk or check the server to open it.')}`);
    return row;
  }
  const point: PointRef = { from: open.from, snapshot: open.snapshot, source: moment.source, where: copyPlace(open.from, labels) };
  row.action_name = 'app.browse-point';
  row.set_action_target_value(new GLib.Variant('s', JSON.stringify(point)));
  row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
  return row;
}

/**
 * Restore points: one timeline of every moment (src/core/timeline.ts), a
 * moment once wherever its copies are, by day, newest first; each opens in
 * the restore browser (./restore-browser) from its fastest copy.
 */
export class RestorePointsWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindRestorePointsWindow' }, this);
  }

  private _model: InventoryModel;
  private _client: HelperClient;
  private _page!: Adw.PreferencesPage;
  private _groups: Adw.PreferencesGroup[] = [];
  private _spinner!: Gtk.Spinner;

  constructor(parent: Gtk.Window, client: HelperClient) {
    super({ transient_for: parent, application: parent.application, modal: true, default_width: 560, default_height: 620, width_request: 360, title: _('Restore Points') });
    this._model = new InventoryModel(client);
    this._client = client;
    this._spinner = new Gtk.Spinner({ spinning: true });
    this._spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Waiting for the backup helper')]);
    const header = new Adw.HeaderBar();
    header.pack_end(this._spinner);
    this._page = new Adw.PreferencesPage();
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._page);
    this.set_content(content);
    closeOnEscape(this);
    const intro = new Adw.PreferencesGroup({
      description: _('Each restore point is your files as they were at that time. Open one to see its files and get them back.'),
    });
    this._page.add(intro);
    this._model.connect('changed', () => this._show());
    void this._model.load();
  }

  private _group(title: string, description?: string): Adw.PreferencesGroup {
    const group = new Adw.PreferencesGroup({ title: escapeMarkup(title) });
    if (description) group.description = escapeMarkup(description);
    this._page.add(group);
    this._groups.push(group);
    return group;
  }

  private _show(): void {
    this._spinner.visible = false;
    const { inventory, failure } = this._model;
    if (failure || !inventory) {
      trace(`restore points failed ${failure?.code}`);
      const message =
        failure?.kind === 'error'
          ? failure.message
          : failure?.kind === 'unreachable'
            ? _('The backup helper is not available. Install the rewind-helper package.')
            : _('The system’s policy does not allow this account to list restore points.');
      this._group(_('Could not list restore points'), message);
      return;
    }
    const labels = new Map((this._client.status?.destinations ?? []).map((d) => [d.id, d.label]));
    const timelines = timelineOf(inventory, this._client);
    let copies = 0;
    let moments = 0;
    for (const timeline of timelines) {
      // Several folders backed up: each has its own timeline, under its name in words.
      if (timelines.length > 1) this._group(sourceName(timeline.source));
      for (const day of timeline.days) {
        const group = this._group(day.label);
        for (const moment of day.moments) group.add(momentRow(moment, labels));
        moments += day.moments.length;
        copies += day.moments.reduce((n, m) => n + m.copies.length, 0);
      }
      if (timeline.days.length === 0) this._group(timelines.length > 1 ? '' : _('No restore points yet'), _('The first backup makes one.'));
    }
    for (const problem of inventory.problems) this._group(sourceName(problem.source), screenMessage(problem.error));
    if (inventory.sources.length === 0 && inventory.problems.length === 0) {
      this._group(_('No restore points'), _('Backups are not set up on this computer yet. Set up backups first, or connect the disk that holds backups made before.'));
    }
    // Every copy, then the moments they make (each once).
    trace(`restore points ${copies} in ${moments} moments`);
  }
}
