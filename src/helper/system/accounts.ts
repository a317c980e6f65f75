import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ACCOUNT_NAME, type AccountIds } from '../../core/owner-mapping';

/**
 * This computer's accounts of some names, with their uid and primary gid,
 * for giving a restored home's files to them (../../core/owner-mapping.ts).
 *
 * Only an account whose home is in `homes` (the folder the home comes back
 * to, /home) counts: /home/alice stands for the alice who lives there, and a
 * system account that happens to share a folder's name (a "backup" folder,
 * the account "backup") does not.
 *
 * Where the installed system is: on the running one, the user database is
 * asked through NSS (`getent`), which knows systemd-homed's and a
 * directory's users too. On a live system that mounted the installation
 * somewhere (REWIND_TARGET_ROOT), the live system's accounts are not the
 * installation's: its /etc/passwd is read instead.
 */
/** For one `getent` of a batch of names. */
const TIME_LIMIT_MS = 10_000;
const BATCH = 200;
/** More than any /etc/passwd of a desktop; a bigger one is not read. */
const PASSWD_LIMIT = 4 * 1024 * 1024;

interface Entry extends AccountIds {
  home: string;
}

function parseEntry(line: string): [string, Entry] | undefined {
  const fields = line.split(':');
  if (fields.length < 7) return undefined;
  const [name, , uid, gid, , home] = fields;
  if (!ACCOUNT_NAME.test(name) || !/^\d{1,10}$/.test(uid) || !/^\d{1,10}$/.test(gid)) return undefined;
  const ids = { uid: Number(uid), gid: Number(gid) };
  // 4294967295 is (uid_t)-1, "no change" to chown: never anybody's.
  if (ids.uid >= 0xffffffff || ids.gid >= 0xffffffff) return undefined;
  return [name, { ...ids, home }];
}

/**
 * The entries of `names` from NSS, many names per `getent` (one per name
 * would be slow with a directory service): it prints those it knows and
 * exits 2 when some are not known, which is no failure here.
 */
async function getentEntries(names: readonly string[]): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  for (let i = 0; i < names.length; i += BATCH) {
    const batch = names.slice(i, i + BATCH);
    const stdout = await new Promise<string>((resolve) => {
      execFile('getent', ['passwd', '--', ...batch], { encoding: 'utf8', timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: PASSWD_LIMIT }, (error, out) => {
        // Exit 2: some names are nobody's. Anything else (no answer in time): none of this batch is known.
        resolve(!error || error.code === 2 ? out : '');
      });
    });
    for (const line of stdout.split('\n')) {
      const parsed = parseEntry(line);
      if (parsed && batch.includes(parsed[0]) && !entries.has(parsed[0])) entries.set(parsed[0], parsed[1]);
    }
  }
  return entries;
}

/** The installation's /etc/passwd under `root`, opened without following a link at its last name. */
async function passwdFileEntries(root: string): Promise<Map<string, Entry>> {
  const handle = await open(path.join(root, 'etc/passwd'), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > PASSWD_LIMIT) return new Map();
    const text = (await handle.readFile()).subarray(0, PASSWD_LIMIT).toString('utf8');
    const entries = new Map<string, Entry>();
    for (const line of text.split('\n')) {
      const parsed = parseEntry(line);
      // The first entry of a name is the one the system uses.
      if (parsed && !entries.has(parsed[0])) entries.set(parsed[0], parsed[1]);
    }
    return entries;
  } finally {
    await handle.close();
  }
}

async function resolved(folder: string): Promise<string> {
  return realpath(folder).catch(() => path.resolve(folder));
}

/**
 * The accounts of `names` whose home is `homes`/NAME. `targetRoot`: where
 * the installed system is ("/" for the running one).
 */
export async function accountsLivingIn(homes: string, names: readonly string[], targetRoot = process.env.REWIND_TARGET_ROOT || '/'): Promise<Map<string, AccountIds>> {
  const wanted = names.filter((n) => ACCOUNT_NAME.test(n));
  const onTarget = path.resolve(targetRoot) !== '/';
  const entries = onTarget ? await passwdFileEntries(targetRoot).catch(() => new Map<string, Entry>()) : await getentEntries(wanted);
  const here = await resolved(homes);
  const accounts = new Map<string, AccountIds>();
  for (const name of wanted) {
    const entry = entries.get(name);
    if (!entry?.home.startsWith('/')) continue;
    // A home in the installation's own terms (/home/alice) is under the target root on a live system.
    const home = onTarget ? path.join(targetRoot, entry.home) : entry.home;
    if (path.basename(home) !== name || (await resolved(path.dirname(home))) !== here) continue;
    accounts.set(name, { uid: entry.uid, gid: entry.gid });
  }
  return accounts;
}
