import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { WizardPage, type NextButton } from '../wizard/wizard-page';
import { diskName, diskSubtitle } from './disk-rows';
import type { SetupFlow } from './setup-flow';
import { infoRow } from '../widgets';

/**
 * Set Up Backups, only for an empty disk: a warning, in the warning colour,
 * that names the disk and its size and says what is lost before it is
 * erased. (AdwBanner is libadwaita 1.3: an icon and labels in a group here.)
 */
export class PreparePage extends WizardPage {
  static {
    GObject.registerClass({ GTypeName: 'RewindSetupPreparePage' }, this);
  }

  private _flow: SetupFlow;
  private _title: Gtk.Label;
  private _lost: Gtk.Label;
  private _disk: Adw.ActionRow;

  constructor(flow: SetupFlow) {
    super();
    this._flow = flow;
    const warning = new Gtk.Box({ orientation: Gtk.Orientation.VERTICAL, spacing: 12, halign: Gtk.Align.CENTER });
    const icon = new Gtk.Image({ icon_name: 'dialog-warning-symbolic', pixel_size: 64, css_classes: ['warning'] });
    // The title says it; the icon is not read out again.
    icon.update_property([Gtk.AccessibleProperty.LABEL], [_('Warning')]);
    this._title = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER, css_classes: ['title-2'] });
    this._lost = new Gtk.Label({ wrap: true, justify: Gtk.Justification.CENTER });
    for (const widget of [icon, this._title, this._lost]) warning.append(widget);
    const top = new Adw.PreferencesGroup();
    top.add(warning);
    this.add(top);
    const group = new Adw.PreferencesGroup({ title: _('Disk to erase') });
    this._disk = infoRow({});
    this._disk.add_prefix(new Gtk.Image({ icon_name: 'drive-harddisk-symbolic' }));
    group.add(this._disk);
    const note = new Gtk.Label({ wrap: true, xalign: 0, margin_top: 12, css_classes: ['dim-label'], label: _('Make sure it is the disk you mean. If you are not sure, go back and choose another disk.') });
    group.add(note);
    this.add(group);
  }

  override next(): NextButton {
    return { label: _('_Erase Disk'), action: 'setup.prepare-disk', destructive: true, guarded: true };
  }

  override refresh(): void {
    const disk = this._flow.toPrepare;
    if (!disk) return;
    const name = diskName(disk);
    // Translators: %s is the disk's name.
    this._title.label = fmt(_('Erase “%s”?'), name);
    this._lost.label = fmt(
      // Translators: the disk's name, then its size such as "32 GB".
      _('Everything on “%s” (%s) will be deleted: every file and folder on it. This cannot be undone. The whole disk is then used for backups.'),
      name,
      GLib.format_size(disk.sizeBytes),
    );
    this._disk.title = escapeMarkup(name);
    this._disk.subtitle = escapeMarkup(diskSubtitle(disk));
  }
}
