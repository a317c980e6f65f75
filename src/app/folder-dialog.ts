import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { trace } from './trace';

/** GTK's own version, like hasAdw in ./compat for libadwaita. */
function hasGtk(major: number, minor: number): boolean {
  return Gtk.get_major_version() > major || (Gtk.get_major_version() === major && Gtk.get_minor_version() >= minor);
}

export interface FolderQuestion {
  /** The dialog's title, translated. */
  title: string;
  /** Its accept button, translated, with a mnemonic ("_Select"). */
  acceptLabel: string;
  /** The trace line tests wait for. */
  traceAs: string;
}

/**
 * Asks for a folder: Gtk.FileDialog on GTK 4.10 and later (through the file
 * chooser portal in a sandbox), the native file chooser on older ones
 * (Debian 12 has 4.8). Calls `chosen` with its path; nothing when the
 * person cancels.
 */
export function askForFolder(parent: Gtk.Window | null, question: FolderQuestion, chosen: (path: string) => void): void {
  const { title, acceptLabel } = question;
  trace(question.traceAs);
  if (hasGtk(4, 10)) {
    const dialog = new Gtk.FileDialog({ title, modal: true, accept_label: acceptLabel });
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
  const chooser = new Gtk.FileChooserNative({ title, action: Gtk.FileChooserAction.SELECT_FOLDER, transient_for: parent ?? undefined, modal: true, accept_label: acceptLabel });
  chooser.connect('response', (_c, response: number) => {
    const file: Gio.File | null = response === Gtk.ResponseType.ACCEPT ? chooser.get_file() : null;
    const path = file?.get_path();
    if (path) chosen(path);
    chooser.destroy();
  });
  chooser.show();
}
