import path from 'node:path';
import type { FolderOwner } from '../../core/subvolume-size';
import { runCommand } from './run-command';

/**
 * Whose home a folder is, so the app can offer it by its user's name: a
 * folder named after a user whose home it is (`/home/NAME`), or
 * systemd-homed's subvolume `/home/NAME.homedir` (mounted at the user's
 * home, /home/NAME, only while they are logged in). The user database is
 * asked through NSS (`getent`), which knows systemd-homed's users too.
 */
const HOMED_SUFFIX = '.homedir';
const TIME_LIMIT_MS = 3000;
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

async function passwdEntry(name: string): Promise<{ home: string; gecos: string } | undefined> {
  try {
    const fields = (await runCommand('getent', ['passwd', '--', name], { timeoutMs: TIME_LIMIT_MS })).split('\n')[0].split(':');
    return fields.length >= 7 && fields[0] === name ? { gecos: fields[4], home: fields[5] } : undefined;
  } catch {
    // Not a user (exit 2), or no answer in time.
    return undefined;
  }
}

export async function ownerOf(folder: string): Promise<FolderOwner | undefined> {
  const base = path.basename(folder);
  const name = base.endsWith(HOMED_SUFFIX) ? base.slice(0, -HOMED_SUFFIX.length) : base;
  if (!USER_NAME.test(name)) return undefined;
  const entry = await passwdEntry(name);
  if (!entry) return undefined;
  // The folder is their home, or homed's store of it beside their home.
  if (entry.home !== folder && entry.home !== path.join(path.dirname(folder), name)) return undefined;
  const realName = entry.gecos.split(',')[0].trim();
  return { user: name, ...(realName ? { realName } : {}) };
}

/** The home folder of a user by uid, from the user database; undefined when it has none. */
export async function homeOfUid(uid: number): Promise<string | undefined> {
  try {
    const fields = (await runCommand('getent', ['passwd', String(uid)], { timeoutMs: TIME_LIMIT_MS })).split('\n')[0].split(':');
    return fields.length >= 7 && fields[5].startsWith('/') ? fields[5].replace(/\/+$/, '') || '/' : undefined;
  } catch {
    return undefined;
  }
}
