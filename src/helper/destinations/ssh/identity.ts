import { execa } from 'execa';
import { chmod, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../../core/errors';
import { authorizedKeysLine, DEFAULT_HELPER_PATH } from '../../../core/serve-protocol';
import { acceptKeyCommand, authorizedKeysFileOf, folderCommand, INSTALL_COMMAND } from '../../../core/server-setup';
import type { SshSetup } from '../../../core/ssh';
import { runCommand } from '../../system/run-command';

/**
 * The helper's own SSH identity and pinned host keys, in <state>/ssh/:
 * - id_ed25519, id_ed25519.pub: made on first use by ssh-keygen, without a
 *   passphrase (the helper runs unattended), 0600 in a 0700 folder;
 * - known_hosts: the host keys the user confirmed, one per host and port,
 *   written only by the helper (./known-hosts), never by ssh.
 */
export interface SshPaths {
  dir: string;
  key: string;
  knownHosts: string;
}

export function sshPaths(stateDir: string): SshPaths {
  const dir = path.join(stateDir, 'ssh');
  return { dir, key: path.join(dir, 'id_ed25519'), knownHosts: path.join(dir, 'known_hosts') };
}

/** Makes the folder 0700 root's, refusing a link in its place. */
export async function ensureSshDir(paths: SshPaths): Promise<void> {
  await mkdir(path.dirname(paths.dir), { recursive: true, mode: 0o755 });
  await mkdir(paths.dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(paths.dir);
  if (!info.isDirectory()) throw new RewindError('Internal', `${paths.dir} is not a folder (a link or a file is in its place).`);
  if ((info.mode & 0o777) !== 0o700) await chmod(paths.dir, 0o700);
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The public key line, making the key pair first if there is none. Two
 * callers at once each make a pair in a folder of their own and rename it in;
 * the last rename wins and both read the same key afterwards.
 */
export async function ensureIdentity(paths: SshPaths, comment: string): Promise<string> {
  await ensureSshDir(paths);
  if (!(await exists(paths.key))) {
    const temp = path.join(paths.dir, `.keygen-${process.pid}-${Date.now()}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      const key = path.join(temp, 'id_ed25519');
      await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', key]);
      await rename(`${key}.pub`, `${paths.key}.pub`);
      await rename(key, paths.key);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  if (!(await exists(`${paths.key}.pub`))) {
    const { stdout } = await execa('ssh-keygen', ['-y', '-f', paths.key], { stdin: 'ignore' });
    return stdout.trim();
  }
  await chmod(paths.key, 0o600);
  return (await readFile(`${paths.key}.pub`, 'utf8')).trim();
}

/**
 * What the user installs on the server so this machine may back up into
 * ROOT/<host>/ there, as `user` (../../../core/server-setup).
 */
export async function sshSetup(paths: SshPaths, host: string, root: string, user = 'root', helperPath = DEFAULT_HELPER_PATH): Promise<SshSetup> {
  const publicKey = await ensureIdentity(paths, `rewind@${host}`);
  const line = authorizedKeysLine({ helperPath, root, host, publicKey });
  // The key line is base64 and "rewind@<host>" (a checked host name): nothing in it means anything to a shell.
  return {
    host,
    publicKey,
    authorizedKeysLine: line,
    acceptKeyCommand: acceptKeyCommand({ publicKey, helperPath, root, host, user }),
    user,
    installCommand: INSTALL_COMMAND,
    folderCommand: folderCommand(root, user),
    authorizedKeysFile: authorizedKeysFileOf(user),
  };
}
