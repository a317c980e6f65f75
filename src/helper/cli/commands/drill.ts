import type { DrillResult } from '../../../core/drill';
import { RewindError, ADVICE } from '../../../core/errors';
import { command } from '../command';
import { describeDrill } from '../format/drill';

export const drill = command<DrillResult>({
  name: 'drill',
  synopsis: '[--destination ID] [--seed N]',
  summary: `restore a sample of files from the newest backup on each
enabled destination (or the one named) into a scratch folder
and compare them with this computer's snapshot; records the
result; exits 1 when a backup is damaged or not connected;
--seed chooses the files an earlier check chose`,
  options: ['destination', 'seed'],
  run: async ({ values, paths }) => {
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
      throw new RewindError('InvalidArgs', `--seed must be a whole number from 0 to 4294967295, not ${JSON.stringify(values.seed)}.`, { advice: ADVICE.commandLine });
    }
    const { drillDestinations } = await import('../../drill/drill');
    return drillDestinations(paths, { destination: values.destination, seed });
  },
  userErrors: ['InvalidArgs', 'Busy'],
  output: (result) => ({
    json: result,
    human: describeDrill(result),
    code: 'drills' in result && result.drills.some((d) => d.outcome === 'damaged' || d.outcome === 'failed' || d.outcome === 'not-connected') ? 1 : 0,
  }),
});
