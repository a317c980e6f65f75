import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { BrowseEntry } from '../../core/browse-request';
import { escapeMarkup, formatWhen } from '../format';
import { _, fmt } from '../i18n';

/**
 * The icon of an entry and what kind of thing it is, in words. A file's
 * type is guessed from its name alone: its content is in the backup, not to
 * be read for a picture (and a name is all ListFolder gives).
 */
export function entryType(entry: Pick<BrowseEntry, 'name' | 'kind'>): { icon: Gio.Icon; label: string } {
  if (entry.kind === 'folder') return { icon: Gio.ThemedIcon.new('folder-symbolic'), label: _('Folder') };
  if (entry.kind === 'link') return { icon: Gio.ThemedIcon.new('emblem-symbolic-link-symbolic'), label: _('Link') };
  const [type, uncertain] = Gio.content_type_guess(entry.name, null);
  if (uncertain || !type) return { icon: Gio.ThemedIcon.new('text-x-generic-symbolic'), label: _('File') };
  const description = Gio.content_type_get_description(type);
  return { icon: Gio.content_type_get_symbolic_icon(type), label: description.charAt(0).toUpperCase() + description.slice(1) };
}

/** When an entry was last modified, for people. */
export function modifiedWhen(mtime: number): string {
  const iso = GLib.DateTime.new_from_unix_utc(Math.floor(mtime))?.format_iso8601();
  return iso ? formatWhen(iso) : '';
}

function describe(entry: BrowseEntry, showFolder: boolean): string {
  const when = modifiedWhen(entry.mtime);
  // Translators: a file's size and when it was last modified, e.g. "3.1 MB · Today at 11:07".
  let detail = entry.kind === 'folder' ? fmt(_('Folder · %s'), when) : entry.kind === 'link' ? fmt(_('Link to %s · %s'), entry.target ?? '', when) : fmt(_('%s · %s'), GLib.format_size(entry.size), when);
  if (showFolder) {
    const at = entry.path.lastIndexOf('/');
    // Translators: where a search result is, then its details.
    detail = fmt(_('In %s · %s'), at < 0 ? _('the top folder') : entry.path.slice(0, at), detail);
  }
  return detail;
}

/**
 * What a row's menu offers for its entry (`browser.*` actions, with the
 * entry's path): a file opened as a read-only copy, and the previous
 * versions, when the moment's backed-up folder is known (not for backups
 * found with no configuration).
 */
export function entryMenu(entry: BrowseEntry, withVersions: boolean): Gio.Menu | null {
  const menu = new Gio.Menu();
  const add = (label: string, action: string) => {
    const item = Gio.MenuItem.new(label, null);
    item.set_action_and_target_value(action, new GLib.Variant('s', entry.path));
    menu.append_item(item);
  };
  // A file as it was then, in the app that opens it, without restoring it.
  if (entry.kind === 'file') add(_('_Open a Copy'), 'browser.open-copy');
  if (withVersions) add(_('Previous _Versions'), 'browser.versions');
  return menu.get_n_items() > 0 ? menu : null;
}

/**
 * One file or folder of a restore point: a check button to select it for
 * restoring, the icon of its type, its name, size and modification time,
 * and a menu of what else can be done with it (its button, or a right click
 * on the row). A folder's row opens it; another row toggles its check button.
 */
export class EntryRow extends Adw.ActionRow {
  static {
    GObject.registerClass({ GTypeName: 'RewindEntryRow' }, this);
  }

  readonly entry: BrowseEntry;
  readonly check: Gtk.CheckButton;

  constructor(entry: BrowseEntry, selected: boolean, showFolder: boolean, menu: Gio.MenuModel | null) {
    super({ title: escapeMarkup(entry.name), subtitle: escapeMarkup(describe(entry, showFolder)), activatable: true });
    this.entry = entry;
    this.check = new Gtk.CheckButton({ active: selected, valign: Gtk.Align.CENTER, tooltip_text: _('Select for restoring') });
    this.check.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Select “%s”'), entry.name)]);
    const type = entryType(entry);
    // The kind in words (a file's type, "Plain text document") as the icon's tooltip and its name for a screen reader.
    const icon = new Gtk.Image({ gicon: type.icon, tooltip_text: type.label });
    icon.update_property([Gtk.AccessibleProperty.LABEL], [type.label]);
    // Prefixes are shown last added first: the check button leads.
    this.add_prefix(icon);
    this.add_prefix(this.check);
    if (menu) this._addMenu(menu);
    if (entry.kind === 'folder') this.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    else this.activatable_widget = this.check;
  }

  private _addMenu(menu: Gio.MenuModel): void {
    const button = new Gtk.MenuButton({ icon_name: 'view-more-symbolic', menu_model: menu, valign: Gtk.Align.CENTER, css_classes: ['flat'], tooltip_text: _('More actions') });
    button.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('More actions for “%s”'), this.entry.name)]);
    this.add_suffix(button);
    // A right click on the row opens the same menu, as in a file manager.
    const click = new Gtk.GestureClick({ button: 3 });
    click.connect('pressed', () => {
      click.set_state(Gtk.EventSequenceState.CLAIMED);
      button.popup();
    });
    this.add_controller(click);
  }
}
