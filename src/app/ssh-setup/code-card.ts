import Gtk from 'gi://Gtk?version=4.0';
import { iconButton } from '../widgets';

/** Text to copy (a command, a key line): monospace, selectable, wrapped anywhere, in a card. */
export function codeCard(): { card: Gtk.Widget; label: Gtk.Label } {
  const label = new Gtk.Label({
    selectable: true,
    wrap: true,
    wrap_mode: 2 /* Pango.WrapMode.WORD_CHAR */,
    xalign: 0,
    css_classes: ['monospace'],
    margin_top: 12,
    margin_bottom: 12,
    margin_start: 12,
    margin_end: 12,
  });
  const card = new Gtk.Box({ css_classes: ['card'] });
  card.append(label);
  return { card, label };
}

/** A button that copies the flow's `what` (command, line) with ssh.copy. */
export function copyButton(what: string, accessibleName: string): Gtk.Button {
  return iconButton('edit-copy-symbolic', accessibleName, 'ssh.copy', what);
}
