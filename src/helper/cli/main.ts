import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RewindError, toRewindError } from '../../core/errors';
import { DEFAULT_CONFIG_PATH, DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR } from '../../core/ids';
import type { PruneReport, RunRecord } from '../../core/status';
import { SERVE_USAGE } from '../serve/usage';

const USAGE = `Usage: rewind-helper COMMAND [OPTIONS]

Commands:
  daemon                 serve the Rewind D-Bus interface on the system bus
  run [--scheduled]      back up every source to every enabled destination now;
                         --scheduled (the timer): first check the configured
                         conditions (battery, metered network) and maybe wait
  schedule [--unit-dir DIR] [--systemd-root DIR]
                         write rewind-backup.timer from the configured schedule
                         and enable it (or disable it for "manual")
  status                 show the configuration and the last runs
  list                   list local snapshots and each destination's backups
  prune [--dry-run]      apply retention now; --dry-run only shows what it would do
  clean                  remove what interrupted runs left on the destinations
  restore --destination ID --snapshot NAME --path PATH --to DIR [--source DIR] [--key FILE]
                         copy PATH out of a backup into DIR (--key: the recovery
                         key of an encrypted stream-file destination)
  restore-subvolume --into DIR (--destination ID --snapshot NAME | --backup PATH)
                    [--subvolume NAME] [--source DIR] [--key FILE]
                         bring a whole subvolume back as a new subvolume beside the
                         current one on the btrfs filesystem of DIR, and print the
                         steps to switch to it (works from a live USB with --backup)
  verify [--destination ID] [--key FILE]
                         check every stream file (checksums, and every command's
                         CRC) without restoring anything; names the first bad file
  new-key --destination ID
                         make the encryption key of a stream-file destination and
                         show its recovery key, once
  ssh-setup --path DIR   make this computer's SSH key if needed, and show the line
                         to install on a server whose backup folder is DIR
  ssh-probe --host H [--port P]
                         show the server's host key fingerprint and whether it is trusted
  ssh-trust --host H [--port P] --fingerprint SHA256:...
                         trust the server's key, only if it has that fingerprint
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
    if (t.kind === 'up-to-date' && t.ok) {
      lines.push(`  ${t.source} -> ${t.destination}: up to date, nothing changed since ${t.snapshot}`);
      continue;
    }
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
  if (argv[0] === 'serve' || argv[0] === 'accept-key') return (await import('../serve/cli')).runServeCli(argv);
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
      key: { type: 'string' },
      into: { type: 'string' },
      backup: { type: 'string' },
      subvolume: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      fingerprint: { type: 'string' },
      scheduled: { type: 'boolean', default: false },
      'unit-dir': { type: 'string' },
      'systemd-root': { type: 'string' },
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
    // Each command loads only its own modules: a backup run from the timer
    // should not pay for the D-Bus library or the server side.
    case 'daemon': {
      const { runDaemon } = await import('../dbus/daemon');
      await runDaemon({ ...paths, idleSeconds: Number(values['idle-seconds']) });
      return -1;
    }
    case 'run': {
      if (values.scheduled) {
        const { scheduledRunWaits } = await import('./scheduled-run');
        const reason = await scheduledRunWaits(paths.configPath, paths.stateDir);
        if (reason) {
          print({ postponed: reason }, `Backup postponed: ${reason}. The next scheduled time tries again.`);
          return 0;
        }
      }
      const { runBackup } = await import('../engine/engine');
      // Ctrl+C or a service stop: cancel cleanly (partial backups removed, the run recorded) instead of dying mid-transfer.
      const abort = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
      const run = await runBackup({
        signal: abort.signal,
        ...paths,
        onProgress: values.json ? undefined : (p) => p.phase !== 'send' && console.error(`${p.phase}: ${p.source}${p.destination ? ` -> ${p.destination}` : ''}`),
      });
      print(run, describeRun(run));
      // Everything is recorded and printed (stdout and stderr are written synchronously): leave
      // without the heap's teardown, a few tens of milliseconds of a run that otherwise takes well under a second.
      exitAtOnce = true;
      return run.ok ? 0 : 1;
    }
    case 'status': {
      const { readStatus } = await import('../engine/status');
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
      const [{ withRunContext }, { takeInventory }] = await Promise.all([import('../engine/run-context'), import('../engine/inventory')]);
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
      const [{ withRunContext }, { History }, { pruneAll, systemTimeZone }] = await Promise.all([
        import('../engine/run-context'),
        import('../engine/history'),
        import('../engine/prune'),
      ]);
      const dryRun = values['dry-run'];
      const history = await new History(paths.stateDir).read();
      const reports = await withRunContext(paths, true, (context) =>
        pruneAll({ ...context, history, now: new Date(), timeZone: systemTimeZone(), dryRun }),
      );
      print({ dryRun, reports }, describePrune(reports, dryRun));
      return reports.some((r) => r.error) ? 1 : 0;
    }
    case 'clean': {
      const [{ withRunContext }, { cleanDestinations }] = await Promise.all([import('../engine/run-context'), import('../engine/clean')]);
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
      const { restorePath } = await import('../restore/restore');
      const target = await restorePath({
        configPath: paths.configPath,
        runtimeDir: paths.runtimeDir,
        destination: values.destination!,
        snapshot: values.snapshot!,
        path: values.path!,
        targetDir: values.to!,
        source: values.source,
        stateDir: paths.stateDir,
        keyFile: values.key,
      });
      print({ restored: target }, `Restored ${target}`);
      return 0;
    }
    case 'restore-subvolume': {
      if (!values.into) {
        console.error(`restore-subvolume needs --into\n\n${USAGE}`);
        return 2;
      }
      const { restoreSubvolume } = await import('../restore/restore-subvolume');
      const result = await restoreSubvolume({
        runtimeDir: paths.runtimeDir,
        stateDir: paths.stateDir,
        into: values.into,
        subvolume: values.subvolume,
        // From a live USB there is no configuration; --backup needs none.
        configPath: values.destination || existsSync(paths.configPath) ? paths.configPath : undefined,
        destination: values.destination,
        snapshot: values.snapshot,
        source: values.source,
        backup: values.backup,
        keyFile: values.key,
      });
      print(result, [`Restored as ${result.subvolume} (from ${result.snapshot}) on ${result.device}. To switch to it:`, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n'));
      return 0;
    }
    case 'schedule': {
      const [{ loadConfig }, { applySchedule }, { nextRun, onCalendar }, { systemTimeZone }] = await Promise.all([
        import('../config/config-file'),
        import('../system/timer'),
        import('../../core/schedule'),
        import('../system/time-zone'),
      ]);
      const { schedule } = await loadConfig(paths.configPath);
      const applied = await applySchedule(schedule, { unitDir: values['unit-dir'], systemdRoot: values['systemd-root'] });
      const next = nextRun(schedule, new Date(), systemTimeZone());
      print(
        { ...applied, onCalendar: onCalendar(schedule), nextRun: next?.toISOString() },
        applied.enabled
          ? `Automatic backups: OnCalendar=${onCalendar(schedule)} in ${applied.unitFile}; next at ${next?.toString()}.`
          : 'Automatic backups are off (manual schedule); the timer is disabled.',
      );
      return 0;
    }
    case 'verify': {
      const [{ withRunContext }, { verifyDestinations }] = await Promise.all([import('../engine/run-context'), import('../destinations/stream-files/verify')]);
      const reports = await withRunContext(paths, true, (context) => verifyDestinations(context, values.destination, values.key));
      const human = reports
        .map((r) => `${r.destination}: ${r.problem ? `DAMAGED: ${r.problem}` : r.connected ? `${r.streams} stream(s), all good` : 'not connected'}`)
        .join('\n');
      print(reports, human);
      return reports.some((r) => r.problem || !r.connected) ? 1 : 0;
    }
    case 'new-key': {
      if (!values.destination) {
        console.error(`new-key needs --destination\n\n${USAGE}`);
        return 2;
      }
      const { createKey } = await import('../destinations/stream-files/age-key');
      const key = await createKey(paths.stateDir, values.destination);
      print(
        key,
        [
          `Encryption key for ${values.destination} saved in ${key.file}.`,
          'Recovery key (write it down or store it somewhere safe; it is not shown again):',
          '',
          `  ${key.identity}`,
          '',
          'Without it, the backups cannot be restored on another machine.',
        ].join('\n'),
      );
      return 0;
    }
    case 'ssh-setup': {
      const { parseSetupRequest, setup } = await import('../destinations/ssh/setup');
      const result = await setup(paths, parseSetupRequest(JSON.stringify({ path: values.path })));
      print(result, [
        `This computer backs up as "${result.host}". Its key:`,
        `  ${result.publicKey}`,
        'On the server, as root, run:',
        `  ${result.acceptKeyCommand}`,
        'or add this line to /root/.ssh/authorized_keys there:',
        `  ${result.authorizedKeysLine}`,
      ].join('\n'));
      return 0;
    }
    case 'ssh-probe':
    case 'ssh-trust': {
      const { parseProbeRequest, parseTrustRequest, probe, trust } = await import('../destinations/ssh/setup');
      const port = values.port === undefined ? undefined : /^\d+$/.test(values.port) ? Number(values.port) : values.port;
      if (command === 'ssh-probe') {
        const result = await probe(paths, parseProbeRequest(JSON.stringify({ host: values.host, port })));
        const human = [`${result.host} port ${result.port}: ${result.keyType} key ${result.fingerprint}`];
        if (result.state === 'known') human.push('This key is trusted.');
        if (result.state === 'unknown') {
          human.push(
            'This key is not trusted yet. Compare the fingerprint with the one the server shows',
            '(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then run:',
            `  rewind-helper ssh-trust --host ${result.host} --port ${result.port} --fingerprint ${result.fingerprint}`,
          );
        }
        if (result.state === 'changed') {
          human.push(
            `WARNING: this is not the key trusted before (${result.pinnedFingerprint}).`,
            'If the server was reinstalled, check the new fingerprint on the server before trusting it;',
            'otherwise someone may be intercepting the connection.',
          );
        }
        print(result, human.join('\n'));
        return result.state === 'known' ? 0 : 1;
      }
      const result = await trust(paths, parseTrustRequest(JSON.stringify({ host: values.host, port, fingerprint: values.fingerprint })));
      print(result, `Trusted the ${result.keyType} key ${result.fingerprint} of ${result.host} port ${result.port}.`);
      return 0;
    }
    case 'diff': {
      if (positionals.length !== 3) {
        console.error(`diff needs two snapshot names\n\n${USAGE}`);
        return 2;
      }
      const [{ withRunContext }, { describeDiff, diffSnapshots }] = await Promise.all([import('../engine/run-context'), import('../restore/diff')]);
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

let settled = false;
let exitAtOnce = false;
// Node exits with status 0 when nothing is left to wait for, even if main()
// never finished (a promise nobody will settle). That must not pass for success.
process.on('exit', () => {
  if (settled) return;
  console.error('rewind-helper: internal error: the command stopped before it finished. This is a bug in Rewind; please report it.');
  process.exitCode = 70;
});

main(process.argv.slice(2)).finally(() => (settled = true)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
    if (exitAtOnce) process.exit();
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
