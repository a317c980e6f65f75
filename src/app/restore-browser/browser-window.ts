import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import type { BrowseEntry, WhatChangedResult } from '../../core/browse-request';
import { showAlert } from '../compat';
import { escapeMarkup } from '../format';
import { _, fmt, ngettext } from '../i18n';
import { pointWhen } from '../timeline-words';
import { Breadcrumb } from './breadcrumb';
import type { BrowserModel, ViewState } from './browser-model';
import { StateStack } from './state-stack';
import { ChangeRow } from './change-row';
import { EntryRow, entryMenu } from './entry-row';
import { trace } from '../trace';
import { mnemonicButton, withoutMnemonic } from '../widgets';
import { MomentHitRow, momentsCaption } from './moment-hit-row';

/** Above "What changed": compared with which point, and how much the caller may not see. */
function changesCaption(state: ViewState<WhatChangedResult>): string {
  if (state.kind !== 'ready' || state.value.previous === undefined) return '';
  const since = fmt(_('Since the restore point of %s.'), pointWhen(state.value.previous));
  const hidden = state.value.hidden;
  return hidden === 0 ? since : `${since} ${fmt(ngettext('%s change in folders your account may not read is not shown.', '%s changes in folders your account may not read are not shown.', hidden), hidden)}`;
}

/**
 * The restore browser: one restore point's files, searchable by name, and
 * what changed since the point before. Files and folders are selected with
 * their check buttons and restored to where they were or into a folder.
 * Earlier and Later step through the timeline in the same folder.
 * Every button names a `browser.*` action (./browser-actions), as the tests do.
 */
export class RestoreBrowserWindow extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindRestoreBrowserWindow' }, this);
  }

  readonly model: BrowserModel;
  private _views!: Adw.ViewStack;
  private _files = new StateStack(_('Files and folders'));
  private _changes = new StateStack(_('Changes'));
  private _location!: Breadcrumb;
  private _title!: Adw.ViewSwitcherTitle;
  private _pointLabels: Gtk.Label[] = [];
  private _changesCaption!: Gtk.Label;
  private _upButton!: Gtk.Button;
  private _searchBar!: Gtk.SearchBar;
  private _searchEntry!: Gtk.SearchEntry;
  private _selected!: Gtk.Label;
  private _restoreButtons: Gtk.Button[] = [];
  private _busy!: Gtk.Spinner;
  private _toasts!: Adw.ToastOverlay;
  private _changesLoaded = false;
  private _settingText = false;

  constructor(parent: Gtk.Window, model: BrowserModel) {
    super({ transient_for: parent, application: parent.application, default_width: 820, default_height: 640, width_request: 360, height_request: 400 });
    this.model = model;

    this._views = new Adw.ViewStack({ vexpand: true });
    this._views.add_titled(this._filesPage(), 'files', _('Files')).icon_name = 'folder-symbolic';
    this._views.add_titled(this._changesPage(), 'changes', _('What changed')).icon_name = 'document-open-recent-symbolic';
    this._views.connect('notify::visible-child-name', () => this._viewChanged());

    const title = new Adw.ViewSwitcherTitle({ stack: this._views });
    this._title = title;
    const header = new Adw.HeaderBar({ title_widget: title });
    this._upButton = new Gtk.Button({ icon_name: 'go-up-symbolic', action_name: 'browser.up', tooltip_text: _('Parent folder') });
    this._upButton.update_property([Gtk.AccessibleProperty.LABEL], [_('Parent folder')]);
    header.pack_start(this._upButton);
    // Previous and next, as GTK's Ctrl+Page Up and Down go to the previous and next page.
    const older = new Gtk.Button({ icon_name: 'go-previous-symbolic', action_name: 'browser.older', tooltip_text: _('Earlier restore point (Ctrl+Page Up)') });
    older.update_property([Gtk.AccessibleProperty.LABEL], [_('Earlier restore point')]);
    const newer = new Gtk.Button({ icon_name: 'go-next-symbolic', action_name: 'browser.newer', tooltip_text: _('Later restore point (Ctrl+Page Down)') });
    newer.update_property([Gtk.AccessibleProperty.LABEL], [_('Later restore point')]);
    const steps = new Gtk.Box({ css_classes: ['linked'] });
    steps.append(older);
    steps.append(newer);
    header.pack_start(steps);
    const searchButton = new Gtk.ToggleButton({ icon_name: 'system-search-symbolic', tooltip_text: _('Search by name') });
    searchButton.update_property([Gtk.AccessibleProperty.LABEL], [_('Search by name')]);
    header.pack_end(searchButton);
    this._busy = new Gtk.Spinner({ visible: false });
    this._busy.update_property([Gtk.AccessibleProperty.LABEL], [_('Restoring')]);
    header.pack_end(this._busy);

    this._searchEntry = new Gtk.SearchEntry({ placeholder_text: _('Search in this restore point'), hexpand: true });
    this._searchEntry.update_property([Gtk.AccessibleProperty.LABEL], [_('Search in this restore point')]);
    this._searchEntry.connect('search-changed', () => {
      if (!this._settingText) this.activate_action('browser.search', new GLib.Variant('s', this._searchEntry.text));
    });
    // Every moment kept on this computer or on a connected backup disk, newest first, instead of the one shown.
    const everyMoment = new Gtk.ToggleButton({ label: _('_Every moment'), use_underline: true, action_name: 'browser.every-moment', tooltip_text: _('Search all the moments on this computer and on connected backup disks, newest first. Backups on a server or in backup files are not searched.') });
    everyMoment.update_property([Gtk.AccessibleProperty.LABEL], [withoutMnemonic(everyMoment.label ?? '')]);
    const searchLine = new Gtk.Box({ spacing: 6 });
    searchLine.append(this._searchEntry);
    searchLine.append(everyMoment);
    this._searchBar = new Gtk.SearchBar({ child: new Adw.Clamp({ maximum_size: 600, child: searchLine }) });
    this._searchBar.connect_entry(this._searchEntry);
    this._searchBar.set_key_capture_widget(this);
    this._searchBar.bind_property('search-mode-enabled', searchButton, 'active', GObject.BindingFlags.BIDIRECTIONAL | GObject.BindingFlags.SYNC_CREATE);
    this._searchBar.connect('notify::search-mode-enabled', () => {
      if (this._searchBar.search_mode_enabled) this._views.visible_child_name = 'files';
      else this.activate_action('browser.search', new GLib.Variant('s', ''));
    });

    const switcherBar = new Adw.ViewSwitcherBar({ stack: this._views });
    title.bind_property('title-visible', switcherBar, 'reveal', GObject.BindingFlags.SYNC_CREATE);

    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._searchBar);
    content.append(this._views);
    content.append(switcherBar);
    content.append(this._actionBar());
    this._toasts = new Adw.ToastOverlay({ child: content });
    this.set_content(this._toasts);
    this._shortcuts();

    model.connect('changed', (_m, what: string) => this._update(what));
    model.connect('restored', (_m, ok: boolean, message: string) => this._restored(ok, message));
    model.connect('copy-opened', (_m, ok: boolean, message: string) => {
      if (ok) this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(message), timeout: 8 }));
      else showAlert(this, _('Could not open a copy'), message, _('_Close'));
    });
    this._showPoint();
    this._update('folder');
    this._update('selection');
  }

  /** Switches between "files" and "changes". */
  showView(name: 'files' | 'changes'): void {
    this._views.visible_child_name = name;
  }

  /** Shows the search bar with `pattern` (an empty one hides it). */
  showSearch(pattern: string): void {
    // Cleared from outside the entry (not by deleting its text): the search is over.
    if (pattern === '' && this._searchEntry.text !== '') this._searchBar.search_mode_enabled = false;
    // Replacing the text empties the entry first, which it reports at once.
    this._settingText = true;
    if (this._searchEntry.text !== pattern) this._searchEntry.text = pattern;
    this._settingText = false;
    if (pattern !== '') this._searchBar.search_mode_enabled = true;
  }

  private _changesPage(): Gtk.Widget {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    this._changesCaption = new Gtk.Label({ xalign: 0, hexpand: true, wrap: true, css_classes: ['dim-label'] });
    box.append(this._captionBar(this._changesCaption, this._pointLabel()));
    box.append(this._changes.stack);
    return box;
  }

  private _filesPage(): Gtk.Widget {
    const box = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    this._location = new Breadcrumb();
    box.append(this._captionBar(this._location.widget, this._pointLabel()));
    box.append(this._files.stack);
    this._files.list.connect('row-activated', (_l, row: Gtk.ListBoxRow) => {
      if (row instanceof MomentHitRow) {
        const { snapshot, from, entry } = row.hit;
        this.activate_action('browser.open-moment', new GLib.Variant('s', JSON.stringify({ snapshot, from, folder: entry.path.slice(0, Math.max(0, entry.path.lastIndexOf('/'))) })));
        return;
      }
      if (row instanceof EntryRow && row.entry.kind === 'folder') {
        this._searchBar.search_mode_enabled = false;
        this.activate_action('browser.open-folder', new GLib.Variant('s', row.entry.path));
      }
    });
    this._changes.list.connect('row-activated', (_l, row: Gtk.ListBoxRow) => {
      if (!(row instanceof ChangeRow) || row.change.kind === 'deleted') return;
      const at = row.change.path.lastIndexOf('/');
      this.showView('files');
      this.activate_action('browser.open-folder', new GLib.Variant('s', at < 0 ? '' : row.change.path.slice(0, at)));
    });
    return box;
  }

  /** A line above a list: what it shows, and which point it is from. */
  private _captionBar(main: Gtk.Widget, side: Gtk.Label): Gtk.Widget {
    const line = new Gtk.Box({ spacing: 12, margin_top: 12, margin_start: 18, margin_end: 18 });
    line.append(main);
    line.append(side);
    return new Adw.Clamp({ maximum_size: 900, child: line });
  }

  private _pointLabel(): Gtk.Label {
    const label = new Gtk.Label({ css_classes: ['dim-label'], ellipsize: 1 });
    this._pointLabels.push(label);
    return label;
  }

  /**
   * Which moment is shown, in the title and above each list: its time in
   * words from its name ("Yesterday 09:12"), which does not go stale as
   * "4 minutes ago" would, and where it is read from.
   */
  private _showPoint(): void {
    const { point } = this.model;
    const when = pointWhen(point.snapshot);
    this.title = fmt(_('Files from %s'), when);
    this._title.title = when;
    this._title.subtitle = point.where ?? '';
    // Translators: which restore point is shown: when it was made and where it is, e.g. "Today 11:07 · This computer".
    const text = point.where ? fmt(_('%s · %s'), when, point.where) : when;
    for (const label of this._pointLabels) label.label = text;
  }

  private _actionBar(): Gtk.Widget {
    const bar = new Gtk.ActionBar();
    this._selected = new Gtk.Label({ css_classes: ['dim-label'], ellipsize: 3, margin_start: 6 });
    bar.pack_start(this._selected);
    const restore = mnemonicButton({ label: _('_Restore'), action_name: 'browser.restore', css_classes: ['suggested-action'], tooltip_text: _('Put the selected items back where they were; current versions are kept aside') });
    const restoreTo = mnemonicButton({ label: _('Restore _to…'), action_name: 'browser.restore-to', tooltip_text: _('Put copies of the selected items into a folder you choose') });
    bar.pack_end(restore);
    bar.pack_end(restoreTo);
    this._restoreButtons = [restore, restoreTo];
    return bar;
  }

  private _shortcuts(): void {
    const controller = new Gtk.ShortcutController();
    const add = (trigger: string, action: Gtk.ShortcutAction) => controller.add_shortcut(new Gtk.Shortcut({ trigger: Gtk.ShortcutTrigger.parse_string(trigger), action }));
    add('<Control>f', Gtk.CallbackAction.new(() => {
      this._searchBar.search_mode_enabled = !this._searchBar.search_mode_enabled;
      return true;
    }));
    add('<Alt>Up', Gtk.NamedAction.new('browser.up'));
    add('<Control>Page_Up', Gtk.NamedAction.new('browser.older'));
    add('<Control>Page_Down', Gtk.NamedAction.new('browser.newer'));
    add('<Control>w', Gtk.NamedAction.new('window.close'));
    add('Escape', Gtk.NamedAction.new('window.close'));
    this.add_controller(controller);
  }

  private _viewChanged(): void {
    if (this._views.visible_child_name === 'changes' && !this._changesLoaded) {
      this._changesLoaded = true;
      void this.model.loadChanges();
    }
    trace(`browser view ${this._views.visible_child_name}`);
  }

  private _entryRows(entries: BrowseEntry[], inSearch: boolean): Gtk.Widget[] {
    return entries.map((entry) => {
      const menu = entryMenu(entry, this.model.livePath(entry.path) !== undefined);
      const row = new EntryRow(entry, this.model.selection.has(entry.path), inSearch, menu);
      row.check.connect('toggled', () => this.model.setSelected(entry.path, entry.kind, row.check.active));
      return row;
    });
  }

  private _update(what: string): void {
    const model = this.model;
    if (what === 'folder' || what === 'search') {
      const placeholder = model.everyMoment ? _('Search in every moment') : _('Search in this restore point');
      this._searchEntry.placeholder_text = placeholder;
      this._searchEntry.update_property([Gtk.AccessibleProperty.LABEL], [placeholder]);
      if (model.search && model.everyMoment) {
        const { pattern, state } = model.search;
        this._location.showText(momentsCaption(pattern, state.kind === 'ready' && 'hits' in state.value ? state.value : undefined));
        this._files.show(state, (r) => ('hits' in r ? r.hits.map((h) => new MomentHitRow(h)) : []), {
          icon: 'system-search-symbolic',
          title: _('No files match'),
          description: fmt(_('No name contains “%s” in any moment on this computer or on a connected backup disk, among the folders your account may read. Backups on a server or in backup files are not searched.'), pattern),
        });
      } else if (model.search) {
        const pattern = model.search.pattern;
        const state = model.search.state;
        this._location.showText(
          state.kind === 'ready' && 'entries' in state.value && state.value.truncated
            ? fmt(ngettext('The first %s name containing “%s”', 'The first %s names containing “%s”', state.value.entries.length), state.value.entries.length, pattern)
            : fmt(_('Names containing “%s”'), pattern),
        );
        this._files.show(model.search.state, (r) => ('entries' in r ? this._entryRows(r.entries, true) : []), {
          icon: 'system-search-symbolic',
          title: _('No files match'),
          description: fmt(_('No name in this restore point contains “%s”, among the folders your account may read.'), pattern),
        });
      } else {
        this._location.showFolder(model.folder);
        this._files.show(model.listing, (entries) => this._entryRows(entries, false), {
          icon: 'folder-symbolic',
          title: _('Empty folder'),
          description: _('This folder had nothing in it at that time.'),
        });
        if (model.folderMissing) {
          const name = model.folder.slice(model.folder.lastIndexOf('/') + 1);
          this._files.say(
            'folder-symbolic',
            _('This folder did not exist then'),
            fmt(_('“%s” was not there in this restore point. Go to an earlier or later one, or to the folder above.'), name),
          );
        }
      }
      this._upButton.sensitive = model.folder !== '' && !model.search;
    }
    if (what === 'point') {
      this._showPoint();
      // What changed is of the moment shown: read again when it is in view, else when it is next shown.
      this._changesLoaded = this._views.visible_child_name === 'changes';
      if (this._changesLoaded) void model.loadChanges();
    }
    if (what === 'changes') {
      this._changesCaption.label = changesCaption(model.changes);
      this._changes.show(model.changes, (r) => r.changes.map((c) => new ChangeRow(c)), {
        icon: 'document-open-recent-symbolic',
        title: model.changes.kind === 'ready' && model.changes.value.previous === undefined ? _('The first restore point') : _('No changes'),
        description:
          model.changes.kind === 'ready' && model.changes.value.previous === undefined
            ? _('There is no earlier restore point of this folder here to compare with.')
            : _('Nothing your account may read changed since the restore point before this one.'),
      });
    }
    if (what === 'selection' || what === 'busy') {
      const n = model.selection.size;
      this._selected.label = n === 0 ? _('Select files or folders to restore') : fmt(ngettext('%s item selected', '%s items selected', n), n);
      for (const button of this._restoreButtons) button.sensitive = n > 0 && !model.busy;
      this._busy.visible = model.busy;
      this._busy.spinning = model.busy;
      if (what === 'selection') this._syncChecks();
    }
  }

  /** A selection changed by an action (not a click) shows on the check buttons too. */
  private _syncChecks(): void {
    for (let row = this._files.list.get_first_child(); row; row = row.get_next_sibling()) {
      if (row instanceof EntryRow) row.check.active = this.model.selection.has(row.entry.path);
    }
  }

  private _restored(ok: boolean, message: string): void {
    if (ok) {
      this._toasts.add_toast(new Adw.Toast({ title: escapeMarkup(message), timeout: 8 }));
      return;
    }
    showAlert(this, _('Could not restore'), message, _('_Close'));
  }
}
