import Adw from 'gi://Adw?version=1';
import type Gtk from 'gi://Gtk?version=4.0';

/**
 * The one place that checks the libadwaita version. The app codes to the
 * libadwaita 1.2 API (Debian 12) and uses newer widgets only from here.
 */
export function hasAdw(major: number, minor: number): boolean {
  const have = Adw.get_major_version();
  return have > major || (have === major && Adw.get_minor_version() >= minor);
}

/** Rows that show a value: 1.6 styles them with the value emphasised. */
export function styleAsProperty(row: Adw.ActionRow): void {
  if (hasAdw(1, 6)) row.add_css_class('property');
}

/** A message with one Close response; Escape closes it. */
export function showAlert(parent: Gtk.Window, heading: string, body: string, closeLabel: string): void {
  if (hasAdw(1, 5)) {
    const dialog = new Adw.AlertDialog({ heading, body });
    dialog.add_response('close', closeLabel);
    dialog.present(parent);
    return;
  }
  const dialog = new Adw.MessageDialog({ transient_for: parent, modal: true, heading, body });
  dialog.add_response('close', closeLabel);
  dialog.present();
}

/** What the About window tells (the same properties on AdwAboutWindow, 1.2, and AdwAboutDialog, 1.5). */
export interface AboutInfo {
  application_name: string;
  application_icon: string;
  developer_name: string;
  version: string;
  website: string;
  issue_url: string;
  license_type: Gtk.License;
  comments: string;
}

/** The About window: a dialog over the window from libadwaita 1.5, a window of its own before. */
export function showAbout(parent: Gtk.Window, info: AboutInfo): void {
  if (hasAdw(1, 5)) {
    new Adw.AboutDialog(info).present(parent);
    return;
  }
  new Adw.AboutWindow({ ...info, transient_for: parent, modal: true }).present();
}
