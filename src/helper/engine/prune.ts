import path from 'node:path';
import type { Config } from '../../core/config';
import { errorReport, toRewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import { planLocalPrune, type DestinationView, type PruneDecision } from '../../core/prune-plan';
import { policyFor, policyRules } from '../../core/retention-policy';
import type { PruneReport, RunRecord } from '../../core/status';
import { deleteSubvolumes } from '../system/btrfs';
import type { BackupDestination, RetentionView } from '../destinations/backup-destination';
import { closeDestinations, openDestination } from '../destinations/open-destination';
import type { MountSet } from '../system/mount-set';
import { listSnapshots, resolveSource, type SourceSubvolume } from './sources';

/**
 * Applies retention (src/core/prune-plan) on both sides of every source
 * subvolume: local snapshots first, then each connected destination. A
 * destination that is not connected is left alone.
 */
export interface PruneOptions {
  config: Config;
  host: string;
  mounts: MountSet;
  history: readonly RunRecord[];
  now: Date;
  timeZone: string;
  dryRun: boolean;
  /** Sources already resolved by the run; otherwise resolved here. */
  sources?: SourceSubvolume[];
  /**
   * Destinations the run already opened (undefined: not connected);
   * otherwise opened here. Enabled destinations missing from the map are not connected.
   */
  destinations?: ReadonlyMap<string, BackupDestination | undefined>;
  /** Where the helper's keys are (SSH identity, pinned host keys, stream-file keys). */
  stateDir: string;
}

/** The snapshot last sent to a destination, by the history: its next parent while it is not connected. */
export function lastSentUuid(history: readonly RunRecord[], source: string, destination: string): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const t = history[i].transfers.find((x) => x.ok && x.source === source && x.destination === destination);
    if (t?.snapshotUuid) return t.snapshotUuid;
  }
  return undefined;
}

function toReport(base: Omit<PruneReport, 'kept' | 'keptCount' | 'removed'>, decision: PruneDecision): PruneReport {
  return {
    ...base,
    ...(decision.skipped ? { skipped: decision.skipped } : {}),
    kept: decision.keep.map((k) => ({ name: path.basename(k.subvolume.path), reasons: k.reasons })),
    keptCount: decision.keep.length,
    removed: decision.remove.map((r) => path.basename(r.path)),
  };
}

function reportOf(error: unknown): PruneReport['error'] {
  return errorReport(toRewindError(error));
}

export { systemTimeZone } from '../system/time-zone';

export async function pruneAll(options: PruneOptions): Promise<PruneReport[]> {
  const { config, mounts, now, timeZone, dryRun } = options;
  const reports: PruneReport[] = [];
  const destinations = new Map<string, BackupDestination | undefined>();
  for (const d of config.destinations.filter((x) => x.enabled)) {
    const opened = options.destinations
      ? options.destinations.get(d.id)
      : await openDestination(d, options.host, mounts, options.stateDir).catch(() => undefined);
    destinations.set(d.id, opened);
  }
  let sources = options.sources;
  if (!sources) {
    sources = [];
    for (const source of config.sources) {
      try {
        sources.push(...(await resolveSource(source, mounts)));
      } catch (error) {
        const failure = toRewindError(error);
        const label = (source.path ?? source.allSubvolumesOf) as string;
        reports.push({ side: 'local', source: label, kept: [], keptCount: 0, removed: [], error: errorReport(failure) });
      }
    }
  }

  for (const source of sources) {
    const ownDir = path.join(SNAPSHOT_DIR, source.dirName);
    let snapshots = (await listSnapshots(source)).filter((s) => path.dirname(s.path) === ownDir);
    const views: DestinationView[] = [];
    const retention = new Map<string, RetentionView>();
    for (const [id, destination] of destinations) {
      const view = await destination?.retention(source.dirName);
      if (view) retention.set(id, view);
      views.push(view ? { id, connected: true, backups: view.backups, damaged: view.damaged } : { id, connected: false, lastSentUuid: lastSentUuid(options.history, source.label, id) });
    }
    const local = planLocalPrune(snapshots, views, { rules: policyRules(policyFor(config.retention, 'local')), now, timeZone });
    const localReport = toReport({ side: 'local', source: source.label }, local);
    reports.push(localReport);
    if (!dryRun) {
      if (local.remove.length > 0) source.mount.changed();
      await deleteSubvolumes(local.remove.map((s) => path.join(source.top, s.path))).catch((error: unknown) => {
        localReport.error = reportOf(error);
      });
    }
    const removed = new Set(local.remove.map((s) => s.uuid));
    snapshots = snapshots.filter((s) => !removed.has(s.uuid));

    for (const view of views) {
      const kept = retention.get(view.id);
      if (!kept) {
        reports.push({ side: 'destination', source: source.label, destination: view.id, skipped: 'not connected', kept: [], keptCount: 0, removed: [] });
        continue;
      }
      const destinationConfig = config.destinations.find((d) => d.id === view.id)!;
      const plan = kept.plan(snapshots, { rules: policyRules(policyFor(config.retention, destinationConfig)), now, timeZone });
      const report: PruneReport = {
        side: 'destination',
        source: source.label,
        destination: view.id,
        ...(plan.skipped ? { skipped: plan.skipped } : {}),
        kept: plan.kept,
        keptCount: plan.kept.length,
        removed: plan.removed,
      };
      reports.push(report);
      if (!dryRun) {
        await plan.apply().catch((error: unknown) => {
          report.error = reportOf(error);
        });
      }
    }
  }
  if (!options.destinations) await closeDestinations(destinations.values());
  return reports;
}
