import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';

export interface MessagePageOptions {
  iconName: string;
  title: string;
  /** Pango markup. */
  description: string;
  /** Text people may want to copy, such as a command; shown selectable. */
  code?: string;
  buttonLabel: string;
  actionName: string;
}

/** A page that says why backups cannot be shown, with one way forward. */
export class MessagePage extends Adw.Bin {
  static {
    GObject.registerClass({ GTypeName: 'RewindMessagePage' }, this);
  }

  // AdwStatusPage is final, so the page wraps one.
  private _page: Adw.StatusPage;
  private _code: Gtk.Label;
  private _card: Gtk.Box;

  constructor(options: MessagePageOptions) {
    super();
    this._page = new Adw.StatusPage({ icon_name: options.iconName, title: options.title, description: options.description });
    this.set_child(this._page);
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 24, halign: Gtk.Align.CENTER });
    this._code = new Gtk.Label({
      label: options.code ?? '',
      selectable: true,
      wrap: true,
      css_classes: ['monospace'],
      margin_top: 12,
      margin_bottom: 12,
      margin_start: 18,
      margin_end: 18,
    });
    this._card = new Gtk.Box({ css_classes: ['card'], halign: Gtk.Align.CENTER, visible: Boolean(options.code) });
    this._card.append(this._code);
    box.append(this._card);
    box.append(
      new Gtk.Button({
        label: options.buttonLabel,
        action_name: options.actionName,
        halign: Gtk.Align.CENTER,
        css_classes: ['pill'],
      }),
    );
    this._page.set_child(box);
  }

  set description(markup: string) {
    this._page.description = markup;
  }

  set title(text: string) {
    this._page.title = text;
  }

  /** The command shown to copy; none when empty. */
  set code(text: string) {
    this._code.label = text;
    this._card.visible = text !== '';
  }
}
