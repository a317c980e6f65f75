import Adw from 'gi://Adw?version=1';
import Gtk from 'gi://Gtk?version=4.0';
import { foundFolder, type FoundBackups } from '../../core/discovery';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { labelsOf } from './found-words';

/**
 * The recovery window's page of one computer's restore points, whether they
 * are on a disk or a server: the time to go back to (newest chosen first),
 * the recovery key when the backups are encrypted, and what to do with
 * them. Its rows activate the window's `recover` actions (restore-all,
 * browse, keep); the chosen time and the key are read from here.
 */
export class PointsPage {
  readonly widget = new Adw.PreferencesPage();
  private _groups: Adw.PreferencesGroup[] = [];
  private _keyRow = new Adw.PasswordEntryRow({ title: _('Recovery key') });
  /** The group the key row is in: it leaves it before the page is filled again, to keep what was typed in a new one. */
  private _keyGroup: Adw.PreferencesGroup | null = null;
  private _found: FoundBackups | null = null;
  private _point: string | null = null;

  get found(): FoundBackups | null {
    return this._found;
  }

  /** The chosen restore point's name. */
  get point(): string | null {
    return this._point;
  }

  /** Shows `found`'s points with its newest chosen; `keep` says whether Keep backing up (to a disk) is offered. */
  show(found: FoundBackups, keep: boolean): void {
    const points = foundFolder(found)!.points;
    this._found = found;
    this._point = points[points.length - 1];
    this._fill(keep);
  }

  /** Chooses the point `name` of the entry shown, as clicking its row does. */
  choose(name: string, keep: boolean): void {
    if (!this._found || !foundFolder(this._found)!.points.includes(name)) return;
    this._point = name;
    this._fill(keep);
  }

  /** Types the recovery key, as a person does in its row. */
  set key(text: string) {
    this._keyRow.text = text;
  }

  /** The recovery key typed, when the backups are encrypted. */
  get key(): { recoveryKey?: string } {
    const key = this._keyRow.text.trim();
    return this._found?.encrypted && key !== '' ? { recoveryKey: key } : {};
  }

  private _group(title: string, description?: string): Adw.PreferencesGroup {
    const group = new Adw.PreferencesGroup({ title: escapeMarkup(title), ...(description ? { description: escapeMarkup(description) } : {}) });
    this.widget.add(group);
    this._groups.push(group);
    return group;
  }

  private _fill(keep: boolean): void {
    const found = this._found!;
    this._keyGroup?.remove(this._keyRow);
    this._keyGroup = null;
    for (const group of this._groups.splice(0)) this.widget.remove(group);
    // The place's name alone (a disk's label, a server's address) says whether it is a disk or a server.
    const what = this._group(found.kind === 'snapshots' ? _('Snapshots kept on the old computer’s disk') : fmt(_('Backups of %s'), found.host), fmt(_('On %s. Choose the time to go back to.'), found.disk.name));
    const labels = labelsOf(found);
    let first: Gtk.CheckButton | null = null;
    for (const name of [...foundFolder(found)!.points].reverse()) {
      const check = new Gtk.CheckButton({ active: name === this._point, valign: Gtk.Align.CENTER });
      if (first) check.group = first;
      else first = check;
      check.connect('toggled', () => {
        if (check.active && this._point !== name) this._point = name;
      });
      const row = new Adw.ActionRow({ title: escapeMarkup(labels.get(name)!), activatable_widget: check });
      row.add_prefix(check);
      what.add(row);
    }
    if (found.encrypted) {
      this._keyGroup = this._group(_('Encrypted backups'), _('Type the recovery key you kept when encryption was switched on. It starts with AGE-SECRET-KEY-1.'));
      this._keyGroup.add(this._keyRow);
    }
    const actions = this._group(_('What to restore'));
    const everything = new Adw.ActionRow({ title: _('Restore everything'), subtitle: _('Your home folders come back as they were at that time; what they hold now is kept.'), activatable: true, action_name: 'recover.restore-all' });
    everything.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    const browse = new Adw.ActionRow({ title: _('Choose files and folders'), subtitle: _('See the files of that time and restore only some of them.'), activatable: true, action_name: 'recover.browse' });
    browse.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    actions.add(everything);
    actions.add(browse);
    if (keep) {
      const row = new Adw.ActionRow({
        title: _('Keep backing up to this disk'),
        subtitle: _('Back up this computer to the same place from now on; the backups already there stay. The first backup copies all your files once.'),
        activatable: true,
        action_name: 'recover.keep',
      });
      actions.add(row);
    }
  }
}
