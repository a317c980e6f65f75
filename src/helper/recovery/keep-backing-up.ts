import { configForFound, type FoundBackups, type FoundServer } from '../../core/discovery';
import { DEFAULT_HELPER_PATH } from '../../core/serve-protocol';
import { acceptKeyCommand, authorizedKeysFileOf } from '../../core/server-setup';
import type { Config } from '../../core/config';
import { RewindError } from '../../core/errors';
import { refuseKeepingOldSnapshots } from '../../core/old-snapshots';
import { saveConfig } from '../config/config-file';
import { adoptKey, identityOf, recipientOf } from '../destinations/stream-files/age-key';
import { FilesDestination } from '../destinations/stream-files/files-destination';
import { openDestination } from '../destinations/open-destination';
import { MountSet } from '../system/mount-set';
import { chosenFolder, lookUpFound, withFoundKey, type GivenKey } from './found-point';

/**
 * "Keep backing up to this disk" (D-Bus KeepBackingUp, `rewind-helper
 * keep-backing-up`): a found entry becomes this computer's destination. The
 * configuration is the one made for it (src/core/discovery.ts), so backups go
 * on in the same folder under the old computer's name; for encrypted stream
 * files the recovery key becomes this computer's key for it (../destinations/
 * stream-files/age-key.ts), after it is shown to be the key of the backups
 * there: the next backup is encrypted for the same key and goes on from the
 * chain that is there.
 */
interface Paths {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

export interface KeepRequest extends GivenKey {
  /** A found id. */
  from: string;
  /** Which backed-up folder ("/home" by default), as RestoreHome takes it. */
  source?: string;
}

/** The recovery key's identity line, once it is shown to open the backups of `found`'s folder `dirName`. */
async function checkedIdentity(paths: Paths, found: FoundBackups, dirName: string, given: GivenKey): Promise<string> {
  const mounts = MountSet.forReader(paths.runtimeDir, 'keep-backing-up');
  try {
    const opened = await openDestination(configForFound(found).destinations[0], found.host, mounts, paths.stateDir);
    try {
      const manifest = opened instanceof FilesDestination ? await opened.manifest(dirName) : undefined;
      return await withFoundKey(paths.runtimeDir, given, async (file) => {
        if (file === undefined) throw new RewindError('WrongKey', 'No key was given.');
        const identity = await identityOf(file);
        if (manifest?.recipient && manifest.recipient !== (await recipientOf(file))) throw new RewindError('WrongKey', 'The key is not the one of these backups.');
        return identity;
      });
    } finally {
      await opened.close();
    }
  } finally {
    await mounts.releaseAll();
  }
}

/**
 * Backups found on a server are read through a key the server accepted
 * read-only, which can never back up: saving a configuration for them would
 * only make every backup fail. So nothing is saved, and the words say what
 * the server's administrator runs so that this computer backs up there in
 * the lost computer's place (docs/backup-server.md): the read-only line
 * taken out (the same key may not have two lines), the key accepted as
 * setup's command accepts one; then the server is added in setup as any.
 */
async function refuseOnServer(paths: Paths, found: FoundBackups, server: FoundServer): Promise<never> {
  const { ensureIdentity, sshPaths } = await import('../destinations/ssh/identity');
  const publicKey = await ensureIdentity(sshPaths(paths.stateDir), `rewind@${found.host}`);
  const command = acceptKeyCommand({ publicKey, helperPath: DEFAULT_HELPER_PATH, root: 'ROOT', host: found.host, user: server.user });
  throw new RewindError(
    'KeyNotAccepted',
    `These backups are on the server ${server.host}, which lets this computer only read them, so Rewind cannot keep backing up there yet. Nothing was saved.`,
    {
      advice:
        `An administrator of the server can let this computer back up there in place of ${found.host}: remove the line with --read-only for this computer's key from ${authorizedKeysFileOf(server.user)}, ` +
        `then run: ${command} (ROOT: the server's backup folder). Then set up backups to the server ${server.host} in Rewind.`,
    },
  );
}

/** Saves the configuration that goes on backing up to `request.from` (and, when encrypted, its key); answers it. */
export async function keepBackingUp(paths: Paths, request: KeepRequest): Promise<Config> {
  const found = await lookUpFound(paths, request.from);
  refuseKeepingOldSnapshots(found);
  if (found.disk.server) return refuseOnServer(paths, found, found.disk.server);
  const { folder, sourcePath } = chosenFolder(found, request.source);
  if (found.encrypted) await adoptKey(paths.stateDir, found.id, await checkedIdentity(paths, found, folder.dirName, request));
  return saveConfig(paths.configPath, configForFound(found, [sourcePath]));
}
