import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';

/** A flat icon button that names an action (with a string target); `name` is its tooltip and accessible name. */
export function iconButton(icon: string, name: string, action: string | null, target?: string): Gtk.Button {
  const button = new Gtk.Button({ icon_name: icon, tooltip_text: name, valign: Gtk.Align.CENTER, css_classes: ['flat'] });
  if (action) button.action_name = action;
  if (target !== undefined) button.action_target = GLib.Variant.new_string(target);
  button.update_property([Gtk.AccessibleProperty.LABEL], [name]);
  return button;
}

/** A label's words without its mnemonic marks: "_Back Up Now" → "Back Up Now" ("__" is a real underscore). */
export function withoutMnemonic(label: string): string {
  return label.replace(/_(_?)/g, '$1');
}

/**
 * A button whose label has a mnemonic ("_Back Up Now"). GTK 4.8 names such
 * a button for screen readers twice: from its label as written and from the
 * label inside it that it is "labelled by" ("_Back Up Now Back Up Now").
 * Its name is set to the words alone, and the second source dropped, again
 * whenever the label changes (setting a label makes the relation again).
 */
export function mnemonicButton(properties: Partial<Gtk.Button.ConstructorProps>): Gtk.Button {
  const button = new Gtk.Button({ ...properties, use_underline: true });
  const name = () => {
    button.update_property([Gtk.AccessibleProperty.LABEL], [withoutMnemonic(button.label ?? '')]);
    button.reset_relation(Gtk.AccessibleRelation.LABELLED_BY);
  };
  name();
  button.connect('notify::label', name);
  return button;
}

/**
 * A row that only shows something (a status, a fact). A row takes the
 * keyboard focus by default, as if pressing it did something; this one lets
 * Tab pass it by.
 */
export function infoRow(properties: Partial<Adw.ActionRow.ConstructorProps>): Adw.ActionRow {
  return new Adw.ActionRow({ ...properties, activatable: false, focusable: false });
}

/** A row with a switch at its end; the whole row toggles it. */
export function switchRow(title: string, subtitle: string, onToggle: (active: boolean) => void): { row: Adw.ActionRow; toggle: Gtk.Switch } {
  const toggle = new Gtk.Switch({ valign: Gtk.Align.CENTER });
  const row = new Adw.ActionRow({ title, subtitle, activatable_widget: toggle });
  row.add_suffix(toggle);
  toggle.connect('notify::active', () => onToggle(toggle.active));
  return { row, toggle };
}

/** A row with a spin button at its end, named for screen readers by the row's title. */
export function spinRow(title: string, subtitle: string | null, max: number, onChange: () => void): { row: Adw.ActionRow; spin: Gtk.SpinButton } {
  const spin = Gtk.SpinButton.new_with_range(0, max, 1);
  spin.valign = Gtk.Align.CENTER;
  spin.update_property([Gtk.AccessibleProperty.LABEL], [title]);
  spin.connect('value-changed', onChange);
  const row = new Adw.ActionRow({ title, activatable_widget: spin });
  if (subtitle) row.subtitle = subtitle;
  row.add_suffix(spin);
  return { row, spin };
}

/** A row that goes somewhere: an icon, a title and subtitle, an arrow; activating it activates `action`. */
export function navigationRow(icon: string, title: string, subtitle: string, action: string, target?: string): Adw.ActionRow {
  const row = new Adw.ActionRow({ title, subtitle, activatable: true, action_name: action });
  if (target !== undefined) row.action_target = GLib.Variant.new_string(target);
  row.add_prefix(new Gtk.Image({ icon_name: icon }));
  row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
  return row;
}

/** Removes what `rows` holds from its group and forgets it. */
export function clearRows(rows: { group: Adw.PreferencesGroup | Adw.ExpanderRow; row: Gtk.Widget }[]): void {
  for (const { group, row } of rows.splice(0)) group.remove(row);
}
