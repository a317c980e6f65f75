import { open, readdir, readFile, realpath } from 'node:fs/promises';
import { within } from './within';

/**
 * Finds the block device that holds a btrfs filesystem by reading the
 * superblocks ourselves instead of running `blkid -U` and then `blkid -p`
 * (two processes per run: blkid probes every device for every
 * filesystem type, and its cache must be checked against the device anyway).
 * A btrfs superblock is at 64 KiB; its magic "_BHRfS_M" at byte 64 and the
 * filesystem UUID (fsid) at byte 32 (Linux, fs/btrfs/accessors + ctree.h).
 * Reading the device itself also works without udev and never trusts a stale
 * cache entry for a disk that was unplugged.
 */

const SUPERBLOCK_OFFSET = 64 * 1024;
const FSID_OFFSET = 32;
const MAGIC_OFFSET = 64;
const MAGIC = Buffer.from('_BHRfS_M', 'latin1');

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The btrfs filesystem UUID on `device`, or undefined when it holds no btrfs (or cannot be read). */
export async function btrfsUuidOfDevice(device: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(device, 'r');
    const block = Buffer.alloc(MAGIC_OFFSET + MAGIC.length);
    const { bytesRead } = await handle.read(block, 0, block.length, SUPERBLOCK_OFFSET);
    if (bytesRead < block.length || !block.subarray(MAGIC_OFFSET).equals(MAGIC)) return undefined;
    return formatUuid(block.subarray(FSID_OFFSET, FSID_OFFSET + 16));
  } catch {
    // No medium, no permission, an I/O error: not a disk we can use.
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Kernel names of the block devices that have a size (a loop device without
 * a file has none) and nothing stacked on them: a member of a RAID mirror or
 * the disk under a device-mapper target can show the same superblock as the
 * device made of it, and only that one may be mounted.
 */
async function blockDevices(): Promise<string[]> {
  const names = await readdir('/sys/class/block').catch(() => [] as string[]);
  const usable = await Promise.all(
    names.map(async (name) => {
      const sectors = Number((await readFile(`/sys/class/block/${name}/size`, 'utf8').catch(() => '0')).trim());
      if (sectors * 512 <= SUPERBLOCK_OFFSET + 4096) return undefined;
      const holders = await readdir(`/sys/class/block/${name}/holders`).catch(() => [] as string[]);
      return holders.length === 0 ? name : undefined;
    }),
  );
  return usable.filter((name): name is string => name !== undefined);
}

/**
 * A read from a dead disk (a USB disk pulled mid-I/O, a loop device whose
 * file is on a vanished network share) can block for minutes; such a disk
 * is not the backup disk we look for, and must not stall the run.
 */
const PROBE_TIMEOUT_MS = 3000;

/**
 * The device holding the btrfs filesystem `uuid`, or undefined when no
 * attached disk holds it. A mounted filesystem is found through sysfs; any
 * other by its superblock. Of a filesystem on several devices, the first
 * found: mounting any one of them mounts it.
 */
export async function findBtrfsDevice(uuid: string): Promise<string | undefined> {
  const wanted = uuid.toLowerCase();
  const holds = async (device: string) => (await within(btrfsUuidOfDevice(device), PROBE_TIMEOUT_MS)) === wanted;
  // Where udev or the kernel already knows the disk, only that disk is read.
  const known = await realpath(`/dev/disk/by-uuid/${wanted}`).catch(() => undefined);
  if (known && (await holds(known))) return known;
  for (const name of await readdir(`/sys/fs/btrfs/${wanted}/devices`).catch(() => [] as string[])) {
    if (await holds(`/dev/${name}`)) return `/dev/${name}`;
  }
  const found = await Promise.all((await blockDevices()).map(async (name) => ((await holds(`/dev/${name}`)) ? `/dev/${name}` : undefined)));
  return found.find((device) => device !== undefined);
}
