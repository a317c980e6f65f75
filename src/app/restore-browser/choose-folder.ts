import type Gtk from 'gi://Gtk?version=4.0';
import { askForFolder } from '../folder-dialog';
import { _ } from '../i18n';

/** Asks for the folder to restore into; calls `chosen` with its path, nothing when the person cancels. */
export function chooseFolder(parent: Gtk.Window, chosen: (path: string) => void): void {
  askForFolder(parent, { title: _('Restore to folder'), acceptLabel: _('_Restore here'), traceAs: 'browser choosing a folder' }, chosen);
}
