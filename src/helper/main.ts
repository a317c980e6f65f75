import { parseArgs } from 'node:util';
import { toRewindError } from '../core/errors';
import { DEFAULT_CONFIG_PATH, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR } from '../core/ids';
import type { RunRecord } from '../core/status';
import { runDaemon } from './daemon';
import { runBackup } from './engine';
import { restorePath } from './restore';
import { readStatus } from './status';

const USAGE = `Usage: rewind-helper COMMAND [OPTIONS]

Commands:
  daemon                 serve the Rewind D-Bus interface on the system bus
  run                    back up every source to every enabled destination now
  status                 show the configuration and the last runs
  restore --destination ID --snapshot NAME --path PATH --to DIR [--source DIR]
                         copy PATH out of a backup into DIR

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

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_PATH },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
      json: { type: 'boolean', default: false },
      'idle-seconds': { type: 'string', default: '120' },
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
