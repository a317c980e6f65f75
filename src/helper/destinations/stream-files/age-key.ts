import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../../core/errors';
import { runCommand } from '../../system/run-command';

/**
 * Encryption at rest with age (https://age-encryption.org). The helper keeps
 * one identity per destination in <state>/keys/<destination>.agekey, mode
 * 0600 in a 0700 folder; the identity line is also the recovery key the user
 * is shown once, to restore on another machine. Encrypting needs only the
 * recipient (the public half).
 */
export function keyFile(stateDir: string, destinationId: string): string {
  return path.join(stateDir, 'keys', `${destinationId}.agekey`);
}

/** Makes a new identity; refuses to replace one, since that would orphan every encrypted backup. */
export async function createKey(stateDir: string, destinationId: string): Promise<{ file: string; identity: string; recipient: string }> {
  const file = keyFile(stateDir, destinationId);
  if (await stat(file).catch(() => undefined)) {
    throw new RewindError('InvalidArgs', `Destination ${destinationId} already has a key (${file}); replacing it would make its backups unreadable.`, { advice: 'Keep the key it has; for a new key, add the disk again as a new destination.' });
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await runCommand('age-keygen', ['-o', file]);
  return { file, identity: await identityOf(file), recipient: await recipientOf(file) };
}

/**
 * Keeps a recovery key as this machine's key for a destination (after a
 * reinstall, "Keep backing up to this disk"): the backups that follow are
 * encrypted for the same key and go on from the chain that is there. The
 * same key again is no change; another key is refused, as in createKey.
 */
export async function adoptKey(stateDir: string, destinationId: string, identity: string): Promise<string> {
  const file = keyFile(stateDir, destinationId);
  if (await stat(file).catch(() => undefined)) {
    if ((await identityOf(file).catch(() => undefined)) === identity) return file;
    throw new RewindError('InvalidArgs', `Destination ${destinationId} already has another key (${file}); replacing it would make its backups unreadable.`, { advice: 'Keep the key it has.' });
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written whole under another name first: a key file is never seen half written.
  const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await writeFile(partial, `${identity}\n`, { mode: 0o600, flag: 'wx' });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}

/** What fixes a key file that is gone or garbled: the copy the user was asked to keep. */
const RESTORE_KEY_ADVICE =
  'Write the recovery key you kept when encryption was switched on (the line starting with AGE-SECRET-KEY-) into that file, alone on a line, ' +
  'readable only by root; or give it to the restore with --key FILE. Without it the encrypted backups cannot be opened.';

/** The AGE-SECRET-KEY line of an identity file. */
export async function identityOf(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new RewindError('WrongKey', `The key file ${file} cannot be read.`, { advice: RESTORE_KEY_ADVICE });
  });
  const line = text.split('\n').find((l) => /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/.test(l.trim()));
  if (!line) throw new RewindError('WrongKey', `${file} holds no age key (a line starting with AGE-SECRET-KEY-); it is damaged or was changed.`, { advice: RESTORE_KEY_ADVICE });
  return line.trim();
}

/** The public recipient ("age1…") of an identity file. */
export async function recipientOf(file: string): Promise<string> {
  await identityOf(file);
  return (await runCommand('age-keygen', ['-y', file])).trim();
}

/** The recipient to encrypt a destination's streams for; fails clearly when no key was made. */
export async function recipientFor(stateDir: string, destinationId: string): Promise<string> {
  const file = keyFile(stateDir, destinationId);
  if (!(await stat(file).catch(() => undefined))) {
    throw new RewindError(
      'WrongKey',
      `Destination ${destinationId} is set to encrypt, but it has no key yet; create one with "rewind-helper new-key --destination ${destinationId}" and keep the recovery key it shows.`,
    );
  }
  return recipientOf(file);
}
