import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { diskName, diskSubtitle } from './disk-rows';
import type { SetupFlow } from './setup-flow';

/** Set Up Backups, only for an empty disk: the warning that names the disk and its size before it is erased. */
export class PreparePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupPreparePage' }, this);
  }

  private _flow: SetupFlow;
  private _group: Adw.PreferencesGroup;
  private _disk: Adw.ActionRow;

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    this._group = new Adw.PreferencesGroup({ title: _('Erase this disk?') });
    this._disk = new Adw.ActionRow();
    this._disk.add_prefix(new Gtk.Image({ icon_name: 'drive-harddisk-symbolic' }));
    this._group.add(this._disk);
    this.add(this._group);
  }

  override next(): NextButton {
    return { label: _('_Erase and Prepare'), action: 'setup.prepare-disk', destructive: true, guarded: true };
  }

  override refresh(): void {
    const disk = this._flow.toPrepare;
    if (!disk) return;
    this._group.description = fmt(
      _('Preparing “%s” (%s) erases everything on it and sets it up for backups. This cannot be undone. Make sure it is the disk you mean.'),
      diskName(disk),
      GLib.format_size(disk.sizeBytes),
    );
    this._disk.title = escapeMarkup(diskName(disk));
    this._disk.subtitle = escapeMarkup(diskSubtitle(disk));
  }
}
