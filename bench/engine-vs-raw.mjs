#!/usr/bin/env node
/**
 * Rewind against raw `btrfs send | btrfs receive` and btrbk, on the same
 * corpus, in the same run. See docs/benchmarks.md for what it measures.
 *
 *   npm run build && sudo node bench/engine-vs-raw.mjs [--size-mib N] [--files N] [--repeats R]
 *
 * Everything lives in a temporary folder: loop-backed btrfs images (one
 * source with a `home` subvolume mounted like /home, one destination
 * filesystem per tool), mounts and files are removed at the end, also on
 * error and Ctrl+C. The report (markdown) goes to stdout, progress to stderr.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { btrbkConfig, cleanup, createLoopBtrfs, createSource, deleteSubvolumesExcept, dropCaches, fmt, has, log, makeTempDir, median, mkfs, mount, planCorpus, requireRootAndHelper, rewindConfig, sh, smallChange, timed, unmount, writeCorpus, yieldToSignals, warnIfLoaded, sendProtocolArgs, machineFacts, loadLine, everySampleTable, helperNodeFlags, useHelperCodeCache } from './lib.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const USAGE = `Usage: sudo node bench/engine-vs-raw.mjs [--size-mib N] [--files N] [--repeats R] [--compress ALG] [--json FILE] [--tools LIST] [--helper FILE]

  --size-mib N    corpus size in MiB (default 1024)
  --files N       number of small files (default 20000 per GiB of corpus)
  --repeats R     measurements per job and tool; the median is reported (default 3)
  --compress ALG  mount the source with compress=ALG (e.g. zstd:1, as Fedora does); default: no compression
  --tools LIST    comma-separated subset of raw,rewind,btrbk (default all three)
  --helper FILE   the bundled helper to run (default dist/helper/rewind-helper.cjs, made by "npm run build")
  --json FILE     also write every sample and the machine facts as JSON`;

const { values: opts } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    compress: { type: 'string' },
    tools: { type: 'string', default: 'raw,rewind,btrbk' },
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
if (!(SIZE_MIB >= 16) || !(FILES >= 0) || !(REPEATS >= 1) || TOOLS.some((t) => !['raw', 'rewind', 'btrbk'].includes(t))) {
  console.error(USAGE);
  process.exit(2);
}
const HELPER = path.resolve(opts.helper);
const JOBS = ['full', 'incremental', 'no change'];

// ---------------------------------------------------------------- main

async function main() {
  requireRootAndHelper('creates loop devices and mounts btrfs images', TOOLS.includes('rewind') ? HELPER : undefined);
  if (TOOLS.includes('btrbk') && !has('btrbk')) {
    console.error('btrbk is not installed (apt-get install btrbk), or leave it out with --tools raw,rewind.');
    process.exit(2);
  }
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  if (!gnuTime) log('note: /usr/bin/time is missing (apt-get install time), so CPU time and peak RSS are not measured');

  const began = process.hrtime.bigint();
  warnIfLoaded();
  // The same choice as src/helper/system/send-capabilities.ts, so raw sends what Rewind sends.
  const protoArgs = sendProtocolArgs();
  const machine = { ...machineFacts(protoArgs, { btrbk: has('btrbk') ? sh('btrbk', ['--version']).trim() : 'not installed' }), tmp: '' };

  const tmp = makeTempDir('rewind-bench-');
  useHelperCodeCache(tmp);
  machine.tmp = `${tmp} on ${sh('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', tmp]).trim().replace(/\s+/, ' ')}`;

  // Source: a filesystem whose subvolume "home" is mounted like /home; its top level is mounted too, for raw and btrbk.
  const corpus = planCorpus(SIZE_MIB, FILES);
  const corpusMiB = corpus.bytes / 2 ** 20;
  const imageMiB = Math.max(2048, Math.ceil(corpusMiB * 1.5 + 1024));
  log(`corpus: ${corpus.small.length} small files (1–64 KiB) and ${corpus.large.length} large ones, ${fmt(corpusMiB, 0)} MiB in all`);
  const sourceOptions = `noatime${opts.compress ? `,compress=${opts.compress}` : ''}`;
  const { srcTop, home } = createSource(tmp, imageMiB, sourceOptions);
  const genStart = process.hrtime.bigint();
  await writeCorpus(home, corpus);
  const genSeconds = Number(process.hrtime.bigint() - genStart) / 1e9;
  sh('sync', []);
  log(`corpus written in ${fmt(genSeconds, 1)} s`);

  // One destination filesystem per tool, recreated (mkfs) before every repeat.
  const dest = {};
  for (const tool of TOOLS) dest[tool] = createLoopBtrfs(tmp, `bench-dest-${tool}`, imageMiB);
  const destTop = { raw: path.join(tmp, 'dest-raw'), btrbk: path.join(tmp, 'dest-btrbk') };
  const rawSnaps = path.join(srcTop, 'raw-snapshots');
  const rawTarget = path.join(destTop.raw, 'raw');
  const btrbkSnaps = path.join(srcTop, 'btrbk-snapshots');
  const btrbkTarget = path.join(destTop.btrbk, 'btrbk');
  const btrbkConf = path.join(tmp, 'btrbk.conf');
  writeFileSync(btrbkConf, btrbkConfig(srcTop, btrbkTarget, 'bench/engine-vs-raw.mjs'));
  const rewindConfigFile = path.join(tmp, 'rewind.json');
  const stateDir = path.join(tmp, 'rewind-state');
  const runtimeDir = path.join(tmp, 'rewind-run');

  const samples = [];
  let rawParent;

  /** Before each repeat: no snapshots on the source, empty new destination filesystems. */
  function reset() {
    deleteSubvolumesExcept(srcTop, ['home']);
    mkdirSync(rawSnaps, { recursive: true });
    mkdirSync(btrbkSnaps, { recursive: true });
    rawParent = undefined;
    for (const tool of TOOLS) {
      const d = dest[tool];
      if (destTop[tool] && existsSync(destTop[tool])) unmount(destTop[tool]);
      d.uuid = mkfs(d.device, d.name);
      if (destTop[tool]) mount(d.device, destTop[tool], 'subvolid=5,noatime');
    }
    if (TOOLS.includes('raw')) mkdirSync(rawTarget, { recursive: true });
    if (TOOLS.includes('btrbk')) mkdirSync(btrbkTarget, { recursive: true });
    if (TOOLS.includes('rewind')) {
      rmSync(stateDir, { recursive: true, force: true });
      writeFileSync(rewindConfigFile, rewindConfig(home, dest.rewind.uuid));
    }
  }

  /**
   * Runs one measured command: wall time by the monotonic clock around it,
   * CPU time (user + system, the command and every process it waited for)
   * and peak RSS (its largest process) from GNU time.
   */
  const usageFile = path.join(tmp, 'usage.txt');
  function measured(file, args) {
    const { seconds, value: stdout } = timed(() => (gnuTime ? sh(gnuTime, ['-f', '%U %S %M', '-o', usageFile, file, ...args]) : sh(file, args)));
    if (!gnuTime) return { seconds, stdout };
    const [user, system, rssKiB] = readFileSync(usageFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { seconds, cpu: user + system, rssKiB, stdout };
  }
  const sum = (parts, key) => (parts.every((p) => p[key] !== undefined) ? parts.reduce((s, p) => s + p[key], 0) : undefined);

  const measure = {
    raw(job, repeat) {
      const name = `home.${repeat}.${JOBS.indexOf(job)}`;
      const snap = path.join(rawSnaps, name);
      const snapshot = measured('btrfs', ['subvolume', 'snapshot', '-r', path.join(srcTop, 'home'), snap]);
      const sendArgs = [...protoArgs, ...(rawParent ? ['-p', rawParent] : []), snap];
      const transfer = measured('bash', ['-c', 'set -o pipefail; btrfs send -q "${@:2}" | btrfs receive -q "$1"', 'bash', rawTarget, ...sendArgs]);
      const flush = measured('btrfs', ['filesystem', 'sync', destTop.raw]);
      const kind = rawParent ? 'incremental' : 'full';
      rawParent = snap;
      const parts = [snapshot, transfer, flush];
      return { seconds: sum(parts, 'seconds'), cpu: sum(parts, 'cpu'), snapshot: snapshot.seconds, transfer: transfer.seconds, flush: flush.seconds, kind };
    },
    rewind() {
      const run = measured(process.execPath, [...helperNodeFlags(), HELPER, 'run', '--json', '--config', rewindConfigFile, '--state-dir', stateDir, '--runtime-dir', runtimeDir]);
      const record = JSON.parse(run.stdout);
      const t = record.transfers[0];
      if (!record.ok || !t?.ok) throw new Error(`rewind-helper run failed: ${JSON.stringify(record.error ?? t?.error)}`);
      return { seconds: run.seconds, cpu: run.cpu, rssKiB: run.rssKiB, transfer: t.seconds, bytes: t.bytes, kind: t.kind, protocol: t.protocol };
    },
    btrbk() {
      const run = measured('btrbk', ['-c', btrbkConf, '--format=raw', 'run']);
      const flush = measured('btrfs', ['filesystem', 'sync', destTop.btrbk]);
      // --format=raw prints one transaction line per action; an incremental send names its parent.
      const send = run.stdout.split('\n').find((l) => /type='send-receive' status='success'/.test(l));
      if (!send) throw new Error(`btrbk run made no backup:\n${run.stdout}`);
      const kind = /parent_url='[^']/.test(send) ? 'incremental' : 'full';
      return { seconds: run.seconds + flush.seconds, cpu: sum([run, flush], 'cpu'), btrbk: run.seconds, flush: flush.seconds, kind };
    },
  };

  for (let repeat = 0; repeat < REPEATS; repeat++) {
    log(`repeat ${repeat + 1}/${REPEATS}: new destination filesystems, no snapshots`);
    await yieldToSignals();
    reset();
    // Rotate the order of the tools so none is always first or last.
    const order = TOOLS.map((_, i) => TOOLS[(i + repeat) % TOOLS.length]);
    // Each tool's "no change" run follows its own incremental run at once: the
    // other tools' snapshots of the source in between would be changes to it
    // (a snapshot raises the source's generation), and Rewind then rightly
    // sends an incremental instead of finding itself up to date.
    for (const [job, tool] of [
      ...order.map((t) => ['full', t]),
      ...order.flatMap((t) => [['incremental', t], ['no change', t]]),
    ]) {
      if (job === 'incremental' && tool === order[0]) smallChange(home, corpus, repeat);
      await yieldToSignals();
      dropCaches();
      const load = os.loadavg()[0];
      const sample = { repeat, job, tool, load, ...measure[tool](job, repeat) };
      // With nothing changed, Rewind takes no snapshot and sends nothing ('up-to-date'); raw and btrbk send an empty incremental.
      const expected = job === 'full' ? 'full' : job === 'no change' && tool === 'rewind' ? 'up-to-date' : 'incremental';
      if (sample.kind !== expected) throw new Error(`${tool} made a ${sample.kind} backup for the ${job} job (expected ${expected})`);
      samples.push(sample);
      log(
        `  ${job.padEnd(11)} ${tool.padEnd(6)} ${fmt(sample.seconds)} s, CPU ${fmt(sample.cpu, 2)} s, load ${fmt(load, 2)}` +
          (tool === 'raw' ? `  (snapshot ${fmt(sample.snapshot)}, send|receive ${fmt(sample.transfer)}, flush ${fmt(sample.flush)})` : '') +
          (tool === 'rewind' ? `  (transfer ${fmt(sample.transfer)}, ${sample.bytes} bytes, peak RSS ${sample.rssKiB ?? 'n/a'} KiB)` : '') +
          (tool === 'btrbk' ? `  (btrbk ${fmt(sample.btrbk)}, flush ${fmt(sample.flush)})` : ''),
      );
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
  out.push(`### Results (median of ${REPEATS}; seconds of wall time)`, '');
  out.push(
    `Corpus: ${fmt(corpusMiB, 0)} MiB: ${corpus.small.length} small files of 1–64 KiB in ${Math.ceil(corpus.small.length / 50)} folders, ` +
      `${corpus.large.length} incompressible files of ${fmt(corpus.large[0].size / 2 ** 20, 0)} MiB; source mounted ${sourceOptions}. ` +
      `Send: ${machine.sendProtocol} (raw and Rewind).`,
    '',
  );
  const head = ['job'];
  if (TOOLS.includes('raw')) head.push('raw snapshot', 'raw send\\|receive', 'raw flush', '**raw total**');
  if (TOOLS.includes('rewind')) head.push('**Rewind**', 'Rewind transfer', 'Rewind peak RSS');
  if (TOOLS.includes('btrbk')) head.push('**btrbk**');
  if (TOOLS.includes('raw') && TOOLS.includes('rewind')) head.push('Rewind/raw', 'Rewind − raw');
  if (TOOLS.includes('raw') && TOOLS.includes('btrbk')) head.push('btrbk/raw');
  out.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const job of JOBS) {
    const row = [job];
    const raw = med('raw', job);
    const rewind = med('rewind', job);
    const btrbk = med('btrbk', job);
    if (TOOLS.includes('raw')) row.push(fmt(med('raw', job, 'snapshot')), fmt(med('raw', job, 'transfer')), fmt(med('raw', job, 'flush')), `**${fmt(raw)}**`);
    if (TOOLS.includes('rewind')) {
      const rss = samples.filter((s) => s.tool === 'rewind' && s.job === job && s.rssKiB).map((s) => s.rssKiB);
      row.push(`**${fmt(rewind)}**`, fmt(med('rewind', job, 'transfer')), rss.length ? `${fmt(Math.max(...rss) / 1024, 0)} MiB` : 'n/a');
    }
    if (TOOLS.includes('btrbk')) row.push(`**${fmt(btrbk)}**`);
    if (TOOLS.includes('raw') && TOOLS.includes('rewind')) row.push(`${fmt(rewind / raw, 2)}×`, `${rewind - raw >= 0 ? '+' : ''}${fmt(rewind - raw)}`);
    if (TOOLS.includes('raw') && TOOLS.includes('btrbk')) row.push(`${fmt(btrbk / raw, 2)}×`);
    out.push(`| ${row.join(' | ')} |`);
  }
  out.push('');

  if (samples.some((s) => s.cpu !== undefined)) {
    out.push('CPU time (user + system of each tool and every process it waited for; median seconds):', '');
    out.push(`| job | ${TOOLS.join(' | ')} |`, `| --- | ${TOOLS.map(() => '---').join(' | ')} |`);
    for (const job of JOBS) out.push(`| ${job} | ${TOOLS.map((t) => fmt(med(t, job, 'cpu'), 2)).join(' | ')} |`);
    out.push('');
  }

  if (TOOLS.includes('raw') && TOOLS.includes('rewind')) {
    const raw = (job) => med('raw', job);
    const rw = (job) => med('rewind', job);
    const targets = [
      ['full backup ≤ 1.05 × raw', `${fmt(rw('full'))} s vs ${fmt(1.05 * raw('full'))} s`, rw('full') <= 1.05 * raw('full')],
      ['incremental ≤ raw (snapshot + send\\|receive + flush) + 0.3 s', `${fmt(rw('incremental'))} s vs ${fmt(raw('incremental') + 0.3)} s`, rw('incremental') <= raw('incremental') + 0.3],
      ['no change ≤ raw (snapshot + send\\|receive + flush) + 0.3 s', `${fmt(rw('no change'))} s vs ${fmt(raw('no change') + 0.3)} s`, rw('no change') <= raw('no change') + 0.3],
      ['no change < 1 s', `${fmt(rw('no change'))} s`, rw('no change') < 1],
    ];
    out.push('### Targets', '', '| target | Rewind vs limit | met |', '| --- | --- | --- |');
    for (const [what, figures, ok] of targets) out.push(`| ${what} | ${figures} | ${ok ? 'yes' : '**no**'} |`);
    out.push('');
  }

  out.push('### Machine', '');
  out.push(
    `- CPU: ${machine.cpu}, ${machine.nproc} cores; ${machine.memGiB} GiB RAM`,
    `- kernel ${machine.kernel}; ${machine.btrfsProgs}; ${machine.btrbk}; Node ${machine.node}`,
    `- images: sparse files in ${machine.tmp}, on loop devices (buffered)`,
    loadLine(machine, samples),
    `- benchmark run time: ${fmt(totalSeconds, 0)} s (corpus generation ${fmt(genSeconds, 0)} s)`,
    '',
  );
  out.push('### Every sample (seconds)', '', ...everySampleTable(samples, JOBS, TOOLS, REPEATS));
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
