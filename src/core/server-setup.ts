/**
 * What a person types once on a backup server (docs/backup-server.md): the
 * package to install, the backup folder to make, and the command that lets
 * this computer's key in. Each is one line an administrator (an account that
 * may use sudo) runs there, for the account backups arrive as: root, whose
 * key line goes into /root/.ssh/authorized_keys, or an ordinary account,
 * which owns the folder and whose own ~/.ssh/authorized_keys gets the line.
 *
 * Every value in them was checked before (a user name, a shell-safe absolute
 * folder, a host name, a public key line): nothing means anything to a shell.
 */

/** The package that brings `rewind-helper serve` (build-aux/rewind.spec), without the desktop app. */
export const SERVER_PACKAGE = 'rewind-helper';

export const INSTALL_COMMAND = `sudo dnf install ${SERVER_PACKAGE}`;

export function isRootAccount(user: string): boolean {
  return user === 'root';
}

/** Makes the backup folder, readable by its owner only; an ordinary account's is given to it. */
export function folderCommand(root: string, user: string): string {
  return isRootAccount(user) ? `sudo mkdir -p -m 0700 ${root}` : `sudo mkdir -p -m 0700 ${root} && sudo chown ${user}: ${root}`;
}

/** Runs accept-key as the account itself, so it writes that account's own authorized_keys. */
export function acceptKeyCommand(options: { publicKey: string; helperPath: string; root: string; host: string; user: string }): string {
  const sudo = isRootAccount(options.user) ? 'sudo' : `sudo -u ${options.user}`;
  return `echo '${options.publicKey}' | ${sudo} ${options.helperPath} accept-key --root ${options.root} --host ${options.host}`;
}

/** The file the key line goes into, as a person finds it on the server. */
export function authorizedKeysFileOf(user: string): string {
  return isRootAccount(user) ? '/root/.ssh/authorized_keys' : `~${user}/.ssh/authorized_keys`;
}

/**
 * Lets a new computer's key read one lost computer's backups on the server
 * (accept-key --read-only): `root` and `computer` are what the administrator
 * knows there, shown as ROOT and COMPUTER placeholders when this computer
 * cannot know them.
 */
export function readOnlyAcceptKeyCommand(options: { publicKey: string; helperPath: string; user: string; root?: string; computer?: string }): string {
  const sudo = isRootAccount(options.user) ? 'sudo' : `sudo -u ${options.user}`;
  return `echo '${options.publicKey}' | ${sudo} ${options.helperPath} accept-key --root ${options.root ?? 'ROOT'} --host ${options.computer ?? 'COMPUTER'} --read-only`;
}
