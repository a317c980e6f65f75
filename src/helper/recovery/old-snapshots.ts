import { readFile } from 'node:fs/promises';
import type { FoundDisk, RawFind } from '../../core/discovery';
import { HOST_NAME_MAX_BYTES, ROOT_SUBVOLUMES, fstabTargets, hostNameFrom, snapshotFinds } from '../../core/old-snapshots';
import { ConfinedFolder } from '../destinations/stream-files/confined-folder';
import { readMountTable } from '../system/mountinfo';

/**
 * Rewind's snapshots on an old system disk (../../core/old-snapshots.ts), as
 * discovery finds them on a btrfs disk it mounted read-only. The old
 * computer's name comes from its installation's /etc/hostname on that disk:
 * read without following a link on the way, at most a few bytes, and checked
 * as a host name; unknown ("") when there is none that passes.
 */

/**
 * The devices this system mounts as its own, where its /etc/fstab says
 * (beyond the folders the system runs from, which discovery never looks
 * at): their snapshots are this computer's, not an old one's. A disk
 * plugged in and opened (/run/media/…), or mounted by hand, is not one.
 */
export async function ownMountedDevices(): Promise<Set<string>> {
  const targets = new Set(fstabTargets(await readFile('/etc/fstab', 'utf8').catch(() => '')));
  return new Set((await readMountTable()).filter((m) => targets.has(m.target)).map((m) => m.source));
}

/** The name in `<top>/<root subvolume>/etc/hostname`, or "" when no installation there names itself. */
export async function oldHostName(top: string, subvolumes: ReadonlyArray<{ path: string }>): Promise<string> {
  const present = new Set(subvolumes.map((s) => s.path));
  for (const root of ROOT_SUBVOLUMES.filter((r) => r === '' || present.has(r))) {
    const opened: ConfinedFolder[] = [];
    try {
      let folder: ConfinedFolder | undefined = await ConfinedFolder.openTrusted(top);
      opened.push(folder);
      for (const name of [root, 'etc'].filter((n) => n !== '')) {
        folder = await folder.folder(name);
        if (!folder) break;
        opened.push(folder);
      }
      const name = folder ? hostNameFrom(await folder.readText('hostname', HOST_NAME_MAX_BYTES)) : '';
      if (name) return name;
    } catch {
      // A link, a file too large or not a file: this one names nothing.
    } finally {
      for (const f of opened.reverse()) await f.close();
    }
  }
  return '';
}

/** The snapshots Rewind kept on the disk mounted (top level, read-only) at `top`, filed under the old computer's name. */
export async function oldSnapshotFinds(top: string, disk: FoundDisk, subvolumes: ReadonlyArray<{ path: string; readOnly: boolean }>): Promise<RawFind[]> {
  if (snapshotFinds(disk, subvolumes, '').length === 0) return [];
  return snapshotFinds(disk, subvolumes, await oldHostName(top, subvolumes));
}
