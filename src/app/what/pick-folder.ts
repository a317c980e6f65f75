import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { trace } from '../trace';

function hasGtk(major: number, minor: number): boolean {
  return Gtk.get_major_version() > major || (Gtk.get_major_version() === major && Gtk.get_minor_version() >= minor);
}

/**
 * Asks for a folder to back up: Gtk.FileDialog (GTK 4.10, through the file
 * chooser portal in a sandbox), the native chooser on older GTK (Debian 12
 * has 4.8). Calls `chosen` with its path; nothing when the person cancels.
 */
export function pickFolderToBackUp(parent: Gtk.Window | null, chosen: (path: string) => void): void {
  const title = _('Choose a Folder to Back Up');
  trace('what choosing a folder');
  if (hasGtk(4, 10)) {
    const dialog = new Gtk.FileDialog({ title, modal: true, accept_label: _('_Back Up') });
    dialog.select_folder(parent, null, (_d, result) => {
      try {
        const path = dialog.select_folder_finish(result)?.get_path();
        if (path) chosen(path);
      } catch (e) {
        // Dismissed: nothing to do.
        if (!(e instanceof GLib.Error && e.matches(Gtk.DialogError, Gtk.DialogError.DISMISSED))) logError(e);
      }
    });
    return;
  }
  const chooser = new Gtk.FileChooserNative({ title, action: Gtk.FileChooserAction.SELECT_FOLDER, transient_for: parent ?? undefined, modal: true, accept_label: _('_Back Up') });
  chooser.connect('response', (_c, response: number) => {
    const file: Gio.File | null = response === Gtk.ResponseType.ACCEPT ? chooser.get_file() : null;
    const path = file?.get_path();
    if (path) chosen(path);
    chooser.destroy();
  });
  chooser.show();
}
