import Adw from 'gi://Adw?version=1';
import GObject from 'gi://GObject';
import type Gtk from 'gi://Gtk?version=4.0';
import { _ } from '../i18n';
import { clearRows, infoRow, navigationRow } from '../widgets';
import { WizardPage } from '../wizard/wizard-page';
import { offeredDiskRow, sourceDiskRow, unusableDiskRow, usedDestinationRow } from './disk-rows';
import type { SetupFlow } from './setup-flow';

type Use = 'btrfs' | 'files' | 'empty';

/**
 * Set Up Backups, step 2: the disks grouped by what Rewind can do with each
 * (btrfs: used directly; another filesystem: stream files; empty: prepare),
 * another computer, a folder, and the disks Rewind cannot use. Choosing one
 * goes on: the page has no Continue button. What the configuration already
 * has is marked "Already used for backups": a disk in its group, anything
 * else in a group of its own. The list follows disks as they are plugged
 * in and taken out (the dialog watches them), so it has no refresh button.
 */
export class WherePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupWherePage' }, this);
  }

  private _flow: SetupFlow;
  private _groups: Record<Use, Adw.PreferencesGroup>;
  private _used: Adw.PreferencesGroup;
  private _unusable: Adw.ExpanderRow;
  private _unusableGroup: Adw.PreferencesGroup;
  private _rows: { group: Adw.PreferencesGroup | Adw.ExpanderRow; row: Gtk.Widget }[] = [];

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    this._groups = {
      btrfs: new Adw.PreferencesGroup({
        title: _('Backup disks'),
        description: _('Disks set up for Rewind. Backups on them are folders you can browse like any other.'),
      }),
      files: new Adw.PreferencesGroup({
        title: _('Other disks'),
        description: _('Disks formatted for other computers and uses, such as most USB sticks. Rewind stores backups on them as compressed files.'),
      }),
      empty: new Adw.PreferencesGroup({
        title: _('Empty disks'),
        description: _('Rewind can prepare an empty disk for backups. You will be asked before anything is written to it.'),
      }),
    };
    this._used = new Adw.PreferencesGroup({ title: _('Already used for backups'), visible: false });
    this._unusable = new Adw.ExpanderRow({ title: _('Disks Rewind cannot use') });
    this._unusableGroup = new Adw.PreferencesGroup();
    this._unusableGroup.add(this._unusable);
    const other = new Adw.PreferencesGroup({ title: _('Other places') });
    other.add(navigationRow('network-server-symbolic', _('Another computer'), _('A computer with Rewind, reached over SSH'), 'setup.add-server'));
    other.add(navigationRow('folder-symbolic', _('A folder'), _('On any disk or network share, as compressed files'), 'setup.choose-folder', ''));
    for (const group of [this._used, this._groups.btrfs, this._groups.files, this._groups.empty, other, this._unusableGroup]) this.add(group);
  }

  override refresh(): void {
    clearRows(this._rows);
    const flow = this._flow;
    const disks = flow.disks ?? [];
    // Setting up again goes on with what is in use; adding a destination cannot add it twice.
    const keep = flow.mode === 'first-run';
    for (const use of ['btrfs', 'files', 'empty'] as const) {
      const group = this._groups[use];
      const these = disks.filter((d) => d.use === use);
      group.visible = use === 'btrfs' || these.length > 0;
      for (const disk of these) this._add(group, offeredDiskRow(disk, flow.diskInUse(disk), keep));
    }
    const listed = new Set(disks.map((d) => flow.diskInUse(d)?.id));
    const others = (flow.existing?.destinations ?? []).filter((d) => !listed.has(d.id));
    this._used.visible = others.length > 0;
    for (const d of others) this._add(this._used, usedDestinationRow(d, keep));
    const btrfs = this._groups.btrfs;
    for (const disk of disks.filter((d) => d.use === 'source')) this._add(btrfs, sourceDiskRow(disk));
    if (!disks.some((d) => d.use === 'btrfs')) this._add(btrfs, this._noDiskRow());
    const unusable = disks.filter((d) => d.use === 'system' || d.use === 'other');
    this._unusableGroup.visible = unusable.length > 0;
    for (const disk of unusable) {
      const row = unusableDiskRow(disk);
      this._unusable.add_row(row);
      this._rows.push({ group: this._unusable, row });
    }
  }

  /** Instead of the backup disks: still looking, none found, or not looked for (the password dialog was closed). */
  private _noDiskRow(): Adw.ActionRow {
    const flow = this._flow;
    if (flow.disks) return infoRow({ title: _('No backup disk found'), subtitle: _('Connect a disk: it shows here when it is ready.') });
    if (!flow.disksUnread) return infoRow({ title: _('Looking for disks…') });
    return navigationRow('view-refresh-symbolic', _('Look for disks'), _('Rewind has not looked for disks yet.'), 'setup.refresh-disks');
  }

  private _add(group: Adw.PreferencesGroup, row: Gtk.Widget): void {
    group.add(row);
    this._rows.push({ group, row });
  }
}
