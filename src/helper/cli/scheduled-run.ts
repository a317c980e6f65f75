import { postponeReason } from '../../core/conditions';
import { loadConfig } from '../config/config-file';
import { readMetered, readPowerSupplies } from '../engine/machine-state';

/** Why the timer's run should wait (src/core/conditions), or undefined. */
export async function scheduledRunWaits(configPath: string, stateDir?: string): Promise<string | undefined> {
  const config = await loadConfig(configPath, stateDir);
  const networkDestinations = config.destinations.some((d) => d.enabled && d.kind === 'ssh');
  return postponeReason(config.conditions, {
    supplies: config.conditions.postponeOnBattery ? await readPowerSupplies() : [],
    metered: config.conditions.postponeOnMetered && networkDestinations ? await readMetered() : undefined,
    networkDestinations,
  });
}
