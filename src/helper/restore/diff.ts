import path from 'node:path';
import type { Change } from '../../core/send-stream/changes';
import { listChanges } from '../../core/send-stream/changes';
import { ADVICE, RewindError, toRewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import { isCompleteBackup } from '../../core/parent';
import type { Subvolume } from '../../core/subvolume';
import { BtrfsDestination } from '../destinations/btrfs-destination';
import type { RunContext } from '../engine/run-context';
import { listSnapshots, resolveSource, type SourceSubvolume } from '../engine/sources';
import { noDataStream } from '../system/btrfs-send';

/**
 * `rewind-helper diff A B`: what changed from snapshot A to snapshot B, read
 * from `btrfs send --no-data -p A B` (every command but the file data: cheap)
 * by listChanges (src/core/send-stream/changes.ts). A and B are names of
 * local snapshots of one source, or, with a destination, of backups there
 * (complete ones only: a backup is a snapshot too, and send works from it).
 */
export interface DiffRequest {
  from: string;
  to: string;
  /** A configured source (its path); default: the only source, or the one with both names. */
  source?: string;
  /** Compare backups on this destination instead of local snapshots. */
  destination?: string;
}

export interface DiffResult {
  source: string;
  destination?: string;
  from: string;
  to: string;
  changes: Change[];
}

function named(list: Subvolume[], name: string): Subvolume | undefined {
  return list.find((s) => path.basename(s.path) === name);
}

/** The points of a source that can be compared: its own local snapshots, or its complete backups on a btrfs disk. */
export async function comparablePoints(source: SourceSubvolume, destination?: BtrfsDestination): Promise<Subvolume[]> {
  return destination
    ? (await destination.backups(source.dirName)).filter(isCompleteBackup)
    : (await listSnapshots(source)).filter((s) => path.dirname(s.path) === path.join(SNAPSHOT_DIR, source.dirName));
}

export async function diffSnapshots({ config, host, mounts }: RunContext, request: DiffRequest): Promise<DiffResult> {
  const candidates = config.sources.filter((s) => request.source === undefined || s.path === request.source || s.allSubvolumesOf === request.source);
  if (candidates.length === 0) throw new RewindError('InvalidArgs', `${request.source} is not one of the backed-up folders in the configuration.`, { advice: ADVICE.chooseAgain });
  const sources: SourceSubvolume[] = [];
  for (const s of candidates) sources.push(...(await resolveSource(s, mounts, { exclude: config.exclude })));

  let destination: BtrfsDestination | undefined;
  if (request.destination !== undefined) {
    const configured = config.destinations.find((d) => d.id === request.destination);
    if (!configured) throw new RewindError('InvalidArgs', `There is no destination "${request.destination}" in the configuration.`, { advice: ADVICE.chooseAgain });
    if (configured.kind !== 'btrfs') {
      throw new RewindError('InvalidArgs', `"${request.destination}" is not a btrfs disk; what changed between its backups cannot be listed yet. Compare local snapshots instead.`, { advice: ADVICE.inDetail });
    }
    destination = await BtrfsDestination.open(configured, host, mounts);
  }
  const where = destination ? `on ${destination.name}` : 'among the local snapshots';
  const found: Array<{ source: SourceSubvolume; top: string; from: Subvolume; to: Subvolume }> = [];
  const missing: string[] = [];
  for (const source of sources) {
    const list = await comparablePoints(source, destination);
    const from = named(list, request.from);
    const to = named(list, request.to);
    if (from && to) found.push({ source, top: destination ? destination.top : source.top, from, to });
    else missing.push(...[!from && request.from, !to && request.to].filter((n): n is string => typeof n === 'string'));
  }
  if (found.length === 0) {
    const names = [...new Set(missing)].map((n) => `"${n}"`).join(' and ');
    throw new RewindError(
      'InvalidArgs',
      `There is no ${destination ? 'complete backup' : 'snapshot'} named ${names} ${where}; "rewind-helper list" shows the names.`,
    );
  }
  if (found.length > 1) {
    throw new RewindError('InvalidArgs', `Several backed-up folders have snapshots named so (${found.map((f) => f.source.label).join(', ')}); choose one with --source.`, { advice: ADVICE.inDetail });
  }
  const [{ source, top, from, to }] = found;
  try {
    const stream = await noDataStream(path.join(top, from.path), path.join(top, to.path));
    const lists = listChanges(stream);
    return { source: source.label, destination: destination?.config.id, from: request.from, to: request.to, changes: lists.flatMap((l) => l.changes) };
  } catch (error) {
    throw toRewindError(error);
  }
}

const MARK: Record<Change['kind'], string> = { created: '+', modified: '~', renamed: '>', deleted: '-' };

/** One line per change: "+ path", "- path", "~ path (data, xattrs)", "> from -> path". */
export function describeDiff(result: DiffResult): string {
  const head = `${result.source}${result.destination ? ` on ${result.destination}` : ''}: ${result.from} -> ${result.to}, ${result.changes.length} change${result.changes.length === 1 ? '' : 's'}`;
  const lines = result.changes.map((c) => {
    const what = c.kind === 'renamed' ? `${c.from} -> ${c.path}` : c.path;
    const details = [...(c.type && c.type !== 'file' ? [c.type] : []), ...(c.hardlink ? ['hard link'] : []), ...(c.changed ?? [])];
    return `${MARK[c.kind]} ${what}${details.length > 0 ? `  (${details.join(', ')})` : ''}`;
  });
  return [head, ...lines].join('\n');
}
