import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { destinationLabel, escapeMarkup, formatWhen } from './format';
import type { HelperClient } from './helper-client';
import { InventoryModel } from './inventory-model';
import { _, fmt, ngettext } from './i18n';
import type { PointRef } from './restore-browser/browser-model';
import { closeOnEscape } from './close-on-escape';
import { trace } from './trace';
import { screenMessage } from './error-text';

/** A snapshot name (YYYYMMDDTHHMMSSZ) as ISO 8601, for formatWhen. */
export function snapshotTime(name: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : undefined;
}

/** When a point was made, for people; its name (the time in UTC) is the helper's and the CLI's. */
function when(name: string): string {
  const iso = snapshotTime(name);
  return iso ? formatWhen(iso) : _('Unknown time');
}

/** A row that opens the point in the restore browser (app.browse-point). */
function pointRow(point: PointRef, name: string): Adw.ActionRow {
  const row = new Adw.ActionRow({ title: escapeMarkup(when(name)), activatable: true, action_name: 'app.browse-point' });
  row.set_action_target_value(new GLib.Variant('s', JSON.stringify(point)));
  row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
  return row;
}

/**
 * Restore points: every local snapshot and every backup on each
 * destination, newest first; each opens in the restore browser
 * (./restore-browser).
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
    let count = 0;
    for (const source of inventory.sources) {
      const local = this._group(fmt(_('%s on this computer'), source.source));
      for (const s of [...source.snapshots].reverse()) {
        local.add(pointRow({ from: 'local', snapshot: s.name, source: source.source, where: _('This computer') }, s.name));
        count++;
      }
      if (source.snapshots.length === 0) local.add(new Adw.ActionRow({ title: _('No snapshots') }));
      for (const d of source.destinations) {
        const name = destinationLabel(labels, d.destination);
        const group = this._group(
          fmt(_('%s on %s'), source.source, name),
          d.connected ? fmt(ngettext('%s backup', '%s backups', d.backups.length), d.backups.length) : _('Not connected: connect the disk or check the server to see its backups.'),
        );
        for (const b of [...d.backups].reverse()) {
          group.add(
            b.complete
              ? pointRow({ from: d.destination, snapshot: b.name, source: source.source, where: name }, b.name)
              : new Adw.ActionRow({ title: escapeMarkup(when(b.name)), subtitle: escapeMarkup(_('Incomplete: this backup was interrupted and cannot be opened')) }),
          );
          count++;
        }
      }
    }
    for (const problem of inventory.problems) this._group(problem.source, screenMessage(problem.error));
    if (inventory.sources.length === 0 && inventory.problems.length === 0) {
      this._group(_('No restore points'), _('Backups are not set up on this computer yet. Set up backups first, or connect the disk that holds backups made before.'));
    }
    trace(`restore points ${count}`);
  }
}
