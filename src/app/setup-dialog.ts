import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { WEEKDAYS, type Schedule } from '../core/schedule';
import { dayName, describeKind, describeSchedule, escapeMarkup } from './format';
import { _, fmt } from './i18n';
import type { DiskInfo, SetupFlow, SetupPage } from './setup-flow';
import { describeSize } from './subvolume-sizes';
import { closeOnEscape } from './close-on-escape';

const FREQUENCIES = ['hourly', 'daily', 'weekly', 'manual'] as const;

function iconButton(icon: string, name: string, action: string, target?: string): Gtk.Button {
  const button = new Gtk.Button({ icon_name: icon, tooltip_text: name, valign: Gtk.Align.CENTER, css_classes: ['flat'], action_name: action });
  if (target !== undefined) button.action_target = GLib.Variant.new_string(target);
  button.update_property([Gtk.AccessibleProperty.LABEL], [name]);
  return button;
}

function diskSubtitle(disk: DiskInfo): string {
  const size = GLib.format_size(disk.sizeBytes);
  const where = disk.mountpoints[0] ? ` · ${disk.mountpoints[0]}` : '';
  return `${size} · ${disk.path}${where}`;
}

/**
 * The "Set Up Backups" dialog: a view of SetupFlow, one stack page per step.
 * Its buttons and rows name the flow's app actions; only the When page's
 * widgets and the folder entry write to the flow directly.
 */
export class SetupDialog extends Adw.Window {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupDialog' }, this);
  }

  private _flow!: SetupFlow;
  private _handlers: number[] = [];
  private _stack!: Gtk.Stack;
  private _title!: Adw.WindowTitle;
  private _back!: Gtk.Button;
  private _cancel!: Gtk.Button;
  private _next!: Gtk.Button;
  private _spinner!: Gtk.Spinner;
  private _errors: Gtk.Label[] = [];
  private _sourcesGroup!: Adw.PreferencesGroup;
  private _sourceRows: Gtk.Widget[] = [];
  private _folderEntry!: Adw.EntryRow;
  private _foundGroup!: Adw.PreferencesGroup;
  private _foundRows: Gtk.Widget[] = [];
  private _diskGroups!: Record<'btrfs' | 'files' | 'empty', Adw.PreferencesGroup>;
  private _unusable!: Adw.ExpanderRow;
  private _unusableGroup!: Adw.PreferencesGroup;
  private _diskRows: { group: Adw.PreferencesGroup | Adw.ExpanderRow; row: Gtk.Widget }[] = [];
  private _prepareGroup!: Adw.PreferencesGroup;
  private _prepareDisk!: Adw.ActionRow;
  private _frequency!: Adw.ComboRow;
  private _day!: Adw.ComboRow;
  private _timeRow!: Adw.ActionRow;
  private _hour!: Gtk.SpinButton;
  private _minute!: Gtk.SpinButton;
  private _syncingWhen = false;
  private _summary!: Record<'what' | 'where' | 'when', Adw.ActionRow>;
  private _summaryText!: Gtk.Label;

  constructor(parent: Gtk.Window, flow: SetupFlow) {
    const title = flow.mode === 'first-run' ? _('Set Up Backups') : _('Add Destination');
    super({ transient_for: parent, application: parent.application, modal: true, default_width: 600, default_height: 680, width_request: 360, title });
    this._flow = flow;

    this._title = new Adw.WindowTitle({ title });
    this._back = new Gtk.Button({ icon_name: 'go-previous-symbolic', action_name: 'app.setup-back', tooltip_text: _('Back') });
    this._back.update_property([Gtk.AccessibleProperty.LABEL], [_('Back')]);
    this._cancel = new Gtk.Button({ label: _('_Cancel'), use_underline: true });
    this._cancel.connect('clicked', () => this.close());
    this._next = new Gtk.Button({ use_underline: true, css_classes: ['suggested-action'] });
    this._spinner = new Gtk.Spinner({ spinning: true, visible: false });
    this._spinner.update_property([Gtk.AccessibleProperty.LABEL], [_('Waiting for the backup helper')]);
    const header = new Adw.HeaderBar({ title_widget: this._title, show_end_title_buttons: false, show_start_title_buttons: false });
    header.pack_start(this._cancel);
    header.pack_start(this._back);
    header.pack_end(this._next);
    header.pack_end(this._spinner);

    this._stack = new Gtk.Stack({ transition_type: Gtk.StackTransitionType.SLIDE_LEFT_RIGHT, transition_duration: 200, vexpand: true });
    this._stack.add_named(this._whatPage(), 'what');
    this._stack.add_named(this._wherePage(), 'where');
    this._stack.add_named(this._preparePage(), 'prepare');
    this._stack.add_named(this._whenPage(), 'when');
    this._stack.add_named(this._summaryPage(), 'summary');
    const content = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL });
    content.append(header);
    content.append(this._stack);
    this.set_content(content);

    closeOnEscape(this);

    for (const property of ['page', 'busy', 'error-message']) this._handlers.push(flow.connect(`notify::${property}`, () => this._sync()));
    this._handlers.push(flow.connect('changed', () => this._showFields()));
    this.connect('close-request', () => {
      for (const id of this._handlers) flow.disconnect(id);
      this._handlers = [];
      return false;
    });
    this._showFields();
    this._sync();
  }

  private _errorGroup(): Adw.PreferencesGroup {
    const label = new Gtk.Label({ wrap: true, xalign: 0, visible: false, css_classes: ['error'], margin_bottom: 12 });
    this._errors.push(label);
    const group = new Adw.PreferencesGroup();
    group.add(label);
    return group;
  }

  private _page(...groups: Adw.PreferencesGroup[]): Adw.PreferencesPage {
    const page = new Adw.PreferencesPage();
    page.add(this._errorGroup());
    for (const g of groups) page.add(g);
    return page;
  }

  private _whatPage(): Gtk.Widget {
    this._sourcesGroup = new Adw.PreferencesGroup({
      title: _('What to back up'),
      description: _('Rewind backs up folders that are btrfs subvolumes, such as /home, which holds everyone’s home folder on Fedora. Each backup copies only what changed since the last one.'),
    });
    this._folderEntry = new Adw.EntryRow({ title: _('Add a folder, such as /home'), show_apply_button: true });
    this._folderEntry.connect('apply', () => {
      this.activate_action('app.setup-add-source', GLib.Variant.new_string(this._folderEntry.text));
      this._folderEntry.text = '';
    });
    const add = new Adw.PreferencesGroup();
    add.add(this._folderEntry);
    this._foundGroup = new Adw.PreferencesGroup({
      title: _('Other subvolumes'),
      description: _('Folders on this computer that Rewind can back up as well.'),
      visible: false,
    });
    return this._page(this._sourcesGroup, add, this._foundGroup);
  }

  private _wherePage(): Gtk.Widget {
    const refresh = iconButton('view-refresh-symbolic', _('Look for Disks Again'), 'app.setup-refresh-disks');
    this._diskGroups = {
      btrfs: new Adw.PreferencesGroup({
        title: _('Backup disks'),
        description: _('Disks with a btrfs filesystem. Rewind stores backups on them directly, so you can browse them like any folder.'),
        header_suffix: refresh,
      }),
      files: new Adw.PreferencesGroup({
        title: _('Other disks'),
        description: _('Disks with another filesystem, such as ext4 or exFAT. Rewind stores backups on them as compressed files.'),
      }),
      empty: new Adw.PreferencesGroup({
        title: _('Empty disks'),
        description: _('Rewind can prepare an empty disk for backups. You will be asked before anything is written to it.'),
      }),
    };
    this._unusable = new Adw.ExpanderRow({ title: _('Disks Rewind cannot use') });
    this._unusableGroup = new Adw.PreferencesGroup();
    this._unusableGroup.add(this._unusable);
    const other = new Adw.PreferencesGroup({ title: _('Other places') });
    const server = new Adw.ActionRow({ title: _('Another computer'), subtitle: _('A computer with Rewind, reached over SSH'), activatable: true, action_name: 'app.setup-add-server' });
    server.add_prefix(new Gtk.Image({ icon_name: 'network-server-symbolic' }));
    server.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    const folder = new Adw.ActionRow({
      title: _('A folder'),
      subtitle: _('On any disk or network share, as compressed files'),
      activatable: true,
      action_name: 'app.setup-choose-folder',
      action_target: GLib.Variant.new_string(''),
    });
    folder.add_prefix(new Gtk.Image({ icon_name: 'folder-symbolic' }));
    folder.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
    other.add(server);
    other.add(folder);
    return this._page(this._diskGroups.btrfs, this._diskGroups.files, this._diskGroups.empty, other, this._unusableGroup);
  }

  private _preparePage(): Gtk.Widget {
    this._prepareGroup = new Adw.PreferencesGroup({ title: _('Erase this disk?') });
    this._prepareDisk = new Adw.ActionRow();
    this._prepareDisk.add_prefix(new Gtk.Image({ icon_name: 'drive-harddisk-symbolic' }));
    this._prepareGroup.add(this._prepareDisk);
    return this._page(this._prepareGroup);
  }

  private _whenPage(): Gtk.Widget {
    const group = new Adw.PreferencesGroup({
      title: _('When to back up'),
      description: _('Backups run in the background while the computer is on. A backup missed while it was off runs when it starts again.'),
    });
    this._frequency = new Adw.ComboRow({ title: _('Back up'), model: Gtk.StringList.new([_('Every hour'), _('Every day'), _('Every week'), _('Only when I start one')]) });
    this._day = new Adw.ComboRow({ title: _('Day'), model: Gtk.StringList.new(WEEKDAYS.map(dayName)) });
    this._hour = Gtk.SpinButton.new_with_range(0, 23, 1);
    this._minute = Gtk.SpinButton.new_with_range(0, 59, 5);
    for (const [spin, name] of [
      [this._hour, _('Hour')],
      [this._minute, _('Minute')],
    ] as const) {
      spin.valign = Gtk.Align.CENTER;
      spin.numeric = true;
      spin.update_property([Gtk.AccessibleProperty.LABEL], [name]);
      // Two digits, as clocks show them.
      spin.connect('output', () => {
        spin.text = String(spin.value).padStart(2, '0');
        return true;
      });
      spin.connect('value-changed', () => this._whenChanged());
    }
    const time = new Gtk.Box({ spacing: 6, valign: Gtk.Align.CENTER });
    time.append(this._hour);
    time.append(new Gtk.Label({ label: ':' }));
    time.append(this._minute);
    this._timeRow = new Adw.ActionRow({ title: _('Time') });
    this._timeRow.add_suffix(time);
    for (const combo of [this._frequency, this._day]) combo.connect('notify::selected', () => this._whenChanged());
    group.add(this._frequency);
    group.add(this._day);
    group.add(this._timeRow);
    return this._page(group);
  }

  private _summaryPage(): Gtk.Widget {
    const group = new Adw.PreferencesGroup({ title: _('Ready to back up') });
    const row = (title: string) => {
      const r = new Adw.ActionRow({ title });
      group.add(r);
      return r;
    };
    this._summary = { what: row(_('What')), where: row(_('Where')), when: row(_('When')) };
    this._summaryText = new Gtk.Label({ wrap: true, xalign: 0, margin_top: 12 });
    const text = new Adw.PreferencesGroup();
    text.add(this._summaryText);
    return this._page(group, text);
  }

  /** The When page's widgets changed: tell the flow, unless they are being set from it. */
  private _whenChanged(): void {
    if (this._syncingWhen) return;
    const kind = FREQUENCIES[this._frequency.selected] ?? 'hourly';
    const at = `${String(this._hour.value).padStart(2, '0')}:${String(this._minute.value).padStart(2, '0')}`;
    const schedule: Schedule =
      kind === 'daily' ? { kind, at } : kind === 'weekly' ? { kind, day: WEEKDAYS[this._day.selected] ?? 'mon', at } : { kind };
    this._flow.setSchedule(schedule);
  }

  private _showFields(): void {
    const flow = this._flow;
    for (const row of this._sourceRows) this._sourcesGroup.remove(row);
    this._sourceRows = flow.sources.map((source) => {
      const size = describeSize(flow.sizes?.find((s) => s.path === source), flow.sizesLoading);
      const row = new Adw.ActionRow({ title: escapeMarkup(source), subtitle: escapeMarkup(size.text), subtitle_lines: 0 });
      if (size.problem) row.add_css_class('error');
      row.add_prefix(new Gtk.Image({ icon_name: size.problem ? 'dialog-warning-symbolic' : 'folder-symbolic' }));
      row.add_suffix(iconButton('list-remove-symbolic', fmt(_('Remove %s'), source), 'app.setup-remove-source', source));
      this._sourcesGroup.add(row);
      return row;
    });

    for (const row of this._foundRows) this._foundGroup.remove(row);
    const found = (flow.sizes ?? []).filter((s) => s.found && s.subvolume && !flow.sources.includes(s.path));
    this._foundGroup.visible = found.length > 0;
    this._foundRows = found.map((s) => {
      const row = new Adw.ActionRow({ title: escapeMarkup(s.path), subtitle: escapeMarkup(describeSize(s, false).text) });
      row.add_prefix(new Gtk.Image({ icon_name: 'folder-symbolic' }));
      row.add_suffix(iconButton('list-add-symbolic', fmt(_('Add %s'), s.path), 'app.setup-add-source', s.path));
      this._foundGroup.add(row);
      return row;
    });

    for (const { group, row } of this._diskRows) group.remove(row);
    this._diskRows = [];
    const disks = flow.disks ?? [];
    for (const use of ['btrfs', 'files', 'empty'] as const) {
      const group = this._diskGroups[use];
      const these = disks.filter((d) => d.use === use);
      group.visible = use === 'btrfs' || these.length > 0;
      for (const disk of these) {
        const row = new Adw.ActionRow({
          title: escapeMarkup(disk.name),
          subtitle: escapeMarkup(diskSubtitle(disk)),
          activatable: true,
          action_name: 'app.setup-choose-disk',
          action_target: GLib.Variant.new_string(disk.path),
        });
        row.add_prefix(new Gtk.Image({ icon_name: disk.removable ? 'drive-removable-media-symbolic' : 'drive-harddisk-symbolic' }));
        row.add_suffix(new Gtk.Image({ icon_name: 'go-next-symbolic' }));
        group.add(row);
        this._diskRows.push({ group, row });
      }
      // The disk that holds the folders themselves: shown where people look for it, but not offered.
      for (const disk of use === 'btrfs' ? disks.filter((d) => d.use === 'source') : []) {
        const row = new Adw.ActionRow({
          title: escapeMarkup(disk.name),
          subtitle: escapeMarkup(`${diskSubtitle(disk)}\n${_('Not offered: it holds the folders you back up, and a backup on the same disk would be lost with them.')}`),
          subtitle_lines: 0,
          sensitive: false,
        });
        row.add_prefix(new Gtk.Image({ icon_name: 'action-unavailable-symbolic' }));
        group.add(row);
        this._diskRows.push({ group, row });
      }
      if (use === 'btrfs' && these.length === 0) {
        const row = new Adw.ActionRow({ title: flow.disks ? _('No backup disk found') : _('Looking for disks…'), subtitle: _('Connect a disk, then look again.') });
        group.add(row);
        this._diskRows.push({ group, row });
      }
    }
    const unusable = disks.filter((d) => d.use === 'system' || d.use === 'other');
    this._unusableGroup.visible = unusable.length > 0;
    for (const disk of unusable) {
      const row = new Adw.ActionRow({ title: escapeMarkup(disk.name), subtitle: escapeMarkup(`${diskSubtitle(disk)} — ${disk.why ?? ''}`) });
      this._unusable.add_row(row);
      this._diskRows.push({ group: this._unusable, row });
    }

    const disk = flow.toPrepare;
    if (disk) {
      this._prepareGroup.description = fmt(
        _('Preparing “%s” (%s) erases everything on it and makes it a btrfs disk for backups. This cannot be undone. Make sure it is the disk you mean.'),
        disk.name,
        GLib.format_size(disk.sizeBytes),
      );
      this._prepareDisk.title = escapeMarkup(disk.name);
      this._prepareDisk.subtitle = escapeMarkup(diskSubtitle(disk));
    }

    this._syncingWhen = true;
    const s = flow.schedule;
    this._frequency.selected = Math.max(0, FREQUENCIES.indexOf(s.kind));
    if (s.kind === 'weekly') this._day.selected = WEEKDAYS.indexOf(s.day);
    if (s.kind === 'daily' || s.kind === 'weekly') {
      const [h, m] = s.at.split(':').map(Number);
      this._hour.value = h;
      this._minute.value = m;
    }
    this._day.visible = s.kind === 'weekly';
    this._timeRow.visible = s.kind === 'daily' || s.kind === 'weekly';
    this._syncingWhen = false;

    this._summary.what.subtitle = escapeMarkup(flow.sources.join(', '));
    this._summary.what.visible = flow.mode === 'first-run';
    this._summary.when.visible = flow.mode === 'first-run';
    const d = flow.destination;
    this._summary.where.subtitle = d ? escapeMarkup(`${flow.destinationText} — ${describeKind(d.kind)}`) : '';
    this._summary.when.subtitle = escapeMarkup(describeSchedule(flow.schedule));
    const lines = [
      _('The first backup copies everything in these folders. Later backups copy only what changed, and old backups are thinned out over time: every hour for a day, every day for a month, every week for a year, then every month.'),
      flow.schedule.kind === 'manual'
        ? _('Backups run only when you press Back Up Now.')
        : _('Backups run automatically in the background. You can also back up at any time with Back Up Now.'),
    ];
    if (d?.kind === 'btrfs') lines.push(_('Backups go into a folder named “rewind” on the disk. Connect it now and then; Rewind backs up when it is there.'));
    this._summaryText.label = lines.join('\n\n');
  }

  private _sync(): void {
    const flow = this._flow;
    const name: SetupPage = flow.page;
    this._stack.visible_child_name = name;
    this._spinner.visible = flow.busy;
    for (const label of this._errors) {
      label.label = flow.error_message;
      label.visible = flow.error_message !== '';
    }
    const steps = flow.steps;
    const at = steps.indexOf(name);
    this._cancel.visible = at === 0;
    this._back.visible = at !== 0;
    this._next.remove_css_class('destructive-action');
    this._next.add_css_class('suggested-action');
    this._next.visible = name !== 'where';
    const step = at >= 0 ? fmt(_('Step %s of %s'), at + 1, steps.length) : '';
    if (name === 'prepare') {
      this._setNext(_('_Erase and Prepare'), 'app.setup-prepare-disk', '');
      this._next.remove_css_class('suggested-action');
      this._next.add_css_class('destructive-action');
    } else if (name === 'summary') {
      this._setNext(flow.mode === 'first-run' ? _('_Start Backups') : _('_Add'), 'app.setup-save', step);
    } else {
      this._setNext(_('_Continue'), 'app.setup-continue', step);
    }
    this.set_default_widget(this._next.visible && name !== 'prepare' ? this._next : null);
    if (name === 'what') this._folderEntry.grab_focus();
    else if (name === 'prepare') this._back.grab_focus();
    else if (this._next.visible) this._next.grab_focus();
  }

  private _setNext(label: string, action: string, step: string): void {
    this._next.label = label;
    this._next.action_name = action;
    this._title.subtitle = step;
  }
}
