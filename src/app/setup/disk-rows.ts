import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import { escapeMarkup } from '../format';
import { _ } from '../i18n';
import { navigationRow } from '../widgets';
import type { DiskInfo } from './setup-types';

/** Size, device and where it is mounted: "64 GB · /dev/sdb · /run/media/alice/USB". */
export function diskSubtitle(disk: DiskInfo): string {
  const size = GLib.format_size(disk.sizeBytes);
  const where = disk.mountpoints[0] ? ` · ${disk.mountpoints[0]}` : '';
  return `${size} · ${disk.path}${where}`;
}

/** A disk Rewind can use: choosing it activates setup.choose-disk. */
export function offeredDiskRow(disk: DiskInfo): Adw.ActionRow {
  const icon = disk.removable ? 'drive-removable-media-symbolic' : 'drive-harddisk-symbolic';
  return navigationRow(icon, escapeMarkup(disk.name), escapeMarkup(diskSubtitle(disk)), 'setup.choose-disk', disk.path);
}

/** The disk that holds the folders themselves: shown where people look for it, but not offered. */
export function sourceDiskRow(disk: DiskInfo): Adw.ActionRow {
  const row = new Adw.ActionRow({
    title: escapeMarkup(disk.name),
    subtitle: escapeMarkup(`${diskSubtitle(disk)}\n${_('Not offered: it holds the folders you back up, and a backup on the same disk would be lost with them.')}`),
    subtitle_lines: 0,
    sensitive: false,
  });
  row.add_prefix(new Gtk.Image({ icon_name: 'action-unavailable-symbolic' }));
  return row;
}

/** A disk Rewind cannot use, and why. */
export function unusableDiskRow(disk: DiskInfo): Adw.ActionRow {
  return new Adw.ActionRow({ title: escapeMarkup(disk.name), subtitle: escapeMarkup(`${diskSubtitle(disk)} — ${disk.why ?? ''}`) });
}
