import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { describeKind, escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { iconButton, switchRow } from '../widgets';
import type { PreferencesModel } from './preferences-model';

/** Preferences, Destinations: each one with a switch and Remove; Add… opens Add Destination. */
export class DestinationsPage extends Adw.PreferencesPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindPreferencesDestinationsPage' }, this);
  }

  private _model: PreferencesModel;
  private _group: Adw.PreferencesGroup;
  private _rows: Gtk.Widget[] = [];
  /** True while switches are set from the model, so their signals save nothing. */
  private _showing = false;

  constructor(model: PreferencesModel) {
    super({ title: _('Destinations'), icon_name: 'drive-harddisk-symbolic' });
    this._model = model;
    const addButton = new Gtk.Button({ label: _('_Add…'), use_underline: true, action_name: 'app.add-destination', valign: Gtk.Align.CENTER, css_classes: ['flat'] });
    this._group = new Adw.PreferencesGroup({ title: _('Destinations'), description: _('Where backups go. A turned-off destination keeps its backups but gets no new ones.'), header_suffix: addButton });
    this.add(this._group);
    model.connect('changed', () => this._show());
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    for (const row of this._rows.splice(0)) this._group.remove(row);
    for (const d of config.destinations) {
      const label = d.label ?? d.id;
      const { row, toggle } = switchRow(escapeMarkup(label), escapeMarkup(describeKind(d.kind)), (active) => {
        if (!this._showing) this._model.enableDestination(d.id, active);
      });
      toggle.active = d.enabled;
      toggle.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Use %s'), label)]);
      const remove = iconButton('user-trash-symbolic', fmt(_('Remove %s'), label), null);
      remove.connect('clicked', () => this._confirmRemove(d.id, label));
      row.add_suffix(remove);
      this._add(row);
    }
    if (config.destinations.length === 0) this._add(new Adw.ActionRow({ title: _('No destinations'), subtitle: _('Backups are only kept as snapshots on this computer.') }));
    this._showing = false;
  }

  private _add(row: Gtk.Widget): void {
    this._group.add(row);
    this._rows.push(row);
  }

  private _confirmRemove(id: string, label: string): void {
    const dialog = new Adw.MessageDialog({
      transient_for: this.get_root() as Gtk.Window,
      modal: true,
      heading: fmt(_('Remove “%s”?'), label),
      body: _('Rewind stops backing up there. The backups already on it are not deleted.'),
    });
    dialog.add_response('cancel', _('_Cancel'));
    dialog.add_response('remove', _('_Remove'));
    dialog.set_response_appearance('remove', Adw.ResponseAppearance.DESTRUCTIVE);
    dialog.connect('response', (_d, response: string) => {
      if (response === 'remove') this._model.removeDestination(id);
    });
    dialog.present();
  }
}
