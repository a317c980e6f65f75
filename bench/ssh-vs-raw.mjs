#!/usr/bin/env node
/**
 * Rewind's SSH backup against a hand-run `btrfs send | ssh … btrfs receive`,
 * with and without zstd, over a real sshd on 127.0.0.1, on the same corpus,
 * in the same run. See docs/benchmarks.md ("Over SSH") for what it measures.
 * The tool `rewind-nofilter` is `rewind` against a serve built here with the
 * label filter taken out of its receive pipe (the stream guard feeds
 * `btrfs receive` directly): what the filter costs is rewind / rewind-nofilter.
 *
 *   npm run build && sudo node bench/ssh-vs-raw.mjs [--size-mib N] [--files N] [--repeats R]
 *
 * Everything lives in a temporary folder: loop-backed btrfs images (the
 * source with a `home` subvolume mounted like /home, one destination
 * filesystem per tool), an sshd of its own on a free port with its own host
 * key and authorized_keys, and the helper's state. All of it, the sshd
 * included, is removed or stopped at the end, also on error and Ctrl+C. The
 * report (markdown) goes to stdout, progress to stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { cleanup, createLoopBtrfs, createSource, dropCaches, fmt, log, makeTempDir, median, mkfs, mount, planCorpus, requireRootAndHelper, sh, smallChange, timed, undo, unmount, writeCorpus, yieldToSignals, warnIfLoaded, sendProtocolArgs, machineFacts, loadLine, everySampleTable, useHelperCodeCache } from './lib.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ALL_TOOLS = ['raw', 'raw-zstd', 'rewind', 'rewind-zstd', 'rewind-nofilter'];
const DEFAULT_TOOLS = ['raw', 'raw-zstd', 'rewind', 'rewind-zstd'];
const USAGE = `Usage: sudo node bench/ssh-vs-raw.mjs [--size-mib N] [--files N] [--repeats R] [--tools LIST] [--json FILE] [--helper FILE]

  --size-mib N    corpus size in MiB (default 512)
  --files N       number of small files (default 20000 per GiB of corpus)
  --repeats R     measurements per job and tool; the median is reported (default 3)
  --tools LIST    comma-separated subset of ${ALL_TOOLS.join(',')} (default ${DEFAULT_TOOLS.join(',')})
  --helper FILE   the bundled helper to run (default dist/helper/rewind-helper.cjs, made by "npm run build")
  --json FILE     also write every sample and the machine facts as JSON

  raw          btrfs send | ssh root@127.0.0.1 btrfs receive DIR
  raw-zstd     btrfs send | zstd -3 -T0 | ssh root@127.0.0.1 'zstd -d | btrfs receive DIR'
  rewind       rewind-helper run, an "ssh" destination with "compression": "none"
  rewind-zstd  the same with "compression": "zstd" (Rewind's choice for a host that is not loopback)
  rewind-nofilter  rewind, with the server's serve built from this checkout without the label filter`;

const { values: opts } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '512' },
    files: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    tools: { type: 'string', default: DEFAULT_TOOLS.join(',') },
    json: { type: 'string' },
    helper: { type: 'string', default: path.join(REPO, 'dist/helper/rewind-helper.cjs') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const SIZE_MIB = Number(opts['size-mib']);
const FILES = opts.files !== undefined ? Number(opts.files) : Math.round((20000 * SIZE_MIB) / 1024);
const REPEATS = Number(opts.repeats);
const TOOLS = opts.tools.split(',').map((t) => t.trim());
if (!(SIZE_MIB >= 16) || !(FILES >= 0) || !(REPEATS >= 1) || TOOLS.some((t) => !ALL_TOOLS.includes(t))) {
  console.error(USAGE);
  process.exit(2);
}
const HELPER = path.resolve(opts.helper);
const JOBS = ['full', 'incremental'];
const CLK_TCK = Number(sh('getconf', ['CLK_TCK']).trim()) || 100;

// ---------------------------------------------------------------- serve without the filter

/**
 * The helper as `npm run build` makes it, but with serve's receive pipe
 * `guard → btrfs receive` instead of `guard → filter → btrfs receive`
 * (src/helper/serve/receive.ts). Built for this run only, into `dir`; the
 * source text is changed at build time and the build fails if the two
 * pipelines are not found as written.
 */
async function buildWithoutFilter(dir) {
  const { bundleOptions } = await import(path.join(REPO, 'build-aux/bundle-options.mjs'));
  const options = bundleOptions(REPO, dir);
  const withoutFilter = {
    name: 'serve-without-label-filter',
    setup(build) {
      build.onLoad({ filter: /src[\\/]helper[\\/]serve[\\/]receive\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const changed = text
          .replace('pipeline(unzip.stdout!, guard, filter, receive.stdin!)', 'pipeline(unzip.stdout!, guard, receive.stdin!)')
          .replace('pipeline(guard, filter, receive.stdin!)', 'pipeline(guard, receive.stdin!)');
        if ((changed.match(/guard, receive\.stdin!/g) ?? []).length !== 2) throw new Error('src/helper/serve/receive.ts no longer has the two receive pipelines this bench takes the filter out of; update buildWithoutFilter.');
        return { contents: changed, loader: 'ts' };
      });
    },
  };
  for (const name of ['launcher', 'helper']) await build({ ...options[name], plugins: [withoutFilter] });
  // As installed: the native modules beside the bundle.
  if (!existsSync(path.join(dir, 'node_modules'))) spawnSync('ln', ['-s', path.join(REPO, 'node_modules'), path.join(dir, 'node_modules')]);
  return path.join(dir, 'helper/rewind-helper.cjs');
}

// ---------------------------------------------------------------- sshd

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function makeKey(file, comment) {
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return file;
}

function otherSshdRunning() {
  return readdirSync('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd';
    } catch {
      return false;
    }
  });
}

/** An sshd on 127.0.0.1 for this run only, stopped by the undo steps. */
async function startSshd(dir) {
  mkdirSync(dir, { mode: 0o700 });
  const hostKey = makeKey(path.join(dir, 'ssh_host_ed25519_key'), 'rewind-bench-host');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, '', { mode: 0o600 });
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 });
    // Left in place while any other sshd runs: it is their privilege separation directory too.
    undo.push({ what: 'remove /run/sshd', fn: () => otherSshdRunning() || rmdirSync('/run/sshd') });
  }
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowUsers root',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'X11Forwarding no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  sh('/usr/sbin/sshd', ['-t', '-f', config]);
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  undo.push({
    what: `stop sshd ${child.pid}`,
    fn: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // Wait (synchronously: cleanup may run from a signal handler) until it is gone or a zombie.
      for (let i = 0; i < 50; i++) {
        const stat = existsSync(`/proc/${child.pid}/stat`) ? readFileSync(`/proc/${child.pid}/stat`, 'utf8') : '';
        if (!stat || /\) Z /.test(stat)) return;
        spawnSync('sleep', ['0.1']);
      }
      throw new Error(`sshd ${child.pid} did not stop`);
    },
  });
  // Listening once a connection attempt gets an SSH banner.
  for (let i = 0; ; i++) {
    const r = spawnSync('ssh-keyscan', ['-T', '2', '-p', String(port), '127.0.0.1'], { encoding: 'utf8' });
    if (r.stdout.includes('ssh-ed25519')) break;
    if (i > 50 || child.exitCode !== null) throw new Error(`sshd did not start: ${stderr}`);
    spawnSync('sleep', ['0.1']);
  }
  return { port, pid: child.pid, authorizedKeys, hostKeyPub: `${hostKey}.pub` };
}

/** CPU seconds (user + system) of the sshd's connections that have ended: the server side of every transfer. */
function serverCpu(sshd) {
  const stat = readFileSync(`/proc/${sshd.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime, fields 16 and 17 of /proc/PID/stat (the 14th and 15th after the name).
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

// ---------------------------------------------------------------- main

async function main() {
  requireRootAndHelper('creates loop devices, mounts btrfs images and runs sshd as root', TOOLS.some((t) => t.startsWith('rewind')) ? HELPER : undefined);
  for (const command of ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/zstd']) {
    if (!existsSync(command)) {
      console.error(`${command} is missing (apt-get install openssh-server openssh-client zstd).`);
      process.exit(2);
    }
  }
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  if (!gnuTime) log('note: /usr/bin/time is missing (apt-get install time), so client CPU time is not measured');

  const began = process.hrtime.bigint();
  warnIfLoaded();
  const protoArgs = sendProtocolArgs();
  const machine = machineFacts(protoArgs, {
    openssh: spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim(),
    zstd: sh('zstd', ['--version']).trim(),
  });

  const tmp = makeTempDir('rewind-bench-ssh-');
  useHelperCodeCache(tmp);
  const corpus = planCorpus(SIZE_MIB, FILES);
  const corpusMiB = corpus.bytes / 2 ** 20;
  const imageMiB = Math.max(2048, Math.ceil(corpusMiB * 1.5 + 1024));
  log(`corpus: ${corpus.small.length} small files (1–64 KiB) and ${corpus.large.length} large ones, ${fmt(corpusMiB, 0)} MiB in all`);
  const { srcTop, home } = createSource(tmp, imageMiB, 'noatime');
  const genStart = process.hrtime.bigint();
  await writeCorpus(home, corpus);
  const genSeconds = Number(process.hrtime.bigint() - genStart) / 1e9;
  sh('sync', []);
  log(`corpus written in ${fmt(genSeconds, 1)} s`);

  // One destination filesystem per tool, recreated before every repeat, each mounted (the server's disk).
  const dest = {};
  const destTop = {};
  for (const tool of TOOLS) {
    dest[tool] = createLoopBtrfs(tmp, `bench-dest-${tool}`, imageMiB);
    destTop[tool] = path.join(tmp, `dest-${tool}`);
  }

  // The server: sshd with two kinds of key. A plain one for the hand-run pipeline, and the helper's, installed by accept-key.
  const sshd = await startSshd(path.join(tmp, 'sshd'));
  const knownHosts = path.join(tmp, 'known_hosts');
  const [keyType, keyBlob] = readFileSync(sshd.hostKeyPub, 'utf8').split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${keyType} ${keyBlob}\n`);
  const rawKey = makeKey(path.join(tmp, 'raw_key'), 'bench-raw');
  writeFileSync(sshd.authorizedKeys, readFileSync(`${rawKey}.pub`));
  const rawSsh = [
    'ssh', '-F', '/dev/null', '-i', rawKey, '-p', String(sshd.port),
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR', 'root@127.0.0.1',
  ];
  const rewindTools = TOOLS.filter((t) => t.startsWith('rewind'));
  const state = {};
  const serveHelperOf = (bundle, name) => {
    const file = path.join(tmp, name);
    writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@" --runtime-dir '${path.join(tmp, 'serve-run')}'\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const serveHelper = serveHelperOf(HELPER, 'rewind-helper');
  const noFilterHelper = TOOLS.includes('rewind-nofilter') ? serveHelperOf(await buildWithoutFilter(path.join(tmp, 'nofilter-build')), 'rewind-helper-nofilter') : undefined;
  for (const tool of rewindTools) {
    // One helper state (so one key and one host name) per Rewind variant: each has its own destination filesystem and serve root.
    state[tool] = {
      dir: path.join(tmp, `state-${tool}`),
      runtime: path.join(tmp, `run-${tool}`),
      config: path.join(tmp, `${tool}.json`),
      root: path.join(destTop[tool], 'rewind'),
      host: `bench-${tool}`,
    };
  }
  const helperCli = (tool, args) => [HELPER, ...args, '--config', state[tool].config, '--state-dir', state[tool].dir, '--runtime-dir', state[tool].runtime];
  const writeConfig = (tool) =>
    writeFileSync(
      state[tool].config,
      `${JSON.stringify({
        version: 1,
        hostName: state[tool].host,
        sources: [{ path: home }],
        destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: state[tool].root, compression: tool === 'rewind-zstd' ? 'zstd' : 'none' }],
        retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } },
      }, null, 2)}\n`,
    );
  const samples = [];
  const rawParent = {};
  const rawSnaps = path.join(srcTop, 'raw-snapshots');

  /** Before each repeat: no snapshots on the source, new empty destination filesystems, no history. */
  function reset() {
    const victims = sh('btrfs', ['subvolume', 'list', srcTop])
      .split('\n')
      .map((l) => /path (.*)$/.exec(l)?.[1])
      .filter((p) => p && p !== 'home')
      .map((p) => path.join(srcTop, p));
    if (victims.length > 0) sh('btrfs', ['subvolume', 'delete', '--commit-after', ...victims]);
    sh('btrfs', ['subvolume', 'sync', srcTop]);
    for (const tool of TOOLS) {
      if (existsSync(destTop[tool])) unmount(destTop[tool]);
      mkfs(dest[tool].device, dest[tool].name);
      mount(dest[tool].device, destTop[tool], 'subvolid=5,noatime');
      if (tool.startsWith('raw')) {
        mkdirSync(path.join(destTop[tool], 'raw'));
        mkdirSync(path.join(rawSnaps, tool), { recursive: true });
        rawParent[tool] = undefined;
      } else {
        mkdirSync(state[tool].root, { mode: 0o700 });
        // Keep the key and the pinned host key; forget the runs.
        rmSync(path.join(state[tool].dir, 'history.json'), { force: true });
      }
    }
  }

  // The serve roots must exist before accept-key names them.
  reset();
  for (const tool of rewindTools) {
    writeConfig(tool);
    // What a user does once: ssh-setup, accept-key on the server, ssh-probe, compare, ssh-trust.
    const setup = JSON.parse(sh(process.execPath, [...helperCli(tool, ['ssh-setup', '--path', state[tool].root, '--json'])]));
    const forced = tool === 'rewind-nofilter' ? noFilterHelper : serveHelper;
    const accepted = spawnSync(process.execPath, [HELPER, 'accept-key', '--root', state[tool].root, '--host', state[tool].host, '--authorized-keys', sshd.authorizedKeys, '--helper', forced], {
      input: `${setup.publicKey}\n`,
      encoding: 'utf8',
    });
    if (accepted.status !== 0) throw new Error(`accept-key failed: ${accepted.stderr}`);
    // ssh-probe exits 1 while the key is not trusted yet.
    const probe = JSON.parse(sh(process.execPath, helperCli(tool, ['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']), { allowFail: true }).stdout);
    if (probe.state !== 'unknown') throw new Error(`ssh-probe: expected an unknown key, found ${JSON.stringify(probe)}`);
    const expected = sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', sshd.hostKeyPub]).split(' ')[1];
    if (probe.fingerprint !== expected) throw new Error(`ssh-probe showed ${probe.fingerprint}, the server's key is ${expected}`);
    sh(process.execPath, helperCli(tool, ['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]));
  }

  /**
   * One measured command: wall time by the monotonic clock; CPU time of the
   * client (the command and every process it waited for, from GNU time) and
   * of the server (what the sshd's finished connections used: sshd, serve or
   * the shell, zstd -d, btrfs receive), as the growth of the listening sshd's
   * children's CPU time.
   */
  const usageFile = path.join(tmp, 'usage.txt');
  function measured(file, args) {
    const server0 = serverCpu(sshd);
    const { seconds, value: stdout } = timed(() => (gnuTime ? sh(gnuTime, ['-f', '%U %S', '-o', usageFile, file, ...args]) : sh(file, args)));
    // The connection's processes are reaped (and counted) just after the client sees the end.
    spawnSync('sleep', ['0.2']);
    const server = serverCpu(sshd) - server0;
    if (!gnuTime) return { seconds, server, stdout };
    const [user, system] = readFileSync(usageFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { seconds, client: user + system, server, cpu: user + system + server, stdout };
  }

  const measure = {};
  for (const tool of ['raw', 'raw-zstd']) {
    measure[tool] = (job, repeat) => {
      const snap = path.join(rawSnaps, tool, `home.${repeat}.${JOBS.indexOf(job)}`);
      const snapshot = timed(() => sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(srcTop, 'home'), snap]));
      const sendArgs = [...protoArgs, ...(rawParent[tool] ? ['-p', rawParent[tool]] : []), snap];
      const target = path.join(destTop[tool], 'raw');
      // The server flushes before it answers, as Rewind's serve does; the remote command is one shell-safe string.
      const remote = tool === 'raw-zstd' ? `zstd -d -q -c | btrfs receive -q ${target} && btrfs filesystem sync ${target}` : `btrfs receive -q ${target} && btrfs filesystem sync ${target}`;
      const pipeline = tool === 'raw-zstd' ? 'btrfs send -q "${@:2}" | zstd -q -c -3 -T0 | "${SSH[@]}" "$REMOTE"' : 'btrfs send -q "${@:2}" | "${SSH[@]}" "$REMOTE"';
      const transfer = measured('bash', ['-c', `set -o pipefail; SSH=(${rawSsh.map((a) => `'${a}'`).join(' ')}); REMOTE="$1"; ${pipeline}`, 'bash', remote, ...sendArgs]);
      const kind = rawParent[tool] ? 'incremental' : 'full';
      rawParent[tool] = snap;
      return { seconds: snapshot.seconds + transfer.seconds, client: transfer.client, server: transfer.server, cpu: transfer.cpu, snapshot: snapshot.seconds, transfer: transfer.seconds, kind };
    };
  }
  for (const tool of rewindTools) {
    measure[tool] = () => {
      const run = measured(process.execPath, [...helperCli(tool, ['run', '--json'])]);
      const record = JSON.parse(run.stdout);
      const t = record.transfers[0];
      if (!record.ok || !t?.ok) throw new Error(`rewind-helper run failed: ${JSON.stringify(record.error ?? t?.error)}`);
      return { seconds: run.seconds, client: run.client, server: run.server, cpu: run.cpu, transfer: t.seconds, bytes: t.bytes, wireBytes: t.wireBytes, kind: t.kind };
    };
  }

  for (let repeat = 0; repeat < REPEATS; repeat++) {
    log(`repeat ${repeat + 1}/${REPEATS}: new destination filesystems, no snapshots`);
    await yieldToSignals();
    reset();
    const order = TOOLS.map((_, i) => TOOLS[(i + repeat) % TOOLS.length]);
    for (const job of JOBS) {
      if (job === 'incremental') smallChange(home, corpus, repeat);
      for (const tool of order) {
        await yieldToSignals();
        dropCaches();
        const load = os.loadavg()[0];
        const sample = { repeat, job, tool, load, ...measure[tool](job, repeat) };
        if (sample.kind !== job) throw new Error(`${tool} made a ${sample.kind} backup for the ${job} job`);
        samples.push(sample);
        log(
          `  ${job.padEnd(11)} ${tool.padEnd(11)} ${fmt(sample.seconds)} s, CPU client ${fmt(sample.client, 2)} s + server ${fmt(sample.server, 2)} s, load ${fmt(load, 2)}` +
            (tool.startsWith('raw') ? `  (snapshot ${fmt(sample.snapshot)}, send|ssh|receive ${fmt(sample.transfer)})` : `  (transfer ${fmt(sample.transfer)}, ${sample.bytes} bytes, ${sample.wireBytes} on the wire)`),
        );
      }
    }
  }
  machine.loadEnd = os.loadavg();
  const totalSeconds = Number(process.hrtime.bigint() - began) / 1e9;

  // ------------------------------------------------------------ report
  const med = (tool, job, key = 'seconds') => {
    const xs = samples.filter((s) => s.tool === tool && s.job === job).map((s) => s[key]).filter((x) => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const out = [];
  out.push(`#### Results (median of ${REPEATS}; seconds)`, '');
  out.push(
    `Corpus: ${fmt(corpusMiB, 0)} MiB: ${corpus.small.length} small files of 1–64 KiB (half random, half hex text), ` +
      `${corpus.large.length} incompressible files of ${fmt(corpus.large[0].size / 2 ** 20, 0)} MiB. Send: ${machine.sendProtocol} (every tool). ` +
      'Wall time includes the snapshot for every tool; CPU is client + server (sshd and everything under it).',
    '',
  );
  const head = ['job', ...TOOLS.map((t) => `**${t}** wall`), ...TOOLS.map((t) => `${t} CPU`)];
  const pairs = [['rewind', 'raw'], ['rewind-zstd', 'raw-zstd'], ['rewind', 'rewind-nofilter']].filter(([x, y]) => TOOLS.includes(x) && TOOLS.includes(y));
  for (const [x, y] of pairs) head.push(`${x}/${y} wall`, `${x}/${y} CPU`);
  out.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const job of JOBS) {
    const row = [job, ...TOOLS.map((t) => `**${fmt(med(t, job))}**`), ...TOOLS.map((t) => fmt(med(t, job, 'cpu'), 2))];
    for (const [x, y] of pairs) row.push(`${fmt(med(x, job) / med(y, job), 2)}×`, `${fmt(med(x, job, 'cpu') / med(y, job, 'cpu'), 2)}×`);
    out.push(`| ${row.join(' | ')} |`);
  }
  out.push('');
  out.push('CPU split (median seconds, client / server):', '');
  out.push(`| job | ${TOOLS.join(' | ')} |`, `| --- | ${TOOLS.map(() => '---').join(' | ')} |`);
  for (const job of JOBS) out.push(`| ${job} | ${TOOLS.map((t) => `${fmt(med(t, job, 'client'), 2)} / ${fmt(med(t, job, 'server'), 2)}`).join(' | ')} |`);
  out.push('');
  const rw = rewindTools.filter((t) => samples.some((s) => s.tool === t && s.wireBytes));
  if (rw.length) {
    out.push('Rewind stream and wire bytes (median MiB):', '', '| job | ' + rw.map((t) => `${t} stream / wire`).join(' | ') + ' |', `| --- | ${rw.map(() => '---').join(' | ')} |`);
    for (const job of JOBS) out.push(`| ${job} | ${rw.map((t) => `${fmt(med(t, job, 'bytes') / 2 ** 20, 1)} / ${fmt(med(t, job, 'wireBytes') / 2 ** 20, 1)}`).join(' | ')} |`);
    out.push('');
  }
  out.push('#### Machine', '');
  out.push(
    `- CPU: ${machine.cpu}, ${machine.nproc} cores; ${machine.memGiB} GiB RAM`,
    `- kernel ${machine.kernel}; ${machine.btrfsProgs}; ${machine.openssh}; ${machine.zstd}; Node ${machine.node}`,
    loadLine(machine, samples),
    `- benchmark run time: ${fmt(totalSeconds, 0)} s (corpus generation ${fmt(genSeconds, 0)} s)`,
    '',
  );
  out.push('#### Every sample (seconds of wall time)', '', ...everySampleTable(samples, JOBS, TOOLS, REPEATS));
  console.log(out.join('\n'));
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ machine, corpus: { mib: corpusMiB, small: corpus.small.length, large: corpus.large.length }, argv: process.argv.slice(2), totalSeconds, samples }, null, 2)}\n`);
}

try {
  await main();
} catch (error) {
  log(`benchmark failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
