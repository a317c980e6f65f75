import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { APP_ID } from '../core/ids';
import { escapeMarkup } from './format';
import { _ } from './i18n';
import { mnemonicButton } from './widgets';

/** The first run: set up backups, or get files back from backups made before (a reinstall). */
export class WelcomePage extends Adw.Bin {
  static {
    GObject.registerClass({ GTypeName: 'RewindWelcomePage' }, this);
  }

  // AdwStatusPage is final, so the page wraps one.
  private _page: Adw.StatusPage;
  private _problem: Gtk.Label;

  constructor() {
    super();
    this._page = new Adw.StatusPage({
      icon_name: APP_ID,
      title: _('Welcome to Rewind'),
      description: escapeMarkup(_('Rewind keeps copies of your files on another disk or computer, so you can get back any file as it was at any time.')),
    });
    this.set_child(this._page);
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, halign: Gtk.Align.CENTER });
    this._problem = new Gtk.Label({ wrap: true, visible: false, justify: Gtk.Justification.CENTER, css_classes: ['error'], max_width_chars: 60 });
    box.append(this._problem);
    box.append(mnemonicButton({ label: _('_Set Up Backups'), action_name: 'app.setup', css_classes: ['pill', 'suggested-action'] }));
    box.append(mnemonicButton({ label: _('_Restore from a Backup'), action_name: 'app.recover', css_classes: ['pill'] }));
    this._page.set_child(box);
  }

  /** A configuration that exists but cannot be read: what is wrong with it. */
  set problem(message: string) {
    this._problem.label = message;
    this._problem.visible = message !== '';
  }
}
