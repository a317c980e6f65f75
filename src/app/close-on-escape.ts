import Gtk from 'gi://Gtk?version=4.0';

/** Escape closes the window, as in GNOME's own dialogs (Adw.Window has no such binding of its own before libadwaita 1.5's Dialog). */
export function closeOnEscape(window: Gtk.Window): void {
  const escape = new Gtk.ShortcutController();
  escape.add_shortcut(new Gtk.Shortcut({ trigger: Gtk.ShortcutTrigger.parse_string('Escape'), action: Gtk.NamedAction.new('window.close') }));
  window.add_controller(escape);
}
