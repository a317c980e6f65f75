import { parseArgs } from 'node:util';
import { RewindError, toRewindError } from '../core/errors';
import { DEFAULT_CONFIG_PATH, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR } from '../core/ids';
import type { PruneReport, RunRecord } from '../core/status';
import { runDaemon } from './daemon';
import { runBackup } from './engine';
import { cleanDestinations } from './clean';
import { History } from './history';
import { takeInventory } from './inventory';
import { pruneAll, systemTimeZone } from './prune';
import { restorePath } from './restore';
import { withRunContext } from './run-context';
import { runServeCli, SERVE_USAGE } from './serve/cli';
import { readStatus } from './status';

const USAGE = `Usage: rewind-helper COMMAND [OPTIONS]

Commands:
  daemon                 serve the Rewind D-Bus interface on the system bus
  run                    back up every source to every enabled destination now
  status                 show the configuration and the last runs
  list                   list local snapshots and each destination's backups
  prune [--dry-run]      apply retention now; --dry-run only shows what it would do
  clean                  remove what interrupted runs left on the destinations
  restore --destination ID --snapshot NAME --path PATH --to DIR [--source DIR]
                         copy PATH out of a backup into DIR
  diff A B [--source DIR] [--destination ID]
                         what changed from snapshot A to snapshot B (local
                         snapshots, or backups on destination ID)
${SERVE_USAGE}

Options:
  --config FILE          configuration file (default ${DEFAULT_CONFIG_PATH})
  --state-dir DIR        state and history (default ${DEFAULT_STATE_DIR})
  --runtime-dir DIR      private mount points (default ${DEFAULT_RUNTIME_DIR})
  --json                 machine-readable output
  --idle-seconds N       daemon: exit after N seconds without work (default 120)

Exit codes: 0 success, 1 the backup or restore failed, 2 wrong usage.`;

function describeRun(run: RunRecord): string {
  const lines = [`Run ${run.ok ? 'succeeded' : 'failed'} (${run.started} to ${run.finished})`];
  for (const t of run.transfers) {
    const how = t.kind === 'incremental' ? `incremental from ${t.parent}` : 'full';
    lines.push(
      `  ${t.source} -> ${t.destination}: ${t.snapshot}, ${how}, ${t.bytes} bytes in ${t.seconds.toFixed(1)} s` +
        (t.ok ? '' : ` - FAILED: ${t.error?.message}`),
    );
  }
  if (!run.ok && run.error && run.transfers.length === 0) lines.push(`  ${run.error.message}`);
  return lines.join('\n');
}

function describePrune(reports: PruneReport[], dryRun: boolean): string {
  const lines: string[] = [];
  for (const r of reports) {
    const where = r.side === 'local' ? `${r.source}, local snapshots` : `${r.source} on ${r.destination}`;
    if (r.skipped) {
      lines.push(`${where}: nothing deleted (${r.skipped})`);
      continue;
    }
    lines.push(`${where}: keep ${r.keptCount}, ${dryRun ? 'would remove' : 'removed'} ${r.removed.length}${r.error ? ` - FAILED: ${r.error.message}` : ''}`);
    for (const k of r.kept) lines.push(`  keep    ${k.name}  (${k.reasons.join(', ')})`);
    for (const name of r.removed) lines.push(`  remove  ${name}`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  // The server side has options of its own; it must never fall through to the admin commands.
  if (argv[0] === 'serve' || argv[0] === 'accept-key') return runServeCli(argv);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_PATH },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
      json: { type: 'boolean', default: false },
      'idle-seconds': { type: 'string', default: '120' },
      'dry-run': { type: 'boolean', default: false },
      destination: { type: 'string' },
      snapshot: { type: 'string' },
      path: { type: 'string' },
      to: { type: 'string' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const paths = { configPath: values.config, stateDir: values['state-dir'], runtimeDir: values['runtime-dir'] };
  const print = (json: unknown, human: string) => console.log(values.json ? JSON.stringify(json, null, 2) : human);

  switch (command) {
    case 'daemon':
      await runDaemon({ ...paths, idleSeconds: Number(values['idle-seconds']) });
      return -1;
    case 'run': {
      const run = await runBackup({
        ...paths,
        onProgress: values.json ? undefined : (p) => p.phase !== 'send' && console.error(`${p.phase}: ${p.source}${p.destination ? ` -> ${p.destination}` : ''}`),
      });
      print(run, describeRun(run));
      return run.ok ? 0 : 1;
    }
    case 'status': {
      const status = await readStatus(paths.configPath, paths.stateDir, false);
      const human = [
        status.configured ? `Sources: ${status.sources.join(', ')}` : status.configError?.message ?? 'Not configured.',
        ...status.destinations.map((d) => `Destination ${d.id} (${d.kind}${d.enabled ? '' : ', disabled'}): ${d.label}`),
        status.lastSuccess ? `Last successful backup: ${status.lastSuccess.finished}` : 'No successful backup yet.',
        ...(status.lastRun && !status.lastRun.ok ? [`Last run failed: ${status.lastRun.error?.message}`] : []),
      ].join('\n');
      print(status, human);
      return 0;
    }
    case 'list': {
      const inventory = await withRunContext(paths, false, takeInventory);
      const lines: string[] = [];
      for (const s of inventory.sources) {
        lines.push(s.source, `  local snapshots (${s.snapshots.length}):`, ...s.snapshots.map((x) => `    ${x.name}`));
        for (const d of s.destinations) {
          if (!d.connected) {
            lines.push(`  ${d.destination}: not connected`);
            continue;
          }
          lines.push(`  ${d.destination} (${d.backups.length}):`, ...d.backups.map((b) => `    ${b.name}${b.complete ? '' : '  (incomplete)'}`));
        }
      }
      for (const p of inventory.problems) lines.push(`${p.source}: ${p.error.message}`);
      print(inventory, lines.join('\n'));
      return inventory.problems.length > 0 ? 1 : 0;
    }
    case 'prune': {
      const dryRun = values['dry-run'];
      const history = await new History(paths.stateDir).read();
      const reports = await withRunContext(paths, true, (context) =>
        pruneAll({ ...context, history, now: new Date(), timeZone: systemTimeZone(), dryRun }),
      );
      print({ dryRun, reports }, describePrune(reports, dryRun));
      return reports.some((r) => r.error) ? 1 : 0;
    }
    case 'clean': {
      const reports = await withRunContext(paths, true, cleanDestinations);
      const human = reports
        .map((r) => (r.connected ? `${r.destination}: removed ${r.removed.length} incomplete backup(s)${r.removed.map((n) => `\n  ${n}`).join('')}` : `${r.destination}: not connected`))
        .join('\n');
      print(reports, human);
      return 0;
    }
    case 'restore': {
      const missing = (['destination', 'snapshot', 'path', 'to'] as const).filter((k) => !values[k]);
      if (missing.length) {
        console.error(`restore needs ${missing.map((k) => `--${k}`).join(', ')}\n\n${USAGE}`);
        return 2;
      }
      const target = await restorePath({
        configPath: paths.configPath,
        runtimeDir: paths.runtimeDir,
        destination: values.destination!,
        snapshot: values.snapshot!,
        path: values.path!,
        targetDir: values.to!,
        source: values.source,
      });
      print({ restored: target }, `Restored ${target}`);
      return 0;
    }
    case 'diff': {
      if (positionals.length !== 3) {
        console.error(`diff needs two snapshot names\n\n${USAGE}`);
        return 2;
      }
      const { describeDiff, diffSnapshots } = await import('./diff');
      const request = { from: positionals[1], to: positionals[2], source: values.source, destination: values.destination };
      const result = await withRunContext(paths, false, (context) => diffSnapshots(context, request)).catch((error: unknown) => {
        // A name that is not there is the user's to fix, not "a bug in the calling program".
        if (error instanceof RewindError && error.code === 'InvalidArgs') return error;
        throw error;
      });
      if (result instanceof RewindError) {
        console.error(result.detail);
        return 1;
      }
      print(result, describeDiff(result));
      return 0;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const failure = toRewindError(error);
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(failure.code === 'Internal' ? failure.cause ?? failure : failure.message);
    process.exitCode = 1;
  },
);
