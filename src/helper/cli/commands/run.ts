import type { RunRecord } from '../results';
import { command } from '../command';
import { describePostponed, describeRun } from '../format/backup';
import { onStopSignal } from '../../system/stop-signals';

export const run = command<{ postponed: RunRecord } | { run: RunRecord }>({
  name: 'run',
  synopsis: '[--scheduled] [--progress]',
  summary: `back up every source to every enabled destination now;
--scheduled (the timer): first check the configured
conditions (battery, metered network); when they say
wait, record the run as postponed and exit;
--progress: every progress report as a JSON line on stderr`,
  options: ['scheduled', 'progress'],
  run: async ({ values, paths }) => {
    if (values.scheduled) {
      const { postponeIfWaiting } = await import('../../engine/postpone');
      const postponed = await postponeIfWaiting(paths);
      if (postponed) return { postponed };
    }
    const { runBackup } = await import('../../engine/engine');
    // Ctrl+C or a service stop: cancel cleanly (partial backups removed, the run recorded) instead of dying mid-transfer.
    const abort = new AbortController();
    onStopSignal(() => abort.abort());
    const record = await runBackup({
      signal: abort.signal,
      ...paths,
      onProgress: values.progress
        ? (p) => console.error(JSON.stringify(p))
        : values.json
          ? undefined
          : (p) => p.phase !== 'send' && console.error(`${p.phase}: ${p.source}${p.destination ? ` -> ${p.destination}` : ''}`),
    });
    // Once a month per destination, the timer's run also checks what it backed up (src/core/drill-schedule.ts).
    // Loaded only then: a drill reads stream files and servers, whose modules a run to a disk never needs.
    if (values.scheduled) await (await import('../../drill/scheduled-drill')).drillWhenDue(paths, record);
    return { run: record };
  },
  output: (result) => {
    // Postponed is no failure: exit 0, so the timer's service does not retry it (Restart=on-failure).
    if ('postponed' in result) return { json: result.postponed, human: describePostponed(result.postponed) };
    // A run skipped because no destination was there exits 0: the timer's service must not retry it (Restart=on-failure).
    // Everything is recorded by now, and stdout and stderr are written synchronously: nothing is lost by leaving at once.
    return { json: result.run, human: describeRun(result.run), code: result.run.ok || result.run.outcome === 'skipped' ? 0 : 1, exitAtOnce: true };
  },
});
