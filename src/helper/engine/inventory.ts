import path from 'node:path';
import { errorReport, toRewindError } from '../../core/errors';
import { SNAPSHOT_DIR } from '../../core/ids';
import type { Inventory } from '../../core/contract/responses';
export type { Inventory } from '../../core/contract/responses';
import type { BackupDestination } from '../destinations/backup-destination';
import { closeDestinations, openDestination } from '../destinations/open-destination';
import type { RunContext } from './run-context';
import { listSnapshots, resolveSource } from './sources';

export async function takeInventory({ config, host, mounts, stateDir }: RunContext): Promise<Inventory> {
  const inventory: Inventory = { sources: [], problems: [] };
  const destinations = new Map<string, BackupDestination | undefined>();
  for (const d of config.destinations.filter((x) => x.enabled)) {
    destinations.set(d.id, await openDestination(d, host, mounts, stateDir).catch(() => undefined));
  }
  try {
    return await inventoryOf(config, mounts, destinations, inventory);
  } finally {
    await closeDestinations(destinations.values());
  }
}

async function inventoryOf(
  config: RunContext['config'],
  mounts: RunContext['mounts'],
  destinations: ReadonlyMap<string, BackupDestination | undefined>,
  inventory: Inventory,
): Promise<Inventory> {
  for (const configured of config.sources) {
    let resolved;
    try {
      resolved = await resolveSource(configured, mounts, { exclude: config.exclude });
    } catch (error) {
      const failure = toRewindError(error);
      inventory.problems.push({ source: (configured.path ?? configured.allSubvolumesOf) as string, error: errorReport(failure) });
      continue;
    }
    for (const source of resolved) {
      const ownDir = path.join(SNAPSHOT_DIR, source.dirName);
      const snapshots = (await listSnapshots(source)).filter((s) => path.dirname(s.path) === ownDir);
      const entry: Inventory['sources'][number] = {
        source: source.label,
        snapshots: snapshots.map((s) => ({ name: path.basename(s.path), uuid: s.uuid })),
        destinations: [],
      };
      for (const [id, destination] of destinations) {
        entry.destinations.push({ destination: id, connected: destination !== undefined, backups: destination ? await destination.points(source.dirName) : [] });
      }
      inventory.sources.push(entry);
    }
  }
  return inventory;
}
