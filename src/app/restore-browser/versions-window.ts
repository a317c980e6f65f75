import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { sameAsNow, type VersionEntry, type VersionRow } from '../../core/file-versions';
import type { Moment } from '../../core/timeline';
import { closeOnEscape } from '../close-on-escape';
import { showAlert } from '../compat';
import { escapeMarkup } from '../format';
import { _, fmt, ngettext } from '../i18n';
import { entryType, modifiedWhen } from './entry-row';
import type { NowEntry, VersionsModel } from './versions-model';
import { infoRow, mnemonicButton } from '../widgets';

/** A version's size and time in words: "4.1 kB · modified Yesterday at 17:02". */
function describeEntry(entry: VersionEntry | NowEntry): string {
  const when = modifiedWhen(entry.mtime);
  // Translators: a folder's number of items and when something in it last changed.
  if (entry.kind === 'folder' && 'signature' in entry) return fmt(ngettext('%s item · changed %s', '%s items · changed %s', entry.size), entry.size, when);
  // Translators: when a folder was last changed.
  if (entry.kind === 'folder') return fmt(_('Folder · changed %s'), when);
  // Translators: a link and when it was made.
  if (entry.kind === 'link') return fmt(_('Link · modified %s'), when);
  // Translators: a file's size and when it was last modified, e.g. "4.1 kB · modified Yesterday at 17:02".
  return fmt(_('%s · modified %s'), GLib.format_size(entry.size), when);
}

/**
 * "Restore Previous Versions" of one file or folder: how it is now, then
 * each version it had in the restore points, newest first (moments with the
 * same version folded: "unchanged since …"; where it did not exist, said
 * so). Choose one, then Restore (where it is, the current one kept aside) or
 * Restore to… (a folder). Every button names a `versions.*` action
 * (./versions-actions), as the tests do.
 */
export class VersionsWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindVersionsWindow' }, this);
  }

  readonly model: VersionsModel;
  private _stack = new Gtk.Stack({ vexpand: true, transition_type: Gtk.StackTransitionType.CROSSFADE });
  private _status = new Adw.StatusPage({ vexpand: true });
  private _statusButton = mnemonicButton({ halign: Gtk.Align.CENTER, css_classes: ['pill', 'suggested-action'] });
  private _nowGroup = new Adw.PreferencesGroup({ title: _('Now') });
  private _nowRow = infoRow({ title: '' });
  private _nowIcon = new Gtk.Image();
  private _versionsGroup = new Adw.PreferencesGroup({ title: _('In restore points') });
  private _rows: Gtk.Widget[] = [];
  private _checks = new Map<string, Gtk.CheckButton>();
  private _selected!: Gtk.Label;
  private _bar = new Gtk.ActionBar();
  private _busy = new Gtk.Spinner({ visible: false });
  private _toasts!: Adw.ToastOverlay;

  constructor(parent: Gtk.Window | null, model: VersionsModel) {
    super({ ...(parent ? { transient_for: parent, application: parent.application } : {}), default_width: 600, default_height: 640, width_request: 360, height_request: 400 });
    this.model = model;
    this.title = fmt(_('Versions of “%s”'), model.name);
    const header = new Adw.HeaderBar({ title_widget: new Adw.WindowTitle({ title: _('Previous Versions'), subtitle: model.name }) });
    this._busy.update_property([Gtk.AccessibleProperty.LABEL], [_('Restoring')]);
    header.pack_end(this._busy);

    const spinner = new Gtk.Spinner({ spinning: true, width_request: 32, height_request: 32, halign: Gtk.Align.CENTER, valign: Gtk.Align.CENTER });
    spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Loading')]);
    this._stack.add_named(spinner, 'loading');
    this._status.child = this._statusButton;
    this._stack.add_named(this._status, 'message');
    const page = new Adw.PreferencesPage();
    const where = new Adw.PreferencesGroup({ description: escapeMarkup(fmt(_('In %s'), GLib.path_get_dirname(model.path))) });
    page.add(where);
    this._nowRow.title = escapeMarkup(model.name);
    this._nowRow.add_prefix(this._nowIcon);
    this._nowGroup.add(this._nowRow);
    page.add(this._nowGroup);
    this._versionsGroup.description = _('Each version is shown with the restore point that has it. Choose one to restore it.');
    page.add(this._versionsGroup);
    this._stack.add_named(page, 'list');

    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._stack);
    content.append(this._actionBar());
    this._toasts = new Adw.ToastOverlay({ child: content });
    this.set_content(this._toasts);
    closeOnEscape(this);

    model.connect('changed', (_m, what: string) => this._update(what));
    model.connect('restored', (_m, ok: boolean, message: string) => {
      if (ok) this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(message), timeout: 8 }));
      else showAlert(this, _('Could not restore'), message, _('_Close'));
    });
    this._update('state');
    this._update('now');
    this._update('selection');
  }

  private _actionBar(): Gtk.Widget {
    const bar = this._bar;
    this._selected = new Gtk.Label({ css_classes: ['dim-label'], ellipsize: 3, margin_start: 6 });
    bar.pack_start(this._selected);
    const restore = mnemonicButton({ label: _('_Restore'), action_name: 'versions.restore', css_classes: ['suggested-action'], tooltip_text: _('Put this version back where it is; the current one is kept aside') });
    const restoreTo = mnemonicButton({ label: _('Restore _to…'), action_name: 'versions.restore-to', tooltip_text: _('Put a copy of this version into a folder you choose') });
    bar.pack_end(restore);
    bar.pack_end(restoreTo);
    return bar;
  }

  private _say(icon: string, title: string, description: string, button?: { label: string; action: string }): void {
    this._status.icon_name = icon;
    this._status.title = title;
    this._status.description = escapeMarkup(description);
    this._statusButton.visible = !!button;
    if (button) {
      this._statusButton.label = button.label;
      this._statusButton.action_name = button.action;
    }
    this._stack.visible_child_name = 'message';
    this._bar.revealed = false;
  }

  private _update(what: string): void {
    const model = this.model;
    // "the same as now" is in the rows.
    if (what === 'state' || what === 'rows' || (what === 'now' && this.model.state.kind === 'ready')) this._showState();
    if (what === 'now' || what === 'rows') {
      this._nowRow.subtitle = escapeMarkup(model.now ? describeEntry(model.now) : _('It is not there now. Restore a version to bring it back.'));
      if (!model.now) {
        this._nowIcon.icon_name = 'action-unavailable-symbolic';
        this._nowIcon.set_tooltip_text(null);
      } else {
        // As the restore browser shows it: the icon of its type, named in the tooltip.
        const type = entryType({ name: model.name, kind: model.now.kind });
        this._nowIcon.gicon = type.icon;
        this._nowIcon.tooltip_text = type.label;
      }
    }
    if (what === 'selection' || what === 'busy' || what === 'rows') {
      const point = model.selected === null ? undefined : model.pointOf(model.selected);
      const row = model.folded.rows.find((r) => r.kind === 'version' && r.newest.open?.snapshot === model.selected);
      // Translators: which version is chosen, by its restore point, e.g. "The version of Today 13:00".
      this._selected.label = point && row ? fmt(_('The version of %s'), row.newest.label) : _('Choose a version to restore');
      this._busy.visible = model.busy;
      this._busy.spinning = model.busy;
      for (const [snapshot, check] of this._checks) check.active = snapshot === model.selected;
    }
  }

  private _showState(): void {
    const { state, folded, reading, total, name } = this.model;
    this._bar.revealed = true;
    if (state.kind === 'loading') {
      this._stack.visible_child_name = 'loading';
      return;
    }
    if (state.kind === 'not-backed-up') {
      return this._say('folder-symbolic', _('This folder is not backed up'), fmt(_('“%s” is not in a folder that Rewind backs up. Choose what to back up in Preferences.'), this.model.path), { label: _('Open _Preferences'), action: 'app.preferences' });
    }
    if (state.kind === 'not-configured') {
      return this._say('folder-symbolic', _('Backups are not set up'), _('Set up backups first; then the versions of your files are kept in restore points.'), { label: _('_Set Up Backups…'), action: 'app.setup' });
    }
    if (state.kind === 'failed') return this._say('dialog-warning-symbolic', _('Could not read the restore points'), state.message);
    if (!reading && total === 0) return this._say('document-open-recent-symbolic', _('No restore points yet'), _('The first backup of this folder makes one.'));
    if (!reading && folded.versions === 0 && folded.rows.every((r) => r.kind === 'absent')) {
      const leftOut = this.model.leftOut;
      // Nothing there, because backups leave its folder out: that is the reason, not when it was made.
      if (leftOut !== undefined) {
        const folder = GLib.path_get_basename(leftOut);
        const text = leftOut === this.model.path ? fmt(_('“%s” is left out of backups, so no restore point has it. Choose what to back up in Preferences.'), folder) : fmt(_('“%s” is in “%s”, a folder left out of backups, so no restore point has it. Choose what to back up in Preferences.'), name, folder);
        return this._say('folder-symbolic', _('Left out of backups'), text, { label: _('Open _Preferences'), action: 'app.preferences' });
      }
      const away = folded.unavailable > 0 ? ` ${this._awayText(folded.unavailable)}` : '';
      return this._say('edit-find-symbolic', _('Not in any restore point'), fmt(_('“%s” is not in any restore point. It may have been made after the last backup, or had another name then.'), name) + away);
    }
    this._stack.visible_child_name = 'list';
    for (const row of this._rows) this._versionsGroup.remove(row);
    this._rows = [];
    this._checks.clear();
    let group: Gtk.CheckButton | null = null;
    for (const row of folded.rows) {
      const made = this._row(row, group);
      if (made.check) group ??= made.check;
      this._add(made.row);
    }
    if (reading) {
      const looking = infoRow({ title: escapeMarkup(fmt(_('Looking through restore points… %s of %s'), this.model.observations.length, total)) });
      const spinner = new Gtk.Spinner({ spinning: true });
      spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Loading')]);
      looking.add_prefix(spinner);
      this._add(looking);
    }
    if (folded.unavailable > 0) this._add(infoRow({ title: escapeMarkup(this._awayText(folded.unavailable)), css_classes: ['dim-label'] }));
  }

  private _awayText(n: number): string {
    return fmt(ngettext('%s restore point is on a backup disk that is not connected.', '%s restore points are on backup disks that are not connected.', n), n);
  }

  private _add(row: Gtk.Widget): void {
    this._versionsGroup.add(row);
    this._rows.push(row);
  }

  private _row(row: VersionRow<Moment>, group: Gtk.CheckButton | null): { row: Adw.ActionRow; check?: Gtk.CheckButton } {
    const title = escapeMarkup(row.newest.label);
    if (row.kind === 'absent') {
      // Translators: the file was in none of these restore points; %s is the oldest of them, e.g. "Monday 3 November 09:00".
      const text = row.count === 1 ? _('It did not exist then') : fmt(_('It did not exist then, nor in any restore point since %s'), row.oldest.label);
      const made = infoRow({ title, subtitle: escapeMarkup(text) });
      made.add_prefix(new Gtk.Image({ icon_name: 'action-unavailable-symbolic', css_classes: ['dim-label'] }));
      return { row: made };
    }
    if (row.kind === 'unreadable') {
      const made = infoRow({ title, subtitle: escapeMarkup(row.message) });
      made.add_prefix(new Gtk.Image({ icon_name: 'dialog-warning-symbolic' }));
      return { row: made };
    }
    const snapshot = row.newest.open!.snapshot;
    const parts = [describeEntry(row.entry)];
    // Translators: the same version was in every restore point back to this one, e.g. "unchanged since Monday 3 November 09:00".
    if (row.count > 1) parts.push(fmt(_('unchanged since %s'), row.oldest.label));
    if (sameAsNow(row.entry, this.model.now)) parts.push(_('the same as now'));
    // Translators: the parts of a version's description, joined.
    const made = new Adw.ActionRow({ title, subtitle: escapeMarkup(parts.join(_(' · '))), activatable: true });
    const check = new Gtk.CheckButton({ valign: Gtk.Align.CENTER, active: snapshot === this.model.selected, ...(group ? { group } : {}) });
    check.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Choose the version of %s'), row.newest.label)]);
    check.connect('toggled', () => {
      if (check.active) this.activate_action('versions.select', new GLib.Variant('s', snapshot));
    });
    made.add_prefix(check);
    made.activatable_widget = check;
    const show = new Gtk.Button({ icon_name: 'folder-open-symbolic', valign: Gtk.Align.CENTER, css_classes: ['flat'], tooltip_text: _('Show in the restore point'), action_name: 'versions.browse', action_target: new GLib.Variant('s', snapshot) });
    show.update_property([Gtk.AccessibleProperty.LABEL], [_('Show in the restore point')]);
    made.add_suffix(show);
    this._checks.set(snapshot, check);
    return { row: made, check };
  }
}
