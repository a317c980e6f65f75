import { ADVICE, RewindError } from '../../core/errors';
import type { DiskInfo, PrepareDiskResult } from '../../core/contract/responses';
export type { DiskInfo, DiskUse } from '../../core/contract/responses';
import type { PrepareDiskRequest } from '../../core/contract/disk-requests';
import { runCommand } from './run-command';
import { locate } from '../engine/sources';

/**
 * The disks a user could back up to, for the app's setup (D-Bus ListDisks),
 * and preparing an empty one as btrfs (PrepareDisk). lsblk gives the tree
 * and sizes; each candidate is probed with blkid -p, which reads the device
 * itself (lsblk's filesystem columns come from udev, which may not know).
 */
interface LsblkDevice {
  name: string;
  path: string;
  type: string;
  size: number;
  model?: string | null;
  rm?: boolean;
  hotplug?: boolean;
  mountpoints?: Array<string | null>;
  children?: LsblkDevice[];
}

const FILE_SYSTEMS = new Set(['ext4', 'ext3', 'ext2', 'xfs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'f2fs']);
const SYSTEM_MOUNTS = new Set(['/', '/boot', '/boot/efi', '/efi', '/home', '/usr', '/var', '[SWAP]']);
/** Read-only images that loop devices carry (snaps, ISO files): never disks. */
const IMAGE_TYPES = new Set(['squashfs', 'iso9660', 'erofs']);

async function probe(device: string): Promise<Record<string, string>> {
  const out = await runCommand('blkid', ['-p', '-o', 'export', device]).catch(() => '');
  const fields: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const at = line.indexOf('=');
    // "export" format escapes spaces and other shell characters with a backslash.
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).replace(/\\(.)/g, '$1');
  }
  return fields;
}

function classify(device: LsblkDevice, probed: Record<string, string>, mountpoints: string[]): Pick<DiskInfo, 'use' | 'why' | 'reason'> {
  const fstype = probed.TYPE;
  if (mountpoints.some((m) => SYSTEM_MOUNTS.has(m)) || fstype === 'swap') return { use: 'system', why: 'it holds this system', reason: 'system' };
  if (device.children?.length) return { use: 'other', why: 'it has partitions; choose one of them', reason: 'partitions' };
  if (fstype === 'btrfs') return { use: 'btrfs' };
  if (fstype && FILE_SYSTEMS.has(fstype)) return { use: 'files' };
  if (fstype) return { use: 'other', why: `it holds ${fstype}, which Rewind does not write to`, reason: 'unsupported' };
  if (probed.PTTYPE) return { use: 'other', why: 'it has a partition table', reason: 'partition-table' };
  if (mountpoints.length > 0) return { use: 'other', why: 'it is in use', reason: 'in-use' };
  return { use: 'empty' };
}

/** Filesystem UUIDs and devices of the folders to back up; a folder not on btrfs marks nothing. */
async function sourceFilesystems(sources: readonly string[]): Promise<{ uuids: Set<string>; devices: Set<string> }> {
  const uuids = new Set<string>();
  const devices = new Set<string>();
  for (const source of sources) {
    const location = await locate(source).catch(() => undefined);
    if (!location) continue;
    uuids.add(location.fsUuid);
    devices.add(location.device);
  }
  return { uuids, devices };
}

/**
 * Every disk, classified. `sources` are the folders to back up: the disks
 * that hold them are marked 'source', since a backup there would be lost
 * together with what it copies.
 */
export async function listDisks(sources: readonly string[] = []): Promise<DiskInfo[]> {
  const own = await sourceFilesystems(sources);
  const out = await runCommand('lsblk', ['-J', '-b', '-o', 'NAME,PATH,TYPE,SIZE,MODEL,RM,HOTPLUG,MOUNTPOINTS']);
  const tree = (JSON.parse(out) as { blockdevices: LsblkDevice[] }).blockdevices;
  const disks: DiskInfo[] = [];
  const visit = async (device: LsblkDevice) => {
    if (!['disk', 'part', 'loop'].includes(device.type) || device.size === 0) return;
    const probed = await probe(device.path);
    if (device.type === 'loop' && IMAGE_TYPES.has(probed.TYPE)) return;
    const mountpoints = (device.mountpoints ?? []).filter((m): m is string => typeof m === 'string');
    const model = device.model?.trim();
    disks.push({
      path: device.path,
      name: probed.LABEL || model || device.name,
      sizeBytes: device.size,
      type: device.type,
      ...(probed.TYPE ? { fstype: probed.TYPE } : {}),
      ...(probed.UUID ? { uuid: probed.UUID } : {}),
      ...(probed.LABEL ? { label: probed.LABEL } : {}),
      ...(model ? { model } : {}),
      removable: device.rm === true || device.hotplug === true,
      mountpoints,
      ...classify(device, probed, mountpoints),
    });
    const disk = disks[disks.length - 1];
    if (disk.use === 'btrfs' && ((disk.uuid && own.uuids.has(disk.uuid)) || own.devices.has(disk.path))) {
      disk.use = 'source';
      disk.why = 'it holds the folders you back up, and a backup on the same disk is lost with them';
      disk.reason = 'source';
    }
    for (const child of device.children ?? []) await visit(child);
  };
  for (const device of tree) await visit(device);
  return disks;
}

/**
 * Makes a btrfs filesystem on an empty disk. The caller names the device and
 * its size as the user saw them, so a disk swapped in the meantime is not
 * the one formatted; anything on it (a filesystem, a partition table, a
 * mount) makes this refuse.
 */
export async function prepareDisk(request: PrepareDiskRequest): Promise<PrepareDiskResult> {
  const disk = (await listDisks()).find((d) => d.path === request.path);
  if (!disk) throw new RewindError('DestinationMissing', `The disk ${request.path} is not connected.`);
  if (disk.sizeBytes !== request.sizeBytes) {
    throw new RewindError('InvalidArgs', `${request.path} is not the disk that was shown (its size changed); choose the disk again.`, { advice: ADVICE.inDetail });
  }
  if (disk.use !== 'empty') {
    throw new RewindError('InvalidArgs', `${request.path} is not empty (${disk.why ?? disk.fstype ?? disk.use}); Rewind only prepares empty disks.`, { advice: 'Choose an empty disk.' });
  }
  const label = (request.label ?? 'Rewind backups').slice(0, 255);
  await runCommand('mkfs.btrfs', ['-q', '-L', label, request.path]);
  const uuid = (await probe(request.path)).UUID;
  if (!uuid) throw new RewindError('Internal', `mkfs.btrfs finished but ${request.path} shows no filesystem.`);
  return { uuid };
}
