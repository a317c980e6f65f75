import type { Config, Destination } from '../core/config';
import type { NewKey, SetConfigResult } from '../core/contract/responses';
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
  return (await saveEdited(client, change)).config;
}

/** editConfig with SetConfig's whole answer (the recovery keys of destinations it added). */
async function saveEdited(client: HelperClient, change: (config: Config) => Config): Promise<SetConfigResult> {
  try {
    const config = await client.callJson('GetConfig');
    const result = await client.callJson('SetConfig', change(config));
    trace('config saved');
    void client.refresh();
    return result;
  } catch (e) {
    if (e instanceof Error) throw e;
    const failure = e as Failure;
    trace(`config failed ${failure.code}`);
    throw new Error(failureMessage(failure), { cause: e });
  }
}

/**
 * Adds a destination to the configuration, unless it already is one (the
 * same server and folder): why it failed, or the recovery keys to show once
 * (an encrypted destination's), each with the name the destination has.
 */
export async function addDestination(client: HelperClient, destination: Destination): Promise<{ problem?: string; newKeys: Array<NewKey & { name: string }> }> {
  let used: Destination | undefined;
  let result: SetConfigResult;
  try {
    result = await saveEdited(client, (config) => {
      used = destinationAt(config.destinations, placeOf(destination));
      if (used) return config;
      return { ...config, destinations: [...config.destinations, { ...destination, id: destinationId(destination.label ?? destination.id, config.destinations.map((d) => d.id)) }] };
    });
  } catch (e) {
    return { problem: (e as Error).message, newKeys: [] };
  }
  if (used) return { problem: fmt(_('“%s” is already used for backups.'), destinationName(used)), newKeys: [] };
  return { newKeys: namedKeys(result) };
}

/** SetConfig's new recovery keys, each with its destination's name as the person sees it. */
export function namedKeys(result: SetConfigResult): Array<NewKey & { name: string }> {
  return (result.newKeys ?? []).map((key) => {
    const d = result.config.destinations.find((x) => x.id === key.destination);
    return { ...key, name: d ? destinationName(d) : key.destination };
  });
}
