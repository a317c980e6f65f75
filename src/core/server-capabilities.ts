import type { HelloResponse } from './serve-protocol';
import { spaceState } from './free-space';

/**
 * What a backup server can do, from its hello (docs/serve-protocol.md), and
 * the decisions that follow from it: which store a destination uses there
 * (the user never chooses one), and whether the server is fit to be added.
 *
 * A server from before these fields (an older Rewind) still serves runs: it
 * says `btrfs` (or nothing, older still: received backups only). It is only
 * refused where the answer matters before anything is stored: the connection
 * test of Add Backup Server, which then says the server is too old.
 */

/** statfs f_type of the filesystems a backup folder is likely on; any other is "other". */
const FILESYSTEM_MAGIC: Record<number, string> = {
  0x9123683e: 'btrfs',
  0x58465342: 'xfs',
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x6969: 'nfs',
  0xfe534d42: 'smb',
  0xff534d42: 'cifs',
  0x2fc12fc1: 'zfs',
  0x65735546: 'fuse',
  0x4d44: 'vfat',
  0x2011bab0: 'exfat',
  0x5346544e: 'ntfs',
  0xf2f52010: 'f2fs',
  0x794c7630: 'overlay',
};

export function filesystemName(magic: number): string {
  return FILESYSTEM_MAGIC[magic] ?? 'other';
}

export type ServerStore = 'btrfs' | 'files';

export interface ServerCapabilities {
  /** The Rewind version of the server's helper; undefined for a server older than the field. */
  version?: string;
  /** The filesystem of its backup folder ("btrfs", "xfs", "ext4", …). */
  filesystem?: string;
  /** Whether `btrfs receive` works there: btrfs, btrfs-progs installed, and the rights to receive. */
  canReceive: boolean;
  /** Whether SELinux is enabled there (its labels are then checked by its policy). */
  selinux?: boolean;
  freeBytes?: number;
  totalBytes?: number;
  /** Whether serve can write in the backup folder. */
  writable?: boolean;
  /** Whether serve leaves out the xattrs the server refuses (received backups never fail on a label). */
  filtersXattrs: boolean;
}

const finiteOrUndefined = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined);
const boolOrUndefined = (b: unknown): boolean | undefined => (typeof b === 'boolean' ? b : undefined);
const textOrUndefined = (s: unknown, max: number): string | undefined => (typeof s === 'string' && s.length > 0 && s.length <= max ? s : undefined);

/** A hello's claims, each checked for its type (a server's answer is untrusted input). */
export function serverCapabilities(hello: Partial<HelloResponse>): ServerCapabilities {
  const btrfs = boolOrUndefined(hello.btrfs);
  const canReceive = boolOrUndefined(hello.canReceive);
  return {
    version: textOrUndefined(hello.serverVersion, 40),
    filesystem: textOrUndefined(hello.filesystem, 40),
    // Older servers: btrfs (or, older still, nothing) meant receive was the only store.
    canReceive: canReceive ?? btrfs ?? true,
    selinux: boolOrUndefined(hello.selinux),
    freeBytes: finiteOrUndefined(hello.freeBytes),
    totalBytes: finiteOrUndefined(hello.totalBytes),
    writable: boolOrUndefined(hello.writable),
    filtersXattrs: hello.filtersXattrs === true,
  };
}

/**
 * The store a destination uses on this server: received backups where
 * `btrfs receive` works, stream files everywhere else. A configuration that
 * names a store keeps it (an administrator's choice, or an older setup).
 */
export function chooseServerStore(configured: ServerStore | undefined, capabilities: ServerCapabilities): ServerStore {
  if (configured) return configured;
  return capabilities.canReceive ? 'btrfs' : 'files';
}

/** Whether the server's helper knows enough to be added by the connection test (the fields above exist). */
export function isServerTooOld(capabilities: ServerCapabilities): boolean {
  return capabilities.version === undefined || capabilities.filesystem === undefined;
}

export type ServerProblem = 'too-old' | 'not-writable' | 'full';

/** What keeps a server that answered from being used, first found first; undefined when it is fit. */
export function serverProblem(capabilities: ServerCapabilities): ServerProblem | undefined {
  if (isServerTooOld(capabilities)) return 'too-old';
  if (capabilities.writable === false) return 'not-writable';
  if (spaceState(capabilities.freeBytes, capabilities.totalBytes) === 'full') return 'full';
  return undefined;
}
