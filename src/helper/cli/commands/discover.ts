import type { Config } from '../../../core/config';
import { isFoundId, type Discovery } from '../../../core/discovery';
import { RewindError } from '../../../core/errors';
import { command } from '../command';
import { describeDiscovery } from '../format/discover';

export const discover = command<Discovery>({
  name: 'discover',
  synopsis: '',
  summary: `find every Rewind backup on the connected disks, with no
configuration (after a reinstall, or from a live USB); only reads`,
  options: [],
  run: async ({ paths }) => {
    const { discoverBackups } = await import('../../recovery/discover');
    return discoverBackups({ runtimeDir: paths.runtimeDir });
  },
  output: (discovery) => ({ json: discovery, human: describeDiscovery(discovery) }),
});

export const keepBackingUp = command<Config>({
  name: 'keep-backing-up',
  synopsis: '--destination ID [--source DIR] [--key FILE]',
  summary: `after a recovery: back this computer up from now on to the
backups that discover printed as ID, beside those there
(saves the configuration; --key: the recovery key of
encrypted ones, kept as this computer's key for them)`,
  options: ['destination', 'source', 'key'],
  required: ['destination'],
  run: async ({ values, paths }) => {
    if (!isFoundId(values.destination!)) throw new RewindError('InvalidArgs', `${values.destination} is not an id that discover printed.`, { advice: 'Run discover, then give the id it printed for the backups.' });
    const { keepBackingUp } = await import('../../recovery/keep-backing-up');
    return keepBackingUp(paths, { from: values.destination!, source: values.source, keyFile: values.key });
  },
  output: (config) => ({
    json: config,
    human: `Saved ${config.destinations[0]?.label ?? ''} as the place this computer backs up to, filed as ${config.hostName ?? ''}, backing up ${config.sources.map((s) => s.path).join(', ')}.`,
  }),
});
