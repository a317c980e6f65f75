import type Gtk from 'gi://Gtk?version=4.0';
import { askForFolder } from '../folder-dialog';
import { _ } from '../i18n';

/** Asks for a folder to back up; calls `chosen` with its path, nothing when the person cancels. */
export function pickFolderToBackUp(parent: Gtk.Window | null, chosen: (path: string) => void): void {
  askForFolder(parent, { title: _('Choose a Folder to Back Up'), acceptLabel: _('_Back Up'), traceAs: 'what choosing a folder' }, chosen);
}
