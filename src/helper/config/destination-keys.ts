import { stat } from 'node:fs/promises';
import { keepsStreamFiles, streamFilesSettings, type Config } from '../../core/config';
import type { NewKey } from '../../core/contract/responses';
import { createKey, identityOf, keyFile } from '../destinations/stream-files/age-key';

/**
 * The recovery keys SetConfig shows once, for each destination it adds that
 * encrypts its stream files (Add Backup Server's "Encrypt backups"). The key
 * is made before the configuration that needs it is written, so no run ever
 * meets an encrypted destination without its key. A key already kept under a
 * new destination's id (left by an earlier destination of that id) is the one
 * its backups will use, so it is the one shown.
 */
export async function keysForNewDestinations(stateDir: string, config: Config, previousIds: ReadonlySet<string>): Promise<NewKey[]> {
  const keys: NewKey[] = [];
  for (const d of config.destinations) {
    if (previousIds.has(d.id) || d.kind === 'btrfs' || !keepsStreamFiles(d) || !streamFilesSettings(d).encrypt) continue;
    const file = keyFile(stateDir, d.id);
    const recoveryKey = (await stat(file).catch(() => undefined)) ? await identityOf(file) : (await createKey(stateDir, d.id)).identity;
    keys.push({ destination: d.id, recoveryKey });
  }
  return keys;
}
