import type { Config, Destination } from '../core/config';
import { destinationAt, placeOf } from '../core/destination-identity';
import { destinationName } from '../core/destination-name';
import type { Failure, HelperClient } from './helper-client';
import { destinationId } from './setup/setup-types';
import { _, fmt } from './i18n';
import { trace } from './trace';

/** A sentence for a failed GetConfig or SetConfig. */
export function failureMessage(failure: Failure): string {
  if (failure.kind === 'error') return failure.message;
  if (failure.kind === 'not-authorised') return _('The system’s policy does not allow this account to change the backup settings. Ask an administrator.');
  if (failure.kind === 'unreachable') return _('The backup helper is not available. Install the rewind-helper package.');
  return _('The change was not saved because authentication was cancelled.');
}

/**
 * Reads the configuration, changes it and saves it (SetConfig validates it;
 * an InvalidConfig answer names the field). Resolves to the saved
 * configuration, or rejects with a sentence for people.
 */
export async function editConfig(client: HelperClient, change: (config: Config) => Config): Promise<Config> {
  try {
    const config = await client.callJson('GetConfig');
    const result = await client.callJson('SetConfig', change(config));
    trace('config saved');
    void client.refresh();
    return result.config;
  } catch (e) {
    if (e instanceof Error) throw e;
    const failure = e as Failure;
    trace(`config failed ${failure.code}`);
    throw new Error(failureMessage(failure), { cause: e });
  }
}

/** Adds a destination to the configuration, unless it already is one (the same server and folder); undefined, or why it failed. */
export async function addDestination(client: HelperClient, destination: Destination): Promise<string | undefined> {
  let used: Destination | undefined;
  try {
    await editConfig(client, (config) => {
      used = destinationAt(config.destinations, placeOf(destination));
      if (used) return config;
      return { ...config, destinations: [...config.destinations, { ...destination, id: destinationId(destination.label ?? destination.id, config.destinations.map((d) => d.id)) }] };
    });
  } catch (e) {
    return (e as Error).message;
  }
  return used ? fmt(_('“%s” is already used for backups.'), destinationName(used)) : undefined;
}
