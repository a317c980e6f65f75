import Adw from 'gi://Adw?version=1';
import GLib from 'gi://GLib';
import Gtk from 'gi://Gtk?version=4.0';
import type { Destination } from '../../core/config';
import { destinationName } from '../../core/destination-name';
import { describeKind, escapeMarkup } from '../format';
import { _, fmt } from '../i18n';
import { infoRow, navigationRow } from '../widgets';
import type { DiskInfo } from './setup-types';

/**
 * A disk as people know it: its label, else its model, else its size
 * ("64 GB disk"). Never its device (/dev/sdb, loop3): that name changes
 * each time the disk is plugged in, and means nothing to most people.
 */
export function diskName(disk: DiskInfo): string {
  // Translators: a disk without a label or model, by its size: "64 GB disk".
  return disk.label || disk.model || fmt(_('%s disk'), GLib.format_size(disk.sizeBytes));
}

/** Size and where the desktop mounted it: "64 GB · /run/media/alice/USB"; the size only once for a disk named by it. */
export function diskSubtitle(disk: DiskInfo): string {
  const named = !!(disk.label || disk.model);
  const parts = [...(named ? [GLib.format_size(disk.sizeBytes)] : []), ...disk.mountpoints.slice(0, 1)];
  if (parts.length === 0) return disk.use === 'empty' ? _('Nothing on it yet') : _('No name');
  // Translators: a disk's size, then where it is mounted: "64 GB · /run/media/alice/USB".
  return parts.length === 2 ? fmt(_('%s · %s'), parts[0], parts[1]) : parts[0];
}

/** "Already used for backups", with the destination's name when it is not the disk's own. */
export function alreadyUsed(used: Destination, shownAs: string): string {
  const name = destinationName(used);
  // Translators: %s is the name the backups on this disk or server go by in Rewind.
  return name === shownAs ? _('Already used for backups') : fmt(_('Already used for backups, as “%s”'), name);
}

/**
 * A disk Rewind can use: choosing it activates setup.choose-disk. One
 * already used for backups says so; `keep` (setting up again) offers it to
 * go on with, otherwise it cannot be chosen a second time.
 */
export function offeredDiskRow(disk: DiskInfo, used: Destination | undefined, keep: boolean): Adw.ActionRow {
  const icon = disk.removable ? 'drive-removable-media-symbolic' : 'drive-harddisk-symbolic';
  const name = diskName(disk);
  const subtitle = used ? `${diskSubtitle(disk)}\n${alreadyUsed(used, name)}` : diskSubtitle(disk);
  const row = navigationRow(icon, escapeMarkup(name), escapeMarkup(subtitle), 'setup.choose-disk', disk.path);
  row.subtitle_lines = 0;
  if (used && !keep) row.sensitive = false;
  return row;
}

/** The disk that holds the folders themselves: shown where people look for it, but not offered. */
export function sourceDiskRow(disk: DiskInfo): Adw.ActionRow {
  const row = infoRow({
    title: escapeMarkup(diskName(disk)),
    subtitle: escapeMarkup(`${diskSubtitle(disk)}\n${_('Not offered: it holds the folders you back up, and a backup on the same disk would be lost with them.')}`),
    subtitle_lines: 0,
    sensitive: false,
  });
  row.add_prefix(new Gtk.Image({ icon_name: 'action-unavailable-symbolic' }));
  return row;
}

/** Why Rewind cannot use a disk, in words. */
export function unusableReason(disk: DiskInfo): string {
  switch (disk.reason) {
    case 'system':
      return _('It holds this computer’s system.');
    case 'source':
      return _('It holds the folders you back up.');
    case 'partitions':
      return _('It is divided into parts: choose one of them instead.');
    case 'partition-table':
      return _('It is divided into parts, none of which Rewind can use.');
    case 'unsupported':
      return _('Rewind cannot write to the way this disk is formatted.');
    case 'in-use':
      return _('It is in use.');
    default:
      return _('Rewind cannot use this disk.');
  }
}

/** A disk Rewind cannot use, and why. */
export function unusableDiskRow(disk: DiskInfo): Adw.ActionRow {
  return infoRow({ title: escapeMarkup(diskName(disk)), subtitle: escapeMarkup(`${diskSubtitle(disk)}\n${unusableReason(disk)}`), subtitle_lines: 0 });
}

/**
 * A destination the configuration already has, besides the disks listed
 * (a server, a folder, a disk not connected now): setting up again
 * (`keep`) goes on with it (setup.keep-destination); otherwise it is only
 * shown, so that it is not added twice.
 */
export function usedDestinationRow(d: Destination, keep: boolean): Adw.ActionRow {
  const icon = d.kind === 'ssh' ? 'network-server-symbolic' : d.kind === 'files' && d.filesystem === undefined ? 'folder-symbolic' : 'drive-harddisk-symbolic';
  // Translators: what a destination is, then that it is in use: "Backup server · Already used for backups".
  const subtitle = escapeMarkup(fmt(_('%s · %s'), describeKind(d.kind), _('Already used for backups')));
  const title = escapeMarkup(destinationName(d));
  if (keep) return navigationRow(icon, title, subtitle, 'setup.keep-destination', d.id);
  const row = infoRow({ title, subtitle, sensitive: false });
  row.add_prefix(new Gtk.Image({ icon_name: icon }));
  return row;
}
