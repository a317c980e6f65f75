import Adw from 'gi://Adw?version=1';
import Gdk from 'gi://Gdk?version=4.0';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { closeOnEscape } from './close-on-escape';
import { _, fmt } from './i18n';
import { trace } from './trace';
import { mnemonicButton } from './widgets';

/** GTK's own version (Gtk.FileDialog is 4.10 and later; Debian 12 has 4.8). */
function hasGtk(major: number, minor: number): boolean {
  return Gtk.get_major_version() > major || (Gtk.get_major_version() === major && Gtk.get_minor_version() >= minor);
}

/** Asks where to save a file; calls `chosen` with its path, nothing when the person cancels. */
function askWhereToSave(parent: Gtk.Window, title: string, name: string, chosen: (path: string) => void): void {
  if (hasGtk(4, 10)) {
    const dialog = new Gtk.FileDialog({ title, modal: true, initial_name: name });
    dialog.save(parent, null, (_d, result) => {
      try {
        const path = dialog.save_finish(result)?.get_path();
        if (path) chosen(path);
      } catch (e) {
        if (!(e instanceof GLib.Error && e.matches(Gtk.DialogError, Gtk.DialogError.DISMISSED))) logError(e);
      }
    });
    return;
  }
  const chooser = new Gtk.FileChooserNative({ title, action: Gtk.FileChooserAction.SAVE, transient_for: parent, modal: true });
  chooser.set_current_name(name);
  chooser.connect('response', (_c, response: number) => {
    const path = response === Gtk.ResponseType.ACCEPT ? chooser.get_file()?.get_path() : null;
    if (path) chosen(path);
    chooser.destroy();
  });
  chooser.show();
}

/**
 * The recovery key of backups that are encrypted, shown once, right after
 * the destination that uses it was saved (SetConfig's newKeys): the key, to
 * copy or save as a file readable only by the person, and what it is for.
 * Its actions (group `key`, exported on the session bus while it is open):
 * key.copy, key.save-as (the file dialog), key.save (s: the file; what the
 * dialog answers, and the tests), key.done.
 */
export class RecoveryKeyWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindRecoveryKeyWindow' }, this);
  }

  readonly actions = new Gio.SimpleActionGroup();
  private _key: string;
  private _name: string;
  private _status: Gtk.Label;

  /** `name` is the destination as the person calls it (its label). */
  constructor(parent: Gtk.Window | null, name: string, recoveryKey: string) {
    super({ transient_for: parent ?? undefined, application: parent?.application ?? undefined, modal: true, default_width: 560, default_height: 460, width_request: 360, title: _('Recovery Key') });
    this._key = recoveryKey;
    this._name = name;
    const add = (action: string, run: (parameter: GLib.Variant | null) => void, type?: string) => {
      const a = new Gio.SimpleAction({ name: action, ...(type ? { parameter_type: new GLib.VariantType(type) } : {}) });
      a.connect('activate', (_a, p: GLib.Variant | null) => run(p));
      this.actions.add_action(a);
    };
    add('copy', () => this._copy());
    add('save-as', () => askWhereToSave(this, _('Save Recovery Key'), fmt(_('Recovery key for %s.txt'), name), (path) => this._save(path)));
    add('save', (p) => this._save(p?.get_string()[0] ?? ''), 's');
    add('done', () => this.close());
    this.insert_action_group('key', this.actions);

    const header = new Adw.HeaderBar({ show_end_title_buttons: false });
    header.pack_end(mnemonicButton({ label: _('_Done'), action_name: 'key.done', css_classes: ['suggested-action'] }));
    const page = new Adw.PreferencesPage({ vexpand: true });
    const group = new Adw.PreferencesGroup({
      // Translators: %s is the backup server's or disk's name.
      title: fmt(_('Keep the recovery key for “%s”'), name),
      description: _('The backups there are encrypted. This computer keeps their key, but if it is lost or reinstalled, only this recovery key opens them. Keep it away from this computer, in a password manager, on a USB stick or on paper. It is shown only now.'),
    });
    const label = new Gtk.Label({ label: recoveryKey, selectable: true, wrap: true, wrap_mode: 2 /* Pango.WrapMode.WORD_CHAR */, xalign: 0, css_classes: ['monospace'], margin_top: 12, margin_bottom: 12, margin_start: 12, margin_end: 12 });
    const card = new Gtk.Box({ css_classes: ['card'] });
    card.append(label);
    group.add(card);
    const buttons = new Gtk.Box({ spacing: 12, halign: Gtk.Align.END, margin_top: 12 });
    buttons.append(mnemonicButton({ label: _('_Copy'), action_name: 'key.copy' }));
    buttons.append(mnemonicButton({ label: _('_Save As…'), action_name: 'key.save-as' }));
    group.add(buttons);
    this._status = new Gtk.Label({ wrap: true, xalign: 0, visible: false, margin_top: 12, css_classes: ['dim-label'] });
    group.add(this._status);
    page.add(group);
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(page);
    this.set_content(content);
    closeOnEscape(this);
    this.connect('close-request', () => {
      trace('recovery key closed');
      return false;
    });
  }

  override present(): void {
    super.present();
    trace('recovery key shown');
  }

  private _say(text: string): void {
    this._status.label = text;
    this._status.visible = true;
  }

  private _copy(): void {
    Gdk.Display.get_default()?.get_clipboard().set(this._key);
    this._say(_('Copied. Paste it where you keep it, then copy something else so that it does not stay on the clipboard.'));
    trace('recovery key copied');
  }

  /** Writes the key with a line saying what it is, readable only by the person (a new file is made 0600). */
  private _save(path: string): void {
    if (!GLib.path_is_absolute(path)) return;
    const text = [
      // Translators: the first line of the saved recovery key file; %s is the backup server's or disk's name.
      `# ${fmt(_('Rewind recovery key for the backups on “%s”. Without it they cannot be opened on another computer.'), this._name)}`,
      this._key,
      '',
    ].join('\n');
    try {
      const file = Gio.File.new_for_path(path);
      file.replace_contents(new TextEncoder().encode(text), null, false, Gio.FileCreateFlags.PRIVATE | Gio.FileCreateFlags.REPLACE_DESTINATION, null);
      // Translators: %s is the file's name.
      this._say(fmt(_('Saved as “%s”. Keep a copy away from this computer.'), GLib.path_get_basename(path)));
      trace('recovery key saved');
    } catch (e) {
      // Translators: %s is why the file could not be written, from the system.
      this._say(fmt(_('The key was not saved: %s'), e instanceof GLib.Error ? e.message : String(e)));
      trace('recovery key not saved');
    }
  }
}
