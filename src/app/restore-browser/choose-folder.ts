import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { trace } from '../trace';

/** GTK's own version, like hasAdw in ../compat for libadwaita. */
function hasGtk(major: number, minor: number): boolean {
  return Gtk.get_major_version() > major || (Gtk.get_major_version() === major && Gtk.get_minor_version() >= minor);
}

/**
 * Asks for the folder to restore into: Gtk.FileDialog on GTK 4.10 and
 * later, the native file chooser on older ones (Debian 12 has 4.8). Calls
 * `chosen` with the folder's path; nothing when the user cancels.
 */
export function chooseFolder(parent: Gtk.Window, chosen: (path: string) => void): void {
  const title = _('Restore to folder');
  trace('browser choosing a folder');
  if (hasGtk(4, 10)) {
    const dialog = new Gtk.FileDialog({ title, modal: true, accept_label: _('_Restore here') });
    dialog.select_folder(parent, null, (_d, result) => {
      try {
        const path = dialog.select_folder_finish(result)?.get_path();
        if (path) chosen(path);
      } catch (e) {
        // Dismissed: the user closed the dialog, nothing to do.
        if (!(e instanceof GLib.Error && e.matches(Gtk.DialogError, Gtk.DialogError.DISMISSED))) logError(e);
      }
    });
    return;
  }
  const chooser = new Gtk.FileChooserNative({ title, action: Gtk.FileChooserAction.SELECT_FOLDER, transient_for: parent, modal: true, accept_label: _('_Restore here') });
  chooser.connect('response', (_c, response: number) => {
    const file: Gio.File | null = response === Gtk.ResponseType.ACCEPT ? chooser.get_file() : null;
    const path = file?.get_path();
    if (path) chosen(path);
    chooser.destroy();
  });
  chooser.show();
}
