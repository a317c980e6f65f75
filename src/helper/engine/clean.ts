import { closeDestinations, isFilesDestination, openDestination } from '../destinations/open-destination';
import type { RunContext } from './run-context';

/**
 * Removes what interrupted runs left on every connected destination: backups
 * that are writable or have no received UUID. (Stale mounts are released by
 * the run context.) Runs also do this before each transfer; `clean` does it
 * without backing up.
 */
export interface CleanReport {
  destination: string;
  connected: boolean;
  removed: string[];
}

export async function cleanDestinations({ config, host, mounts, stateDir }: RunContext): Promise<CleanReport[]> {
  const reports: CleanReport[] = [];
  for (const d of config.destinations.filter((x) => x.enabled)) {
    const destination = await openDestination(d, host, mounts, stateDir).catch(() => undefined);
    if (!destination) {
      reports.push({ destination: d.id, connected: false, removed: [] });
      continue;
    }
    if (isFilesDestination(destination)) {
      const removed: string[] = [];
      for (const dirName of await destination.dirNames()) {
        removed.push(...(await destination.removeUnlisted(dirName)).map((name) => `${dirName}/${name}`));
      }
      await closeDestinations([destination]);
      reports.push({ destination: d.id, connected: true, removed });
      continue;
    }
    const removed: string[] = [];
    for (const dirName of (await destination.allBackups()).keys()) {
      removed.push(...(await destination.removeIncomplete(dirName)).map((name) => `${dirName}/${name}`));
    }
    await closeDestinations([destination]);
    reports.push({ destination: d.id, connected: true, removed });
  }
  return reports;
}
