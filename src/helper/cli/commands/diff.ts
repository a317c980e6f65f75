import type { DiffResult } from '../results';
import { command } from '../command';

export const diff = command<{ result: DiffResult; describe: () => string }>({
  name: 'diff',
  synopsis: 'A B [--source DIR] [--destination ID]',
  summary: `what changed from snapshot A to snapshot B (local
snapshots, or backups on destination ID)`,
  options: ['source', 'destination'],
  operands: { count: 2, name: 'two snapshot names' },
  // A name that is not there is the user's to fix, not "a bug in the calling program".
  userErrors: ['InvalidArgs'],
  run: async ({ values, operands: [from, to], paths }) => {
    const [{ withRunContext }, { describeDiff, diffSnapshots }] = await Promise.all([import('../../engine/run-context'), import('../../restore/diff')]);
    const request = { from, to, source: values.source, destination: values.destination };
    const result = await withRunContext(paths, false, (context) => diffSnapshots(context, request));
    // The text is made by the module just loaded, which is not loaded before the command runs.
    return { result, describe: () => describeDiff(result) };
  },
  output: ({ result, describe }) => ({ json: result, human: describe() }),
});
