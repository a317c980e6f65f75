import { ADVICE, RewindError } from '../../core/errors';
import type { BackupDestination } from '../destinations/backup-destination';
import { keyFile } from '../destinations/stream-files/age-key';
import { ChainReader } from '../destinations/stream-files/chain-reader';
import { FilesDestination } from '../destinations/stream-files/files-destination';
import { extractFromChain } from './stream-extract';

/** A requested path that the backup does not have. */
export class NotInBackup extends RewindError {
  constructor(readonly path: string) {
    super('InvalidArgs', `There is no ${path} in this backup.`, { advice: ADVICE.chooseAgain });
  }
}

/**
 * Files and folders from a stream-file destination's point, without a
 * replay (./stream-extract): the folder the point's tree starts at, holding
 * only `paths` and the folders above them, made as `into()/tree`. Undefined
 * when the destination keeps no stream files, or when only a replay can
 * restore these paths (data cloned from a snapshot outside the chain, LZO
 * data): the caller then fetches the whole point as before.
 */
export async function extractedPoint(
  opened: BackupDestination,
  stateDir: string,
  dirName: string,
  snapshot: string,
  paths: readonly string[],
  into: () => Promise<string>,
  keyPath?: string,
): Promise<string | undefined> {
  if (!(opened instanceof FilesDestination)) return undefined;
  const reader = new ChainReader(opened.store, opened.name, keyFile(stateDir, opened.config.id));
  const manifest = await opened.manifest(dirName);
  // The stream's names are bytes, modelled one character per byte; the paths asked for are text (UTF-8 on disk).
  const asBytes = new Map(paths.map((p) => [Buffer.from(p, 'utf8').toString('latin1'), p]));
  const result = await extractFromChain({ reader, manifest, dirName, name: snapshot, paths: [...asBytes.keys()], into: await into(), keyPath });
  switch (result.kind) {
    case 'extracted':
      return result.root;
    case 'missing':
      throw new NotInBackup(asBytes.get(result.path) ?? result.path);
    case 'through-link':
      throw new RewindError('InvalidArgs', `${asBytes.get(result.path) ?? result.path} is reached through a link in the backup; restore the link's target instead.`, {
        advice: ADVICE.inDetail,
      });
    case 'replay':
      // Something only btrfs receive can rebuild (see src/core/send-stream/extract-plan): the whole point is replayed instead.
      return undefined;
  }
}
