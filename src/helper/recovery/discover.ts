import { mkdir, rmdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { shapeDiscovery, type Discovery, type FoundDisk, type RawFind } from '../../core/discovery';
import { SNAPSHOT_DIR } from '../../core/ids';
import { isCompleteBackup } from '../../core/parent';
import { parseSnapshotName } from '../../core/snapshot-name';
import { MANIFEST_FILE, parseManifest } from '../../core/stream-manifest';
import { listSubvolumes } from '../system/btrfs';
import { listDisks, type DiskInfo } from '../system/disks';
import { readMountTable } from '../system/mountinfo';
import { randomHex } from '../system/random-id';
import { runCommand } from '../system/run-command';
import { ConfinedFolder } from '../destinations/stream-files/confined-folder';
import { FolderStore } from '../destinations/stream-files/folder-store';
import { oldSnapshotFinds, ownMountedDevices } from './old-snapshots';

/**
 * Every Rewind backup on the connected disks, with no configuration (after
 * a reinstall): D-Bus DiscoverBackups and `rewind-helper discover`. Each disk
 * that ListDisks offers (btrfs, or a filesystem for stream files; never the
 * disks this system runs from) is mounted read-only in a folder of its own
 * and only read:
 * - btrfs: the layout `<folder>/<computer>/<subvolume>/<time>` of complete
 *   received backups (read-only, with a Received UUID), for folders up to
 *   two levels below the top;
 * - btrfs, too: the snapshots Rewind kept at `.rewind/<subvolume>/<time>`
 *   when the disk was a computer's own system disk (./old-snapshots), unless
 *   this system's /etc/fstab mounts it (then they are this computer's);
 * - other filesystems: `<folder>/<computer>/<subvolume>/manifest.json`, read
 *   through the stream files' confined folder (no link followed, bounded
 *   reads) and checked like every manifest.
 * What it found is shaped in src/core/discovery.ts.
 */
export interface DiscoverOptions {
  runtimeDir: string;
  /** Only these disks (filesystem UUIDs); every disk when absent. */
  only?: readonly string[];
}

/** How many entries of one folder are looked at: a disk full of folders is not walked whole. */
const MAX_ENTRIES = 200;
/** Folders below the top that may hold the computers' folders: the top, setup's "rewind", and one level of any. */
const MAX_DEPTH = 2;

function diskOf(disk: DiskInfo, uuid: string): FoundDisk {
  return { uuid, name: disk.label || disk.model || 'Backup disk', sizeBytes: disk.sizeBytes, removable: disk.removable };
}

async function usedBytes(folder: string): Promise<number | undefined> {
  const s = await statfs(folder).catch(() => undefined);
  return s ? (s.blocks - s.bfree) * s.bsize : undefined;
}

/** Complete received backups, grouped by `<folder>/<computer>/<subvolume>`. */
export function btrfsFinds(disk: FoundDisk, subvolumes: ReadonlyArray<{ path: string; readOnly: boolean; receivedUuid?: string }>): RawFind[] {
  const groups = new Map<string, RawFind>();
  for (const s of subvolumes) {
    if (!isCompleteBackup(s as Parameters<typeof isCompleteBackup>[0])) continue;
    const parts = s.path.split('/');
    if (parts.length < 3 || parts.length > 3 + MAX_DEPTH || parts[0] === SNAPSHOT_DIR) continue;
    const [name, dirName, host] = parts.slice(-3).reverse();
    if (!parseSnapshotName(name)) continue;
    const folder = parts.slice(0, -3).join('/');
    const key = JSON.stringify([folder, host, dirName]);
    const find = groups.get(key) ?? { disk, kind: 'btrfs', path: folder, host, dirName, names: [] };
    find.names.push(name);
    groups.set(key, find);
  }
  return [...groups.values()];
}

async function findOnBtrfs(mountPoint: string, disk: FoundDisk, ownSystem: boolean): Promise<RawFind[]> {
  const used = await usedBytes(mountPoint);
  const subvolumes = await listSubvolumes(mountPoint);
  const backups = btrfsFinds(disk, subvolumes).map((f) => ({ ...f, ...(used !== undefined ? { diskUsedBytes: used } : {}) }));
  // The snapshots an old system disk kept are restore points too; the space its whole system uses says nothing of them.
  return ownSystem ? backups : [...backups, ...(await oldSnapshotFinds(mountPoint, disk, subvolumes))];
}

/** The folders in `<mountPoint>/<below>`, no link followed on the way, or none when it cannot be read. */
async function foldersIn(mountPoint: string, below: readonly string[]): Promise<string[]> {
  const opened: ConfinedFolder[] = [];
  try {
    let folder: ConfinedFolder | undefined = await ConfinedFolder.openTrusted(mountPoint);
    opened.push(folder);
    for (const name of below) {
      folder = await folder.folder(name);
      if (!folder) return [];
      opened.push(folder);
    }
    return (await folder.entries()).filter((e) => e.folder).map((e) => e.name).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  } finally {
    for (const folder of opened.reverse()) await folder.close();
  }
}

/**
 * One folder of stream files, from its manifest's text (read by the caller,
 * bounded, from a disk or a server: untrusted, checked as any manifest);
 * undefined, with the problem said, when the manifest is damaged.
 */
export function manifestFind(disk: FoundDisk, path: string, host: string, dirName: string, text: string, problems: string[]): RawFind | undefined {
  try {
    const manifest = parseManifest(text);
    return {
      disk,
      kind: 'files',
      path,
      host,
      dirName,
      names: manifest.streams.map((s) => s.name),
      bytes: manifest.streams.reduce((sum, s) => sum + s.parts.reduce((a, p) => a + p.size, 0), 0),
      encrypted: manifest.streams.some((s) => s.encrypted),
    };
  } catch (error) {
    problems.push(`The list of backups of ${host} (${dirName}) on ${disk.name} is damaged: ${(error as Error).message}.`);
    return undefined;
  }
}

async function findStreamFiles(mountPoint: string, disk: FoundDisk, problems: string[]): Promise<RawFind[]> {
  const finds: RawFind[] = [];
  const look = async (below: string[], depth: number) => {
    for (const host of await foldersIn(mountPoint, below)) {
      const store = new FolderStore(mountPoint, below, host);
      for (const dirName of await store.folders().catch(() => [])) {
        const text = await store.readText(dirName, MANIFEST_FILE).catch(() => undefined);
        if (text === undefined) continue;
        const find = manifestFind(disk, below.join('/'), host, dirName, text, problems);
        if (find) finds.push(find);
      }
      if (depth < MAX_DEPTH && !finds.some((f) => f.path === below.join('/'))) await look([...below, host], depth + 1);
    }
  };
  await look([], 0);
  return finds;
}

async function mountReadOnly(device: string, fstype: string, where: string): Promise<void> {
  await mkdir(where, { recursive: true, mode: 0o700 });
  const options = fstype === 'btrfs' ? 'ro,subvolid=5,noatime' : 'ro,noatime,nosuid,nodev,noexec';
  try {
    await runCommand('mount', ['-t', fstype, '-o', options, device, where]);
  } catch (error) {
    // A disk mounted read-write already (a stick the person opened, or the helper's own while the restore
    // browser keeps a point of it) cannot be mounted again read-only: its whole filesystem is looked at
    // where it is mounted, through a read-only bind. btrfs mounts again as it is.
    const whole = fstype === 'btrfs' ? undefined : (await readMountTable()).find((m) => m.source === device && m.root === '/');
    if (!whole) throw error;
    await runCommand('mount', ['--bind', '-o', 'ro,nosuid,nodev,noexec', whole.target, where]);
  }
}

/** Looks at every disk (or those `only` names) and answers what Rewind backups they hold. */
export async function discoverBackups(options: DiscoverOptions): Promise<Discovery> {
  const disks = (await listDisks([])).filter((d) => (d.use === 'btrfs' || d.use === 'files') && d.uuid && d.fstype && (!options.only || options.only.includes(d.uuid)));
  const base = path.join(options.runtimeDir, `discover-${process.pid}-${randomHex(3)}`);
  const finds: RawFind[] = [];
  const problems: string[] = [];
  const own = await ownMountedDevices();
  // One disk after another: a busy USB hub answers no faster to several mounts at once.
  for (const [index, disk] of disks.entries()) {
    const found = diskOf(disk, disk.uuid!);
    const where = path.join(base, String(index));
    try {
      await mountReadOnly(disk.path, disk.fstype!, where);
    } catch (error) {
      problems.push(`${found.name} could not be opened to look for backups (${(error as Error).message.split('\n')[0]}).`);
      await rmdir(where).catch(() => undefined);
      continue;
    }
    try {
      finds.push(...(disk.use === 'btrfs' ? await findOnBtrfs(where, found, own.has(disk.path)) : await findStreamFiles(where, found, problems)));
    } catch (error) {
      problems.push(`${found.name} could not be read (${(error as Error).message.split('\n')[0]}).`);
    } finally {
      await runCommand('umount', [where]).catch(() => runCommand('umount', ['-l', where]).catch(() => undefined));
      await rmdir(where).catch(() => undefined);
    }
  }
  await rmdir(base).catch(() => undefined);
  return { found: shapeDiscovery(finds), disksSearched: disks.length, problems };
}
