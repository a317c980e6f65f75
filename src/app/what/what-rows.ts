import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { leaveOutState } from '../../core/leave-out';
import { CHOICE_KINDS, nestedInside, othersToKeepApart, planSources, type ChoiceKind, type PlannedFolder } from '../../core/source-choice';
import { escapeMarkup } from '../format';
import { _, fmt, ngettext } from '../i18n';
import { clearRows, iconButton, infoRow, mnemonicButton, navigationRow } from '../widgets';
import type { WhatModel } from './what-model';
import { blockedText, choiceSubtitle, choiceTitle, folderName, leaveOutSubtitle, leaveOutTitle, shortPath, sizeText } from './what-words';

type Rows = { group: Adw.PreferencesGroup; row: Gtk.Widget }[];

/**
 * The "what to back up" groups of a page, for setup's What page and
 * Preferences: the four choices (radio rows with their sizes), the folders
 * chosen, what stands in the way of one and the ways forward, the folders
 * kept apart inside the chosen ones (a switch each), and the folders to
 * leave out. Every widget activates one of the model's actions in the
 * window's group (`prefix`: setup or prefs), as the tests do.
 */
export class WhatRows {
  private _model: WhatModel;
  private _prefix: string;
  private _choices = new Map<ChoiceKind, { row: Adw.ActionRow; check: Gtk.CheckButton }>();
  private _choicesGroup: Adw.PreferencesGroup;
  private _folders: Adw.PreferencesGroup;
  private _entry: Adw.EntryRow;
  private _blocked: Adw.PreferencesGroup;
  private _nested: Adw.PreferencesGroup;
  private _leaveOut: Adw.PreferencesGroup;
  private _rows: Rows = [];
  /** True while widgets are set from the model, so their signals do nothing. */
  private _showing = false;

  constructor(page: Adw.PreferencesPage, model: WhatModel, prefix: 'setup' | 'prefs', description: string) {
    this._model = model;
    this._prefix = prefix;
    const choices = new Adw.PreferencesGroup({ title: _('What to back up'), description });
    let first: Gtk.CheckButton | null = null;
    for (const kind of CHOICE_KINDS) {
      const check = new Gtk.CheckButton({ valign: Gtk.Align.CENTER });
      if (first) check.set_group(first);
      else first = check;
      const row = new Adw.ActionRow({ title: choiceTitle(kind), activatable_widget: check, subtitle_lines: 0 });
      row.add_prefix(check);
      check.connect('toggled', () => {
        if (check.active && !this._showing) this._activate('what-choice', kind);
      });
      choices.add(row);
      this._choices.set(kind, { row, check });
    }
    page.add(choices);
    this._choicesGroup = choices;

    const choose = mnemonicButton({ label: _('_Choose Folder…'), valign: Gtk.Align.CENTER, css_classes: ['flat'] });
    choose.connect('clicked', () => this._activate('add-source', ''));
    this._folders = new Adw.PreferencesGroup({ title: _('Folders to back up'), header_suffix: choose });
    this._entry = new Adw.EntryRow({ title: _('Add a folder, such as ~/Documents'), show_apply_button: true });
    this._entry.connect('apply', () => {
      this._activate('add-source', this._entry.text);
      this._entry.text = '';
    });
    this._folders.add(this._entry);
    this._blocked = new Adw.PreferencesGroup({
      title: _('Before Rewind can back this up'),
      description: _('Rewind backs up folders that are kept apart on the disk, each as a whole. Keeping a folder apart copies nothing and changes nothing you see.'),
    });
    this._nested = new Adw.PreferencesGroup({
      title: _('Also back up'),
      description: _('These folders are kept apart on the disk, so a backup of the folder around them leaves them out. Switch on the ones to back up as well.'),
    });
    this._leaveOut = new Adw.PreferencesGroup({
      title: _('Leave out'),
      description:
        prefix === 'setup'
          ? _('Rewind keeps each ticked folder apart on the disk when you continue, so that backups skip it without copying anything. You can include it again in Preferences.')
          : _('Rewind keeps each ticked folder apart on the disk, so that backups skip it without copying anything. Untick it to back it up again.'),
    });
    for (const group of [this._folders, this._blocked, this._nested, this._leaveOut]) page.add(group);
  }

  /** The entry that takes the focus on the setup page. */
  get entry(): Adw.EntryRow {
    return this._entry;
  }

  refresh(): void {
    const m = this._model;
    const { person, listing, choice } = m;
    this._showing = true;
    clearRows(this._rows);
    for (const [kind, { row, check }] of this._choices) {
      check.active = kind === choice.kind;
      const plan = planSources({ ...choice, kind }, person, listing);
      row.subtitle = escapeMarkup(choiceSubtitle(kind, kind === 'folders' && choice.kind !== 'folders' ? undefined : plan, person, listing, kind === choice.kind));
      row.sensitive = !m.busy;
    }
    const plan = m.plan();
    // The look at the folders failed (the password dialog closed): the way to look again, where the choices wait for it.
    if (m.unread && !m.loading) this._add(this._choicesGroup, navigationRow('view-refresh-symbolic', _('Look at the folders again'), _('Sizes, and what can be backed up, come from a look at this computer.'), `${this._prefix}.look-again`, ''));

    this._folders.visible = choice.kind === 'folders';
    for (const folder of choice.kind === 'folders' ? plan.folders : []) this._add(this._folders, this._folderRow(folder));

    const blocked = plan.folders.filter((f): f is Extract<PlannedFolder, { state: 'blocked' }> => f.state === 'blocked' && choice.kind !== 'system');
    this._blocked.visible = blocked.length > 0;
    for (const folder of blocked) this._add(this._blocked, this._blockedRow(folder));

    const sources = plan.sources.flatMap((s) => (s.path ? [s.path] : []));
    const candidates = new Set(m.candidates.map((c) => c.path));
    const nested = nestedInside(sources, listing).filter((s) => !candidates.has(s.path) && !(choice.kind === 'all-homes' && sources.includes(s.path) && !choice.nested.includes(s.path)));
    this._nested.visible = nested.length > 0;
    for (const s of nested) {
      const toggle = new Gtk.Switch({ valign: Gtk.Align.CENTER, active: sources.includes(s.path) });
      toggle.update_property([Gtk.AccessibleProperty.LABEL], [fmt(_('Back up %s'), folderName(s.path, person, listing))]);
      toggle.connect('notify::active', () => {
        if (!this._showing) this._activate('include-nested', `${s.path}=${toggle.active}`);
      });
      const row = new Adw.ActionRow({ title: escapeMarkup(folderName(s.path, person, listing, true)), subtitle: escapeMarkup(`${shortPath(s.path, person)} · ${sizeText(s.sizeBytes)}`), activatable_widget: toggle });
      row.add_prefix(new Gtk.Image({ icon_name: s.owner ? 'user-home-symbolic' : 'folder-symbolic' }));
      row.add_suffix(toggle);
      this._add(this._nested, row);
    }

    const inside = [...sources, ...plan.folders.map((f) => f.path)];
    const offered = m.candidates.filter((c) => leaveOutState(c.path, listing, m.exclude) !== 'absent' && (choice.kind === 'system' || inside.some((s) => c.path.startsWith(`${s}/`))));
    this._leaveOut.visible = offered.length > 0;
    for (const c of offered) {
      const check = new Gtk.CheckButton({ valign: Gtk.Align.CENTER, active: m.leaveOut.includes(c.path) });
      check.connect('toggled', () => {
        if (!this._showing) this._activate('leave-out', `${c.path}=${check.active}`);
      });
      const row = new Adw.ActionRow({ title: leaveOutTitle(c.id), subtitle: escapeMarkup(leaveOutSubtitle(c.path, person, listing)), subtitle_lines: 0, activatable_widget: check, sensitive: !m.busy });
      row.add_prefix(check);
      if (m.working === c.path) row.add_suffix(new Gtk.Spinner({ spinning: true }));
      this._add(this._leaveOut, row);
    }
    this._showing = false;
  }

  private _folderRow(folder: PlannedFolder): Adw.ActionRow {
    const { person, listing } = this._model;
    const entry = listing?.find((s) => s.path === folder.path);
    let subtitle = shortPath(folder.path, person);
    if (folder.state === 'measuring') subtitle = `${subtitle} · ${_('Measuring…')}`;
    else if (folder.state === 'ok') subtitle = `${subtitle} · ${sizeText(listing?.find((s) => s.path === folder.source)?.sizeBytes ?? entry?.sizeBytes)}`;
    else subtitle = `${subtitle} · ${_('not possible yet, see below')}`;
    const row = infoRow({ title: escapeMarkup(folderName(folder.path, person, listing, true)), subtitle: escapeMarkup(subtitle), subtitle_lines: 0 });
    if (folder.state === 'blocked') row.add_css_class('warning');
    row.add_prefix(new Gtk.Image({ icon_name: folder.state === 'blocked' ? 'dialog-warning-symbolic' : 'folder-symbolic' }));
    row.add_suffix(iconButton('list-remove-symbolic', fmt(_('Remove %s'), shortPath(folder.path, person)), `${this._prefix}.remove-source`, folder.path));
    return row;
  }

  private _blockedRow(folder: Extract<PlannedFolder, { state: 'blocked' }>): Adw.ActionRow {
    const m = this._model;
    const row = infoRow({ title: escapeMarkup(folderName(folder.path, m.person, m.listing)), subtitle: escapeMarkup(blockedText(folder, m.person, m.listing)), subtitle_lines: 0 });
    row.add_prefix(new Gtk.Image({ icon_name: 'dialog-information-symbolic', valign: Gtk.Align.START, margin_top: 12 }));
    if (folder.problem !== 'not-subvolume') return row;
    const buttons = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 6, valign: Gtk.Align.CENTER });
    const button = (label: string, action: string) => {
      const b = mnemonicButton({ label, action_name: `${this._prefix}.${action}`, action_target: GLib.Variant.new_string(folder.path), sensitive: !m.busy });
      buttons.append(b);
    };
    button(_('_Keep Apart'), 'keep-apart');
    const others = othersToKeepApart(folder);
    if (others !== undefined) button(fmt(ngettext('Keep the _Other Apart', 'Keep the %s _Others Apart', others), others), 'keep-others-apart');
    if (m.working !== null) buttons.append(new Gtk.Spinner({ spinning: true }));
    row.add_suffix(buttons);
    return row;
  }

  private _add(group: Adw.PreferencesGroup, row: Gtk.Widget): void {
    group.add(row);
    this._rows.push({ group, row });
  }

  private _activate(action: string, value: string): void {
    this._entry.activate_action(`${this._prefix}.${action}`, GLib.Variant.new_string(value));
  }
}
