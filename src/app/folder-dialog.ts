import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { showAlert } from './compat';
import { hostPath } from './host-path';
import { _ } from './i18n';
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
 * (Debian 12 has 4.8). Calls `chosen` with its path on the host (see
 * ./host-path); nothing when the person cancels.
 */
export function askForFolder(parent: Gtk.Window | null, question: FolderQuestion, chosen: (path: string) => void): void {
  const { title, acceptLabel } = question;
  const picked = (path: string) => void onHost(parent, path, chosen);
  trace(question.traceAs);
  if (hasGtk(4, 10)) {
    const dialog = new Gtk.FileDialog({ title, modal: true, accept_label: acceptLabel });
    dialog.select_folder(parent, null, (_d, result) => {
      try {
        const path = dialog.select_folder_finish(result)?.get_path();
        if (path) picked(path);
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
    if (path) picked(path);
    chooser.destroy();
  });
  chooser.show();
}

/** Calls `chosen` with the host's path of a folder chosen in a sandbox, or says why it cannot. */
async function onHost(parent: Gtk.Window | null, path: string, chosen: (path: string) => void): Promise<void> {
  const host = await hostPath(path);
  if (host !== null) {
    chosen(host);
    return;
  }
  trace('folder not found on the host');
  if (parent)
    showAlert(
      parent,
      _('Folder Not Available'),
      _('Rewind cannot tell where this folder is on your computer, so its backup service cannot use it. Install your system’s updates and choose the folder again, or install Rewind from your distribution’s packages.'),
      _('_Close'),
    );
}
