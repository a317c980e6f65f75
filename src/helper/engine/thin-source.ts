import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { SNAPSHOT_DIR } from '../../core/ids';
import type { DestinationView } from '../../core/prune-plan';
import { sourceIsLow, thinningOrder, type ThinningSubvolume } from '../../core/source-thinning';
import { sourceThinnedMessage } from '../../core/space-notice';
import type { RunRecord, SpaceFreed } from '../../core/status';
import type { BackupDestination } from '../destinations/backup-destination';
import { deleteSubvolume, syncFilesystem } from '../system/btrfs';
import { runCommand } from '../system/run-command';
import { lastSentUuid } from './prune';
import { listSnapshots, type SourceSubvolume } from './sources';

/**
 * A source disk that runs low on space gives up its oldest local snapshots
 * (src/core/source-thinning.ts decides which), after retention: one at a
 * time, each one's space given back and the disk looked at again, until it
 * is no longer low or nothing more may go. The disk that holds / and /home
 * must never fill up because of snapshots; the backups at the destinations
 * are not touched.
 */
export interface ThinOptions {
  /** The run's sources, as it resolved them. */
  sources: readonly SourceSubvolume[];
  /** Enabled destinations the run opened and can still use (undefined: not connected). */
  destinations: ReadonlyMap<string, BackupDestination | undefined>;
  /** The history, this run included: what a destination away last received. */
  history: readonly RunRecord[];
  /** The Notifications percentage, as for destinations. */
  lowPercent: number;
}

async function isLow(top: string, lowPercent: number): Promise<boolean> {
  const fs = await statfs(top);
  return sourceIsLow(fs.bavail * fs.bsize, fs.blocks * fs.bsize, lowPercent);
}

/** Every source on one filesystem, as the rules see it. */
async function subvolumesOf(sources: readonly SourceSubvolume[], options: ThinOptions): Promise<ThinningSubvolume[]> {
  const subvolumes: ThinningSubvolume[] = [];
  for (const source of sources) {
    const ownDir = path.join(SNAPSHOT_DIR, source.dirName);
    const snapshots = (await listSnapshots(source)).filter((s) => path.dirname(s.path) === ownDir);
    const destinations: DestinationView[] = [];
    for (const [id, destination] of options.destinations) {
      const view = await destination?.retention(source.dirName).catch(() => undefined);
      destinations.push(view ? { id, connected: true, backups: view.backups, damaged: view.damaged } : { id, connected: false, lastSentUuid: lastSentUuid(options.history, source.label, id) });
    }
    subvolumes.push({ label: source.label, snapshots, destinations });
  }
  return subvolumes;
}

/** Thins one filesystem's snapshots while it is low; returns what went, or undefined when nothing did. */
async function thinFilesystem(sources: readonly SourceSubvolume[], options: ThinOptions): Promise<SpaceFreed | undefined> {
  const { top, mount } = sources[0];
  if (!(await isLow(top, options.lowPercent))) return undefined;
  const plan = thinningOrder(await subvolumesOf(sources, options));
  const removed: Array<{ label: string; name: string }> = [];
  try {
    for (const { label, snapshot } of plan.order) {
      if (removed.length > 0 && !(await isLow(top, options.lowPercent))) break;
      mount.changed();
      await deleteSubvolume(path.join(top, snapshot.path));
      removed.push({ label, name: snapshot.path.slice(SNAPSHOT_DIR.length + 1) });
      // Its space counts only once the cleaner freed it and a commit made that visible.
      await runCommand('btrfs', ['subvolume', 'sync', top]);
      await syncFilesystem(top);
    }
  } catch (error) {
    // What was removed stays removed and is said; the rest waits for the next run.
    process.stderr.write(`rewind-helper: could not remove more snapshots from the disk that holds ${sources.map((s) => s.label).join(', ')}: ${(error as Error).message}\n`);
  }
  if (removed.length === 0) return undefined;
  const labels = [...new Set(removed.map((r) => r.label))];
  return { side: 'local', sources: labels, removed: removed.map((r) => r.name), message: sourceThinnedMessage(labels, removed.length) };
}

/** Every source filesystem of the run, each looked at once. */
export async function thinLowSources(options: ThinOptions): Promise<SpaceFreed[]> {
  const byFilesystem = new Map<string, SourceSubvolume[]>();
  for (const source of options.sources) byFilesystem.set(source.fsUuid, [...(byFilesystem.get(source.fsUuid) ?? []), source]);
  const freed: SpaceFreed[] = [];
  for (const sources of byFilesystem.values()) {
    const thinned = await thinFilesystem(sources, options).catch((error: unknown) => {
      process.stderr.write(`rewind-helper: could not check the space of the disk that holds ${sources.map((s) => s.label).join(', ')}: ${(error as Error).message}\n`);
      return undefined;
    });
    if (thinned) freed.push(thinned);
  }
  return freed;
}
