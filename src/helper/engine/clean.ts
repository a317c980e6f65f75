import { closeDestinations, openDestination } from '../destinations/open-destination';
import type { RunContext } from './run-context';

/**
 * Removes what interrupted runs left on every connected destination: backups
 * that are writable or have no received UUID, stream files that no list
 * names. (Stale mounts are released by the run context.) Runs also do this
 * before each transfer; `clean` does it without backing up.
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
    const removed = await destination.clean();
    await closeDestinations([destination]);
    reports.push({ destination: d.id, connected: true, removed });
  }
  return reports;
}
