import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { showSubvolume } from './btrfs';

/**
 * The subvolumes the helper made by setting a folder apart
 * (./set-apart.ts), listed in its own state folder (`<state>/kept-apart`,
 * root's, mode 0600; never on a destination, never from a caller): one
 * line each, `UUID PATH`. Only these are ever joined again into a plain
 * folder. A subvolume that came with the system (a container store, a
 * virtual machine pool, a systemd-homed home) looks the same on the disk;
 * turning it into a folder would change the system's layout behind its
 * back. A line counts only while the subvolume at PATH still has that UUID:
 * one deleted and made again by someone else is not Rewind's.
 */
const FILE = 'kept-apart';

/** The UUID must look like one: the line's two fields are split at the first space. */
const UUID = new RegExp('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');

export interface KeptApart {
  uuid: string;
  path: string;
}

export async function keptApartList(stateDir: string): Promise<KeptApart[]> {
  const text = await readFile(path.join(stateDir, FILE), 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    const at = line.indexOf(' ');
    const uuid = line.slice(0, at);
    const folder = line.slice(at + 1);
    return at > 0 && UUID.test(uuid) && folder.startsWith('/') ? [{ uuid, path: folder }] : [];
  });
}

/** Notes that the subvolume `uuid` is (or is about to be) `folder`, set apart by Rewind; `uuid` undefined forgets `folder`. */
export async function noteKeptApart(stateDir: string, folder: string, uuid: string | undefined): Promise<void> {
  const others = (await keptApartList(stateDir)).filter((k) => k.path !== folder);
  const lines = [...others, ...(uuid ? [{ uuid, path: folder }] : [])].map((k) => `${k.uuid} ${k.path}\n`);
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(path.join(stateDir, FILE), lines.join(''), 0o600);
}

/** The UUID of the subvolume whose root is `folder`, or undefined when it is none. */
export async function uuidAt(folder: string): Promise<string | undefined> {
  return (await showSubvolume(folder).catch(() => undefined))?.uuid;
}

/** Whether `folder` is now a subvolume Rewind set apart: listed, by this path and by its UUID. */
export async function isKeptApartByRewind(list: readonly KeptApart[], folder: string): Promise<boolean> {
  const listed = list.filter((k) => k.path === folder);
  if (listed.length === 0) return false;
  const uuid = await uuidAt(folder);
  return uuid !== undefined && listed.some((k) => k.uuid === uuid);
}
