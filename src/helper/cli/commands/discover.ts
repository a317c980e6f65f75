import type { Config } from '../../../core/config';
import { isFoundId, type Discovery } from '../../../core/discovery';
import { RewindError } from '../../../core/errors';
import { command } from '../command';
import { describeDiscovery } from '../format/discover';

/** --port as the request parser takes it: a number when it is one, else as written (and refused there). */
function port(value: string | undefined): number | string | undefined {
  return value === undefined ? undefined : /^\d+$/.test(value) ? Number(value) : value;
}

export const discover = command<Discovery>({
  name: 'discover',
  synopsis: '[--host H --user NAME [--port P]]',
  summary: `find every Rewind backup on the connected disks, with no
configuration (after a reinstall, or from a live USB); only reads;
--host: instead, the backups this computer's key may read on the
server H as NAME (its host key trusted with ssh-probe and ssh-trust,
the key accepted there with accept-key --read-only)`,
  options: ['host', 'user', 'port'],
  run: async ({ values, paths }) => {
    if (values.host !== undefined) {
      const { parseProbeRequest, localHostName } = await import('../../destinations/ssh/setup');
      const { sshPaths } = await import('../../destinations/ssh/identity');
      const { discoverOnServer } = await import('../../recovery/discover-server');
      const target = parseProbeRequest(JSON.stringify({ host: values.host, port: port(values.port), user: values.user }));
      const discovery = await discoverOnServer(sshPaths(paths.stateDir), target, await localHostName(paths.configPath));
      // restore-subvolume --destination ID, a command of its own, asks this server again.
      const { rememberServerFinds } = await import('../../recovery/found-point');
      await rememberServerFinds(paths.runtimeDir, target, discovery);
      return discovery;
    }
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
