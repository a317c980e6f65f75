import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { reason } from '../../core/error-reasons';
import { ChainExtraction, type DataOp } from '../../core/send-stream/extract-commands';
import { ChainSurvey } from '../../core/send-stream/extract-plan';
import type { SendCommand } from '../../core/send-stream/parser';
import type { StreamManifest } from '../../core/stream-manifest';
import type { ChainReader } from '../destinations/stream-files/chain-reader';
import { ExtractedTree } from './extracted-tree';
import { StagedFiles } from './staged-files';

/**
 * Restoring some files from stream files without replaying the chain: no
 * scratch subvolume, no room needed beyond the restored files themselves.
 * The chain is read twice, each stream decrypted, decompressed, checked
 * (each part's SHA-256, each command's CRC) and passed through the
 * restore's stream guard, as a replay reads it:
 * 1. the survey (src/core/send-stream/extract-plan) follows every name
 *    through the chain and says which inodes the paths need — or that the
 *    paths are not in the backup, or that only a replay can restore them (a
 *    clone from a snapshot outside the chain, LZO data: the caller then
 *    replays as before);
 * 2. the extraction (src/core/send-stream/extract-commands) reads again the
 *    streams that act on those inodes (a file made in the last week needs
 *    only the last week's streams) and writes the data of those inodes only
 *    (./staged-files), then puts them in place with their metadata
 *    (./extracted-tree).
 * Everything is written inside `into`, a folder of the restore's own that
 * this makes (its parent must exist), as `into/tree`: the subvolume's root
 * with the folders down to each path and everything below them. On failure,
 * `into` is removed.
 */
export type Extracted =
  | { kind: 'extracted'; root: string }
  | { kind: 'missing'; path: string }
  | { kind: 'through-link'; path: string }
  | { kind: 'replay'; reason: string };

export interface ExtractRequest {
  reader: ChainReader;
  manifest: StreamManifest;
  dirName: string;
  /** The backup (restore point) to restore from. */
  name: string;
  /** Relative to the subvolume, checked: no "..", not absolute, not ".". */
  paths: readonly string[];
  into: string;
  keyPath?: string;
}

export async function extractFromChain(request: ExtractRequest): Promise<Extracted> {
  const { reader, manifest, dirName, name, paths, into, keyPath } = request;
  const { chain, identity } = await reader.chainOf(manifest, dirName, name, keyPath);
  const survey = new ChainSurvey();
  // The links each stream's guard starts from, as the streams before it left them.
  const linksBefore: Array<Set<string>> = [];
  let links = new Set<string>();
  for (const [index, stream] of chain.entries()) {
    linksBefore.push(new Set(links));
    const next = new Set(links);
    await reader.readCommands(dirName, stream, index > 0 ? chain[index - 1] : undefined, next, identity, (command) => void survey.command(command), async () => undefined);
    links = next;
  }
  const plan = survey.plan(paths);
  if (plan.kind !== 'plan') return plan;

  await mkdir(into, { mode: 0o700 });
  try {
    const staged = await StagedFiles.create(path.join(into, '.data'));
    const extraction = new ChainExtraction(survey, plan.wanted, plan.staged);
    let queue: DataOp[] = [];
    const flush = async () => {
      const ops = queue;
      queue = [];
      await staged.run(ops).catch((error: unknown) => {
        throw writeFailure(error, into);
      });
    };
    // Only the streams that do something to the planned inodes are read again; each is checked
    // against its SHA-256 again, so it is the very stream the survey read.
    for (const [index, stream] of chain.entries()) {
      if (!extraction.needs(index)) continue;
      extraction.begin(index);
      const onCommand = (command: SendCommand) => {
        for (const op of extraction.command(command)) queue.push(op);
      };
      await reader.readCommands(dirName, stream, index > 0 ? chain[index - 1] : undefined, new Set(linksBefore[index]), identity, onCommand, flush);
    }
    await staged.closeAll();
    const meta = new Map(extraction.meta);
    for (const id of plan.wanted) {
      const folder = survey.folderMeta.meta.get(id);
      if (folder) meta.set(id, folder);
    }
    const tree = new ExtractedTree(survey.model, meta, (id) => staged.pathOf(id), paths);
    const root = await tree.build(into, 'tree').catch((error: unknown) => {
      throw writeFailure(error, into);
    });
    await staged.remove();
    return { kind: 'extracted', root };
  } catch (error) {
    await rm(into, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/** Writing the restored files failed: the place restored into is the user's to fix, not the backup. */
function writeFailure(error: unknown, into: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new RewindError('DestinationFull', `There is not enough space in ${path.dirname(into)} for the restored files.`, {
      advice: 'Make room there, or restore into a folder on another disk.',
      reason: reason('restore-no-space', { folder: path.dirname(into) }),
      cause: error,
    });
  }
  // A file larger than any filesystem takes, or at an offset none allows: only a made-up stream asks for one.
  if (code === 'EFBIG' || code === 'EINVAL') {
    return new RewindError('BackupDamaged', `The backup asks for a file larger than the disk restored onto allows (${(error as Error).message}).`, { cause: error });
  }
  return error;
}
