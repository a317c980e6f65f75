import { ADVICE, RewindError } from '../../../core/errors';
import { keepsStreamFiles } from '../../../core/config';
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

export async function verifyDestinations({ config, host, mounts, stateDir }: RunContext, only?: string, keyPath?: string): Promise<VerifyReport[]> {
  const chosen = config.destinations.filter((d) => keepsStreamFiles(d) && (only === undefined || d.id === only));
  if (only !== undefined && chosen.length === 0) {
    throw new RewindError('InvalidArgs', `There is no stream-file destination "${only}" in the configuration.`, { advice: ADVICE.chooseAgain });
  }
  const reports: VerifyReport[] = [];
  for (const d of chosen) {
    const destination = await openDestination(d, host, mounts, stateDir).catch(() => undefined);
    if (!(destination instanceof FilesDestination)) {
      reports.push({ destination: d.id, connected: false, streams: 0 });
      continue;
    }
    const result = await destination.verify(keyPath).catch((error: unknown) => ({ streams: 0, problem: (error as Error).message }));
    await closeDestinations([destination]);
    reports.push({ destination: d.id, connected: true, ...result });
  }
  return reports;
}
