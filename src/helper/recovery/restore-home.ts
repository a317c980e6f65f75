import type { RestoreHomeRequest, RestoreHomeResult } from '../../core/contract/recovery-requests';
import { ACCOUNT_NAME } from '../../core/owner-mapping';
import { restoreSubvolume } from '../restore/restore-subvolume';
import type { RestoreWatch } from '../restore/restore-watch';
import { chosenFolder, lookUpFound, targetFolder } from './found-point';

/** The folders a done page names at most. */
const MAX_NAMED = 20;

interface Paths {
  stateDir: string;
  runtimeDir: string;
}

/**
 * D-Bus RestoreHome: a found backup's folder (the home folders) back on this
 * computer, in place of the folder it was on the old one (/home), through
 * the whole-subvolume restore: received beside the current subvolume, then
 * swapped in by name, the current one kept under another name. It takes
 * effect at the next start; until then nothing in use changes, and a failure
 * before the swap leaves the current folder as it was, and so does a
 * cancel (`watch`), which deletes what was received. The files of each
 * person with an account here of their folder's name are theirs again
 * (../restore/owned-copy.ts), and the answer says whose.
 */
export async function restoreHome(paths: Paths, request: RestoreHomeRequest, watch?: RestoreWatch): Promise<RestoreHomeResult> {
  const found = await lookUpFound(paths, request.from);
  const { folder } = chosenFolder(found, request.source);
  const into = targetFolder(folder.folder);
  const result = await restoreSubvolume({
    runtimeDir: paths.runtimeDir,
    stateDir: paths.stateDir,
    into,
    destination: request.from,
    snapshot: request.snapshot,
    source: folder.folder,
    ...(request.recoveryKey !== undefined ? { recoveryKey: request.recoveryKey } : {}),
    replace: true,
    ...(watch ? { watch } : {}),
  });
  const owners = result.owners && {
    given: result.owners.given.map((g) => g.name),
    // Names from the backup, shown on a page: only those an account could have (lost+found, or anything else, is nobody's), and not too many.
    kept: result.owners.kept
      .filter((k) => k.reason !== 'root' && ACCOUNT_NAME.test(k.name))
      .map((k) => k.name)
      .slice(0, MAX_NAMED),
  };
  return { folder: into, snapshot: request.snapshot, keptCurrent: result.keptAs !== undefined, ...(owners ? { owners } : {}) };
}
