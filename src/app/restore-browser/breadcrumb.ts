import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';

/** How many folders above the open one get a button; deeper ones fold into "…" (the window may be 360 px wide). */
const SHOWN_ABOVE = 2;

/**
 * Where the files list is: the top folder and the folders above the open
 * one as buttons (browser.open-folder), the open one as a heading; or a
 * line of text while a search shows its results.
 */
export class Breadcrumb {
  readonly widget = new Gtk.Box({ spacing: 2, hexpand: true });

  showText(text: string): void {
    this._clear();
    this.widget.append(new Gtk.Label({ label: text, xalign: 0, hexpand: true, ellipsize: 3, css_classes: ['heading'] }));
  }

  showFolder(folder: string): void {
    this._clear();
    const parts = folder === '' ? [] : folder.split('/');
    const top = _('Top folder');
    if (parts.length === 0) {
      this.widget.append(this._here(top));
      return;
    }
    this.widget.append(this._button(top, ''));
    const first = Math.max(0, parts.length - 1 - SHOWN_ABOVE);
    if (first > 0) {
      this._separator();
      // The folders skipped: the button goes to the one just above them.
      this.widget.append(this._button('…', parts.slice(0, first).join('/'), parts.slice(0, first).join(' › ')));
    }
    for (let i = first; i < parts.length - 1; i++) {
      this._separator();
      this.widget.append(this._button(parts[i], parts.slice(0, i + 1).join('/')));
    }
    this._separator();
    this.widget.append(this._here(parts[parts.length - 1]));
  }

  private _clear(): void {
    for (let child = this.widget.get_first_child(); child; child = this.widget.get_first_child()) this.widget.remove(child);
  }

  private _here(name: string): Gtk.Label {
    const label = new Gtk.Label({ label: name, xalign: 0, ellipsize: 3, css_classes: ['heading'], margin_start: 6 });
    label.update_property([Gtk.AccessibleProperty.DESCRIPTION], [_('The open folder')]);
    return label;
  }

  private _button(name: string, path: string, tooltip?: string): Gtk.Button {
    const label = new Gtk.Label({ label: name, ellipsize: 3, max_width_chars: 16 });
    const button = new Gtk.Button({ child: label, css_classes: ['flat'], action_name: 'browser.open-folder', action_target: new GLib.Variant('s', path), tooltip_text: tooltip ?? name });
    button.update_property([Gtk.AccessibleProperty.LABEL], [name === '…' ? (tooltip ?? name) : name]);
    return button;
  }

  private _separator(): void {
    this.widget.append(new Gtk.Label({ label: '›', css_classes: ['dim-label'] }));
  }
}
