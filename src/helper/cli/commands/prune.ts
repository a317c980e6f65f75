import type { CleanReport, PruneReport } from '../results';
import { command } from '../command';
import { describeClean, describePrune } from '../format/backup';

export const prune = command<{ dryRun: boolean; reports: PruneReport[] }>({
  name: 'prune',
  synopsis: '[--dry-run]',
  summary: 'apply retention now; --dry-run only shows what it would do',
  options: ['dry-run'],
  run: async ({ values, paths }) => {
    const [{ withRunContext }, { History }, { pruneAll, systemTimeZone }] = await Promise.all([
      import('../../engine/run-context'),
      import('../../engine/history'),
      import('../../engine/prune'),
    ]);
    const dryRun = values['dry-run'];
    const history = await new History(paths.stateDir).read();
    const reports = await withRunContext(paths, true, (context) =>
      pruneAll({ ...context, history, now: new Date(), timeZone: systemTimeZone(), dryRun }),
    );
    return { dryRun, reports };
  },
  output: (result) => ({ json: result, human: describePrune(result.reports, result.dryRun), code: result.reports.some((r) => r.error) ? 1 : 0 }),
});

export const clean = command<CleanReport[]>({
  name: 'clean',
  synopsis: '',
  summary: 'remove what interrupted runs left on the destinations',
  options: [],
  run: async ({ paths }) => {
    const [{ withRunContext }, { cleanDestinations }] = await Promise.all([import('../../engine/run-context'), import('../../engine/clean')]);
    return withRunContext(paths, true, cleanDestinations);
  },
  output: (reports) => ({ json: reports, human: describeClean(reports) }),
});
