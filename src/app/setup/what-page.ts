import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { describeSize } from '../subvolume-sizes';
import { clearRows, iconButton } from '../widgets';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import type { SetupFlow } from './setup-flow';

/** Set Up Backups, step 1: the folders to back up with their sizes, a folder entry, and other subvolumes to add. */
export class WhatPage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupWhatPage' }, this);
  }

  private _flow: SetupFlow;
  private _sources: Adw.PreferencesGroup;
  private _found: Adw.PreferencesGroup;
  private _entry: Adw.EntryRow;
  private _rows: { group: Adw.PreferencesGroup; row: Gtk.Widget }[] = [];

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    this._sources = new Adw.PreferencesGroup({
      title: _('What to back up'),
      description: _('Rewind backs up folders it can take snapshots of, such as /home, which holds everyone’s home folder on Fedora. Each backup copies only what changed since the last one.'),
    });
    this._entry = new Adw.EntryRow({ title: _('Add a folder, such as /home'), show_apply_button: true });
    this._entry.connect('apply', () => {
      this.activate_action('setup.add-source', GLib.Variant.new_string(this._entry.text));
      this._entry.text = '';
    });
    const add = new Adw.PreferencesGroup();
    add.add(this._entry);
    this._found = new Adw.PreferencesGroup({
      title: _('Other folders'),
      description: _('Folders on this computer that Rewind can back up as well.'),
      visible: false,
    });
    for (const group of [this._sources, add, this._found]) this.add(group);
  }

  override next(): NextButton {
    return { label: _('_Continue'), action: 'setup.continue' };
  }

  override focusWidget(): Gtk.Widget {
    return this._entry;
  }

  override refresh(): void {
    const flow = this._flow;
    clearRows(this._rows);
    for (const source of flow.sources) {
      const size = describeSize(flow.sizes?.find((s) => s.path === source), flow.sizesLoading);
      const row = new Adw.ActionRow({ title: escapeMarkup(source), subtitle: escapeMarkup(size.text), subtitle_lines: 0 });
      if (size.problem) row.add_css_class('error');
      row.add_prefix(new Gtk.Image({ icon_name: size.problem ? 'dialog-warning-symbolic' : 'folder-symbolic' }));
      row.add_suffix(iconButton('list-remove-symbolic', fmt(_('Remove %s'), source), 'setup.remove-source', source));
      this._add(this._sources, row);
    }
    const found = (flow.sizes ?? []).filter((s) => s.found && s.subvolume && !flow.sources.includes(s.path));
    this._found.visible = found.length > 0;
    for (const s of found) {
      const row = new Adw.ActionRow({ title: escapeMarkup(s.path), subtitle: escapeMarkup(describeSize(s, false).text) });
      row.add_prefix(new Gtk.Image({ icon_name: 'folder-symbolic' }));
      row.add_suffix(iconButton('list-add-symbolic', fmt(_('Add %s'), s.path), 'setup.add-source', s.path));
      this._add(this._found, row);
    }
  }

  private _add(group: Adw.PreferencesGroup, row: Gtk.Widget): void {
    group.add(row);
    this._rows.push({ group, row });
  }
}
