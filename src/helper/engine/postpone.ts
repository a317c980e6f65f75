import type { Config } from '../../core/config';
import { postponeReason, type PostponeReason } from '../../core/conditions';
import type { RunRecord } from '../../core/status';
import { loadConfig } from '../config/config-file';
import { randomUuid } from '../system/random-id';
import { History } from './history';
import { readMetered, readPowerSupplies } from './machine-state';
import { acquireRunLock } from './run-lock';

/**
 * A scheduled run (the timer's `run --scheduled`, the monitor's
 * StartScheduledBackup) first asks whether the configuration's conditions
 * say wait (src/core/conditions). If they do, the run is recorded in the
 * history as postponed, with its reason, and nothing else happens: no
 * snapshot, no mount, no connection.
 *
 * One record per wait: while the last run in the history is postponed for
 * the same reason (the timer elapsed again, still on battery), nothing is
 * added. That record is the pending run; the monitor runs it once the reason
 * ends (docs/monitor.md), and the run it starts is recorded after it, so it
 * is pending no more.
 */
export async function wouldPostpone(config: Config): Promise<PostponeReason | undefined> {
  const networkDestinations = config.destinations.some((d) => d.enabled && d.kind === 'ssh');
  return postponeReason(config.conditions, {
    supplies: config.conditions.postponeOnBattery ? await readPowerSupplies() : [],
    metered: config.conditions.postponeOnMetered && networkDestinations ? await readMetered() : undefined,
    networkDestinations,
  });
}

/** The postponed run, recorded (or the one already pending for the same reason); undefined when the run may go ahead. */
export async function postponeIfWaiting(options: { configPath: string; stateDir: string }): Promise<RunRecord | undefined> {
  const reason = await wouldPostpone(await loadConfig(options.configPath));
  if (!reason) return undefined;
  // Under the run lock, as every record is written: a run going on now is Busy, as it would be for the run itself.
  const unlock = await acquireRunLock(options.stateDir);
  try {
    const history = new History(options.stateDir);
    const last = (await history.read()).at(-1);
    if (last?.outcome === 'postponed' && last.postponed === reason) return last;
    const now = new Date().toISOString();
    const record: RunRecord = { id: randomUuid(), started: now, finished: now, ok: false, transfers: [], outcome: 'postponed', postponed: reason };
    await history.append(record);
    return record;
  } finally {
    await unlock();
  }
}
