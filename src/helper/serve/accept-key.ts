import { constants } from 'node:fs';
import { access, chown, lstat, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { authorizedKeysLine, checkHostName, installAuthorizedKey } from '../../core/serve-protocol';

/**
 * `rewind-helper accept-key`: lets a client's key, and only that key, run
 * `serve` for one host. The forced-command line (authorizedKeysLine) replaces
 * any earlier line for the same host; running it again with the same key
 * changes nothing. The file is written whole or not at all (a temporary file
 * renamed over it), mode 0600, keeping its owner; a missing folder is made
 * 0700.
 *
 * It is run by the account the client connects as: root (with sudo), or an
 * ordinary user in their own ~/.ssh/authorized_keys (the default file is the
 * running account's). The backup folder must exist and be writable by that
 * account, since `serve` runs as it; a folder made here could end up on the
 * wrong disk (one not mounted yet), so it is never created.
 *
 * With `readOnly` (`--read-only`) the key only reads one existing computer's
 * folder ROOT/HOST/: a fresh install's new key finding and restoring that
 * computer's backups. The folder must exist already (a name that is not a
 * folder there is refused, so no key is ever given a folder to make), and
 * the line sits beside that computer's own line rather than replacing it.
 */

/** ~/.ssh/authorized_keys of the account this runs as (from the user database, not $HOME). */
export function ownAuthorizedKeys(): string {
  return path.join(userInfo().homedir, '.ssh', 'authorized_keys');
}
export interface AcceptKeyRequest {
  root: string;
  host: string;
  authorizedKeys: string;
  helperPath: string;
  publicKey: string;
  readOnly?: boolean;
}

export interface AcceptKeyResult {
  line: string;
  changed: boolean;
}

export async function acceptKey(request: AcceptKeyRequest): Promise<AcceptKeyResult> {
  let line: string;
  try {
    line = authorizedKeysLine({ helperPath: request.helperPath, root: request.root, host: request.host, publicKey: request.publicKey, readOnly: request.readOnly });
  } catch (error) {
    throw new RewindError('InvalidArgs', (error as Error).message);
  }
  const rootInfo = await lstat(request.root).catch(() => undefined);
  const me = userInfo().username;
  const ownerHint = process.geteuid?.() === 0 ? '' : ` && sudo chown ${me}: ${request.root}`;
  if (!rootInfo?.isDirectory()) {
    throw new RewindError('InvalidArgs', `The backup folder ${request.root} does not exist; create it first (sudo mkdir -p ${request.root}${ownerHint}), then run this again.`);
  }
  if (request.readOnly) await checkComputerFolder(request.root, request.host, me);
  else await checkWritable(request.root, me);
  const file = path.resolve(request.authorizedKeys);
  const dir = path.dirname(file);
  if (!(await lstat(dir).catch(() => undefined))) await mkdir(dir, { recursive: true, mode: 0o700 });
  const existingInfo = await lstat(file).catch(() => undefined);
  if (existingInfo?.isSymbolicLink()) throw new RewindError('InvalidArgs', `${file} is a symbolic link; refusing to write through it.`);
  const existing = existingInfo ? await readFile(file, 'utf8') : '';
  const installed = installAuthorizedKey(existing, line, request.host);
  if (!installed.ok) throw new RewindError('InvalidArgs', `The key was not added to ${file}: ${installed.problem}.`);
  if (!installed.changed) return { line, changed: false };

  const owner = existingInfo ?? (await lstat(dir));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(installed.text);
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chown(temp, owner.uid, owner.gid);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return { line, changed: true };
}

async function checkWritable(root: string, me: string): Promise<void> {
  const writable = await access(root, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    throw new RewindError('InvalidArgs', `The backup folder ${root} cannot be written by ${me}, the account backups arrive as; give it to ${me} first (sudo chown ${me}: ${root}), then run this again.`);
  }
}

/** For a read-only key: ROOT/HOST must be an existing computer's folder (not a link) that this account can read. */
async function checkComputerFolder(root: string, host: string, me: string): Promise<void> {
  const folder = path.join(root, host);
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    const names = (await readdir(root, { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isDirectory() && checkHostName(entry.name) === undefined)
      .map((entry) => entry.name)
      .sort();
    const known = names.length === 0 ? 'there is none yet' : `those there: ${names.join(', ')}`;
    throw new RewindError('InvalidArgs', `${host} is not a computer whose backups are in ${root} (${known}); give the name of the folder that holds its backups.`);
  }
  const readable = await access(folder, constants.R_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!readable) throw new RewindError('InvalidArgs', `The folder ${folder} cannot be read by ${me}; run this as the account that keeps those backups.`);
}
