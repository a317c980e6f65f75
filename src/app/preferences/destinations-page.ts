import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { Destination } from '../../core/config';
import { checkDestinationName, destinationName } from '../../core/destination-name';
import { describeKind, escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { trace } from '../trace';
import { iconButton, infoRow, mnemonicButton, switchRow } from '../widgets';
import { nameProblem, type PreferencesModel } from './preferences-model';

/** Preferences, Destinations: each one by its name, with a switch, Rename and Remove; Add… opens Add Destination. */
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
    const addButton = mnemonicButton({ label: _('_Add…'), action_name: 'app.add-destination', valign: Gtk.Align.CENTER, css_classes: ['flat'] });
    this._group = new Adw.PreferencesGroup({ title: _('Destinations'), description: _('Where backups go. A turned-off destination keeps its backups but gets no new ones.'), header_suffix: addButton });
    this.add(this._group);
    model.connect('changed', () => this._show());
    model.connect('ask-rename', (_m, id: string) => {
      const d = model.config?.destinations.find((x) => x.id === id);
      if (d) this._askRename(d);
    });
  }

  private _show(): void {
    const config = this._model.config;
    if (!config) return;
    this._showing = true;
    for (const row of this._rows.splice(0)) this._group.remove(row);
    for (const d of config.destinations) {
      const label = destinationName(d);
      const { row, toggle } = switchRow(escapeMarkup(label), escapeMarkup(describeKind(d.kind)), (active) => {
        if (!this._showing) this._model.enableDestination(d.id, active);
      });
      toggle.active = d.enabled;
      toggle.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Use %s'), label)]);
      row.add_suffix(iconButton('document-edit-symbolic', fmt(_('Rename %s'), label), 'prefs.ask-rename', d.id));
      const remove = iconButton('user-trash-symbolic', fmt(_('Remove %s'), label), null);
      remove.connect('clicked', () => this._confirmRemove(d.id, label));
      row.add_suffix(remove);
      this._add(row);
    }
    if (config.destinations.length === 0) this._add(infoRow({ title: _('No destinations'), subtitle: _('Backups are only kept as snapshots on this computer.') }));
    this._showing = false;
  }

  private _add(row: Gtk.Widget): void {
    this._group.add(row);
    this._rows.push(row);
  }

  /** Asks for a new name; Rename is offered only for a name that can be used, and says why not. */
  private _askRename(d: Destination): void {
    const entry = new Gtk.Entry({ text: destinationName(d), activates_default: true, hexpand: true });
    entry.update_property([Gtk.AccessibleProperty.LABEL], [_('Name')]);
    const problem = new Gtk.Label({ xalign: 0, wrap: true, css_classes: ['error', 'caption'], visible: false });
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6 });
    box.append(entry);
    box.append(problem);
    const dialog = new Adw.MessageDialog({
      transient_for: this.get_root() as Gtk.Window,
      modal: true,
      heading: _('Rename Destination'),
      body: _('The name Rewind shows for it, here, on the main page and in notifications.'),
      extra_child: box,
    });
    dialog.add_response('cancel', _('_Cancel'));
    dialog.add_response('rename', _('_Rename'));
    dialog.set_response_appearance('rename', Adw.ResponseAppearance.SUGGESTED);
    dialog.set_default_response('rename');
    dialog.set_close_response('cancel');
    const check = () => {
      const why = checkDestinationName(entry.text, d.id, this._model.config?.destinations ?? []);
      // An unchanged name is no mistake, only nothing to do.
      problem.label = why && why !== 'empty' ? nameProblem(why) : '';
      problem.visible = problem.label !== '';
      dialog.set_response_enabled('rename', !why && entry.text.trim() !== destinationName(d));
    };
    entry.connect('changed', check);
    check();
    dialog.connect('response', (_d, response: string) => {
      if (response === 'rename') this._model.renameDestination(d.id, entry.text);
    });
    dialog.present();
    trace(`prefs rename ${d.id}`);
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
