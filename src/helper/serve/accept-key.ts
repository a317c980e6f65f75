import { constants } from 'node:fs';
import { access, chown, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { authorizedKeysLine, installAuthorizedKey } from '../../core/serve-protocol';

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
}

export interface AcceptKeyResult {
  line: string;
  changed: boolean;
}

export async function acceptKey(request: AcceptKeyRequest): Promise<AcceptKeyResult> {
  let line: string;
  try {
    line = authorizedKeysLine({ helperPath: request.helperPath, root: request.root, host: request.host, publicKey: request.publicKey });
  } catch (error) {
    throw new RewindError('InvalidArgs', (error as Error).message);
  }
  const rootInfo = await lstat(request.root).catch(() => undefined);
  const me = userInfo().username;
  const ownerHint = process.geteuid?.() === 0 ? '' : ` && sudo chown ${me}: ${request.root}`;
  if (!rootInfo?.isDirectory()) {
    throw new RewindError('InvalidArgs', `The backup folder ${request.root} does not exist; create it first (sudo mkdir -p ${request.root}${ownerHint}), then run this again.`);
  }
  const writable = await access(request.root, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    throw new RewindError('InvalidArgs', `The backup folder ${request.root} cannot be written by ${me}, the account backups arrive as; give it to ${me} first (sudo chown ${me}: ${request.root}), then run this again.`);
  }
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
