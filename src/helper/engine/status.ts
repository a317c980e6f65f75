import { errorReport, toRewindError } from '../../core/errors';
import type { HelperStatus } from '../../core/status';
import { loadConfig } from '../config/config-file';
import { destinationPresence } from '../destinations/destination-presence';
import { History } from './history';
import { nextRun, onCalendar } from '../../core/schedule';
import { systemTimeZone } from '../system/time-zone';
import { readMountTable } from '../system/mountinfo';
import { destinationName } from '../../core/destination-name';
import { wouldPostpone } from './postpone';
import { lastChecks } from '../../core/drill-schedule';
import { DrillHistory } from '../drill/drill-history';

export async function readStatus(configPath: string, stateDir: string, running: boolean): Promise<HelperStatus> {
  const runs = await new History(stateDir).read();
  const drills = lastChecks(await new DrillHistory(stateDir).read());
  const status: HelperStatus = {
    configured: false,
    sources: [],
    destinations: [],
    running,
    lastRun: runs.at(-1),
    lastSuccess: runs.findLast((r) => r.ok),
  };
  try {
    const config = await loadConfig(configPath);
    status.configured = true;
    status.sources = config.sources.map((s) => s.path ?? `everything on the disk that holds ${s.allSubvolumesOf}`);
    status.backedUp = config.sources.map((s) => (s.path !== undefined ? { path: s.path } : { allSubvolumesOf: s.allSubvolumesOf }));
    const table = await readMountTable();
    status.destinations = await Promise.all(
      config.destinations.map(async (d) => ({
        id: d.id,
        kind: d.kind,
        label: destinationName(d),
        enabled: d.enabled,
        ...(await destinationPresence(d, runs, table)),
        ...(drills.has(d.id) ? { lastDrill: drills.get(d.id) } : {}),
      })),
    );
    status.onCalendar = onCalendar(config.schedule);
    status.nextRun = nextRun(config.schedule, new Date(), systemTimeZone())?.toISOString();
    status.schedule = config.schedule;
    status.timeZone = systemTimeZone();
    // Only a scheduled run waits; reading the machine must never make the status fail.
    const waits = config.schedule.kind === 'manual' ? undefined : await wouldPostpone(config).catch(() => undefined);
    if (waits) status.wouldPostpone = waits;
  } catch (error) {
    const failure = toRewindError(error);
    if (failure.code !== 'NotConfigured') status.configError = errorReport(failure);
  }
  return status;
}
