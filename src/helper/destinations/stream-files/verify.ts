import { ADVICE, RewindError } from '../../../core/errors';
import { keepsStreamFiles, type Destination } from '../../../core/config';
import { closeDestinations, openDestination } from '../open-destination';
import type { RunContext } from '../../engine/run-context';
import { FilesDestination } from './files-destination';

/** `rewind-helper verify`: every stream-file destination, or the one named. */
export interface VerifyReport {
  destination: string;
  connected: boolean;
  streams: number;
  problem?: string;
}

/** Stream files by the configuration, or perhaps: a server whose store is its own choice (Add Backup Server's). */
const mayKeepStreamFiles = (d: Destination) => keepsStreamFiles(d) || (d.kind === 'ssh' && d.store === undefined);

export async function verifyDestinations({ config, host, mounts, stateDir }: RunContext, only?: string, keyPath?: string): Promise<VerifyReport[]> {
  const chosen = config.destinations.filter((d) => mayKeepStreamFiles(d) && (only === undefined || d.id === only));
  if (only !== undefined && chosen.length === 0) {
    throw new RewindError('InvalidArgs', `There is no stream-file destination "${only}" in the configuration.`, { advice: ADVICE.chooseAgain });
  }
  const reports: VerifyReport[] = [];
  for (const d of chosen) {
    const destination = await openDestination(d, host, mounts, stateDir).catch(() => undefined);
    if (destination === undefined) {
      reports.push({ destination: d.id, connected: false, streams: 0 });
      continue;
    }
    if (!(destination instanceof FilesDestination)) {
      // A server that chose to keep received backups: no stream files to read there.
      await closeDestinations([destination]);
      if (only !== undefined) throw new RewindError('InvalidArgs', `The server of "${only}" keeps its backups as received snapshots, not stream files; verify reads stream files only.`, { advice: ADVICE.inDetail });
      continue;
    }
    const result = await destination.verify(keyPath).catch((error: unknown) => ({ streams: 0, problem: (error as Error).message }));
    await closeDestinations([destination]);
    reports.push({ destination: d.id, connected: true, ...result });
  }
  return reports;
}
