#!/usr/bin/env node
/**
 * Rewind against what a user would pick instead — raw `btrfs send | btrfs
 * receive`, btrbk, `rsync -aHAX`, borg and restic — on the same corpora, the
 * same disks and in the same run. See docs/benchmarks.md ("Rewind and the
 * alternatives") for what it measures and how.
 *
 *   npm run build && sudo node bench/compare.mjs [--repeats R] [--svg FILE] [--json FILE]
 *
 * Everything lives in a temporary folder: loop-backed btrfs images (one
 * source with a `home` subvolume, one destination filesystem per tool),
 * repositories, caches, mounts; all removed at the end, also on error and
 * Ctrl+C. The report (markdown) goes to stdout, progress to stderr.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  btrbkConfig,
  cleanup,
  copySystemCorpus,
  createLoopBtrfs,
  createSource,
  deleteSubvolumesExcept,
  dropCaches,
  everySampleTable,
  fmt,
  has,
  helperNodeFlags,
  loadLine,
  log,
  machineFacts,
  makeTempDir,
  median,
  mkfs,
  mount,
  planCorpus,
  requireRootAndHelper,
  rewindConfig,
  sendProtocolArgs,
  sh,
  smallChange,
  timed,
  unmount,
  warnIfLoaded,
  writeCorpus,
  yieldToSignals,
  useHelperCodeCache,
} from './lib.mjs';
import { barPanel, legend, linePanel, svgDocument } from './svg-plot.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ALL_TOOLS = ['raw', 'rewind', 'btrbk', 'rsync', 'borg', 'restic'];
const NAMES = { raw: 'raw send|receive', rewind: 'Rewind', btrbk: 'btrbk', rsync: 'rsync -aHAX', borg: 'borg', restic: 'restic' };
// Files of Debian 12 packages (libpython3.11-stdlib and -minimal, cpp-12/gcc-12/g++-12, locales, tzdata): fixed for a release.
const REAL_ROOTS = '/usr/lib/python3.11,/usr/lib/gcc/x86_64-linux-gnu/12,/usr/share/i18n,/usr/share/zoneinfo';
const JOBS = ['full', 'incremental', 'rename', 'no change', 'restore'];
// restic needs a password even for a repository nobody else reads; a fixed one, so runs are alike.
const RESTIC_PASSWORD = 'rewind-bench';

const USAGE = `Usage: sudo node bench/compare.mjs [options]

  --size-mib N        generated corpus size in MiB (default 256)
  --files N           small files in the generated corpus (default 20000 per GiB)
  --real LIST         comma-separated folders copied as the real-world corpus
                      (default ${REAL_ROOTS})
  --scale-base-mib N  scaling: the 1× corpus in MiB (default 64); 20000 small files per GiB at every size
  --scale LIST        scaling factors (default 1,4,16)
  --repeats R         measurements per job and tool; medians are reported (default 3)
  --tools LIST        comma-separated subset of ${ALL_TOOLS.join(',')} (default all)
  --helper FILE       the bundled helper (default dist/helper/rewind-helper.cjs, made by "npm run build")
  --svg FILE          write the plot there
  --json FILE         also write every sample and the machine facts as JSON
  --replot FILE       no measuring: the report (and with --svg the plot) again from a --json file
  --check             a smoke run (a few minutes): 16 MiB corpus, /usr/share/zoneinfo, scaling 8 MiB × 1,2, one repeat`;

const { values: opts } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '256' },
    files: { type: 'string' },
    real: { type: 'string', default: REAL_ROOTS },
    'scale-base-mib': { type: 'string', default: '64' },
    scale: { type: 'string', default: '1,4,16' },
    repeats: { type: 'string', default: '3' },
    tools: { type: 'string', default: ALL_TOOLS.join(',') },
    helper: { type: 'string', default: path.join(REPO, 'dist/helper/rewind-helper.cjs') },
    svg: { type: 'string' },
    json: { type: 'string' },
    check: { type: 'boolean', default: false },
    replot: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (opts.check) Object.assign(opts, { 'size-mib': '16', files: '100', real: '/usr/share/zoneinfo', 'scale-base-mib': '8', scale: '1,2', repeats: '1' });
const SIZE_MIB = Number(opts['size-mib']);
const filesFor = (mib) => Math.round((20000 * mib) / 1024);
const FILES = opts.files !== undefined ? Number(opts.files) : filesFor(SIZE_MIB);
const REAL = opts.real.split(',').map((r) => path.resolve(r.trim()));
const SCALE_BASE = Number(opts['scale-base-mib']);
const SCALE = opts.scale.split(',').map(Number);
const REPEATS = Number(opts.repeats);
const TOOLS = ALL_TOOLS.filter((t) => opts.tools.split(',').map((s) => s.trim()).includes(t));
const HELPER = path.resolve(opts.helper);
if (!(SIZE_MIB >= 8) || !(FILES >= 0) || !(SCALE_BASE >= 8) || SCALE.some((f) => !(f >= 1)) || !(REPEATS >= 1) || TOOLS.length === 0) {
  console.error(USAGE);
  process.exit(2);
}

const PACKAGES = { btrbk: 'btrbk', rsync: 'rsync', borg: 'borgbackup', restic: 'restic' };

async function main() {
  requireRootAndHelper('creates loop devices and mounts btrfs images', TOOLS.includes('rewind') ? HELPER : undefined);
  const missing = TOOLS.filter((t) => PACKAGES[t] && !has(t));
  if (missing.length > 0) {
    console.error(`Not installed: ${missing.join(', ')}. Install them (apt-get install ${missing.map((t) => PACKAGES[t]).join(' ')}) or leave them out with --tools.`);
    process.exit(2);
  }
  for (const root of REAL) {
    if (!existsSync(root)) {
      console.error(`${root} does not exist on this machine; name other folders with --real.`);
      process.exit(2);
    }
  }

  const began = process.hrtime.bigint();
  warnIfLoaded();
  const protoArgs = sendProtocolArgs();
  const versions = {};
  if (TOOLS.includes('btrbk')) versions.btrbk = sh('btrbk', ['--version']).trim();
  if (TOOLS.includes('rsync')) versions.rsync = sh('rsync', ['--version']).split('\n')[0].replace(/\s+/g, ' ').trim();
  if (TOOLS.includes('borg')) versions.borg = sh('borg', ['--version']).trim();
  if (TOOLS.includes('restic')) versions.restic = sh('restic', ['version']).trim();
  const machine = machineFacts(protoArgs, { versions });

  const tmp = makeTempDir('rewind-bench-compare-');
  useHelperCodeCache(tmp);
  machine.tmp = `${tmp} on ${sh('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', tmp]).trim().replace(/\s+/, ' ')}`;
  process.env.BORG_BASE_DIR = path.join(tmp, 'borg-base');
  process.env.BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK = 'yes';
  process.env.BORG_RELOCATED_REPO_ACCESS_IS_OK = 'yes';
  process.env.RESTIC_PASSWORD = RESTIC_PASSWORD;
  process.env.RESTIC_CACHE_DIR = path.join(tmp, 'restic-cache');

  // Big enough for the largest corpus, its copies (rsync's rename, a repository) and the measurement's own snapshots.
  const realMiB = Number(sh('du', ['-smc', ...REAL]).trim().split('\n').pop().split(/\s/)[0]);
  const largestMiB = Math.max(SIZE_MIB, SCALE_BASE * Math.max(...SCALE), realMiB);
  const imageMiB = Math.max(2048, Math.ceil(largestMiB * 2.5 + 1024));
  const sourceOptions = 'noatime';
  const source = createSource(tmp, imageMiB, sourceOptions);
  const { srcTop, home } = source;
  const dest = {};
  const destTop = {};
  for (const tool of TOOLS) {
    dest[tool] = createLoopBtrfs(tmp, `bench-dest-${tool}`, imageMiB);
    // Rewind finds its disk by UUID and mounts it itself; the others work in a mounted folder.
    if (tool !== 'rewind') destTop[tool] = path.join(tmp, `dest-${tool}`);
  }
  const restoreDir = path.join(srcTop, 'restored');
  const files = {
    btrbkConf: path.join(tmp, 'btrbk.conf'),
    rewindConf: path.join(tmp, 'rewind.json'),
    rewindState: path.join(tmp, 'rewind-state'),
    rewindRun: path.join(tmp, 'rewind-run'),
  };
  const where = {
    raw: () => path.join(destTop.raw, 'raw'),
    btrbk: () => path.join(destTop.btrbk, 'btrbk'),
    rsync: () => path.join(destTop.rsync, 'home'),
    borg: () => path.join(destTop.borg, 'repo'),
    restic: () => path.join(destTop.restic, 'repo'),
  };
  if (TOOLS.includes('btrbk')) writeFileSync(files.btrbkConf, btrbkConfig(srcTop, where.btrbk(), 'bench/compare.mjs'));

  /** What each tool has made so far in this phase: its newest backup's name and how many it made. */
  let made = {};

  /** A new `home` subvolume holding what `fill` writes; every snapshot of the old one is deleted. */
  async function newHome(fill) {
    unmount(home);
    deleteSubvolumesExcept(srcTop, []);
    sh('btrfs', ['subvolume', 'create', path.join(srcTop, 'home')]);
    mount(source.device, home, `subvol=home,${sourceOptions}`);
    const t0 = process.hrtime.bigint();
    const corpus = await fill(home);
    sh('sync', []);
    log(`corpus ready in ${fmt(Number(process.hrtime.bigint() - t0) / 1e9, 1)} s`);
    return corpus;
  }

  /** Before each phase or repeat: no snapshots on the source, new empty destination filesystems, new repositories. */
  function resetDestinations() {
    deleteSubvolumesExcept(srcTop, ['home']);
    made = Object.fromEntries(TOOLS.map((t) => [t, { count: 0, latest: undefined }]));
    for (const tool of TOOLS) {
      if (destTop[tool] && existsSync(destTop[tool])) unmount(destTop[tool]);
      dest[tool].uuid = mkfs(dest[tool].device, dest[tool].name);
      if (destTop[tool]) mount(dest[tool].device, destTop[tool], 'subvolid=5,noatime');
    }
    for (const tool of ['raw', 'btrbk', 'rsync'].filter((t) => TOOLS.includes(t))) mkdirSync(where[tool](), { recursive: true });
    mkdirSync(path.join(srcTop, 'raw-snapshots'), { recursive: true });
    mkdirSync(path.join(srcTop, 'btrbk-snapshots'), { recursive: true });
    if (TOOLS.includes('rewind')) {
      rmSync(files.rewindState, { recursive: true, force: true });
      writeFileSync(files.rewindConf, rewindConfig(home, dest.rewind.uuid));
    }
    rmSync(process.env.BORG_BASE_DIR, { recursive: true, force: true });
    rmSync(process.env.RESTIC_CACHE_DIR, { recursive: true, force: true });
    if (TOOLS.includes('borg')) sh('borg', ['init', '--encryption', 'none', where.borg()]);
    if (TOOLS.includes('restic')) sh('restic', ['init', '--repository-version', '2', '-q', '-r', where.restic()]);
  }

  const flush = (dir) => sh('btrfs', ['filesystem', 'sync', dir]);

  /**
   * One backup with each tool: what a user (or the tool's timer) runs, then
   * a flush of the destination, so that every backup is on its disk when
   * the clock stops (Rewind flushes and unmounts before it exits).
   * Returns the kind of backup made, checked against the job.
   */
  const backup = {
    raw() {
      const m = made.raw;
      const snap = path.join(srcTop, 'raw-snapshots', `home.${m.count}`);
      sh('btrfs', ['subvolume', 'snapshot', '-r', home, snap]);
      const sendArgs = [...protoArgs, ...(m.latest ? ['-p', path.join(srcTop, 'raw-snapshots', m.latest)] : []), snap];
      sh('bash', ['-c', 'set -o pipefail; btrfs send -q "${@:2}" | btrfs receive -q "$1"', 'bash', where.raw(), ...sendArgs]);
      flush(destTop.raw);
      const kind = m.latest ? 'incremental' : 'full';
      m.latest = path.basename(snap);
      return kind;
    },
    rewind() {
      const out = sh(process.execPath, [...helperNodeFlags(), HELPER, 'run', '--json', '--config', files.rewindConf, '--state-dir', files.rewindState, '--runtime-dir', files.rewindRun]);
      const record = JSON.parse(out);
      const t = record.transfers[0];
      if (!record.ok || !t?.ok) throw new Error(`rewind-helper run failed: ${JSON.stringify(record.error ?? t?.error)}`);
      made.rewind.snapshot = t.snapshot;
      return t.kind;
    },
    btrbk() {
      const out = sh('btrbk', ['-c', files.btrbkConf, '--format=raw', 'run']);
      flush(destTop.btrbk);
      const send = out.split('\n').find((l) => /type='send-receive' status='success'/.test(l));
      if (!send) throw new Error(`btrbk run made no backup:\n${out}`);
      return /parent_url='[^']/.test(send) ? 'incremental' : 'full';
    },
    rsync() {
      sh('rsync', ['-aHAX', '--delete', `${home}/`, `${where.rsync()}/`]);
      flush(destTop.rsync);
      return made.rsync.count ? 'incremental' : 'full';
    },
    borg() {
      sh('borg', ['create', '--compression', 'none', `${where.borg()}::b${made.borg.count}`, '.'], { cwd: home });
      flush(destTop.borg);
      return made.borg.count ? 'incremental' : 'full';
    },
    restic() {
      sh('restic', ['-r', where.restic(), 'backup', '--compression', 'off', '-q', '.'], { cwd: home });
      flush(destTop.restic);
      return made.restic.count ? 'incremental' : 'full';
    },
  };
  /**
   * Restores one file (`rel`, a path inside home) into `restoreDir` each
   * tool's own way, from the newest backup; returns where the file landed.
   */
  const restore = {
    raw(rel) {
      sh('cp', ['-a', path.join(where.raw(), made.raw.latest, rel), restoreDir]);
      return path.join(restoreDir, path.basename(rel));
    },
    rewind(rel) {
      sh(process.execPath, [...helperNodeFlags(), HELPER, 'restore', '--destination', 'disk', '--snapshot', made.rewind.snapshot, '--path', rel, '--to', restoreDir, '--config', files.rewindConf, '--state-dir', files.rewindState, '--runtime-dir', files.rewindRun]);
      return path.join(restoreDir, path.basename(rel));
    },
    btrbk(rel) {
      const newest = readdirSync(where.btrbk()).sort().pop();
      sh('cp', ['-a', path.join(where.btrbk(), newest, rel), restoreDir]);
      return path.join(restoreDir, path.basename(rel));
    },
    rsync(rel) {
      sh('rsync', ['-aHAX', path.join(where.rsync(), rel), `${restoreDir}/`]);
      return path.join(restoreDir, path.basename(rel));
    },
    borg(rel) {
      sh('borg', ['extract', `${where.borg()}::b${made.borg.count - 1}`, rel], { cwd: restoreDir });
      return path.join(restoreDir, rel);
    },
    restic(rel) {
      sh('restic', ['-r', where.restic(), 'restore', 'latest', '--target', restoreDir, '--include', `/${rel}`, '-q']);
      return path.join(restoreDir, rel);
    },
  };

  const samples = [];
  /** Drops the caches, then times one tool's job; the restored file is compared with the source outside the time. */
  async function measure(phase, job, tool, repeat, corpus) {
    await yieldToSignals();
    if (job === 'restore') {
      rmSync(restoreDir, { recursive: true, force: true });
      mkdirSync(restoreDir);
    }
    dropCaches();
    const load = os.loadavg()[0];
    let kind;
    let landed;
    const { seconds } = timed(() => {
      if (job === 'restore') {
        landed = restore[tool](corpus.restoreFile);
        flush(srcTop);
      } else kind = backup[tool]();
    });
    if (job === 'restore') {
      sh('cmp', [landed, path.join(home, corpus.restoreFile)]);
    } else {
      const expected = job === 'full' ? 'full' : 'incremental';
      // Rewind takes no snapshot when nothing changed; here raw's and btrbk's snapshots of the same source in between count as changes.
      const upToDate = job === 'no change' && tool === 'rewind' && kind === 'up-to-date';
      if (kind !== expected && !upToDate) throw new Error(`${tool} made a ${kind} backup for the ${job} job (expected ${expected})`);
      made[tool].count++;
    }
    samples.push({ phase, job, tool, repeat, seconds, load });
    log(`  ${phase.padEnd(10)} ${job.padEnd(11)} ${tool.padEnd(6)} ${fmt(seconds)} s  (load ${fmt(load, 2)})`);
  }

  /** The order of the tools rotates from one repeat to the next, so none is always first or last. */
  const order = (repeat) => TOOLS.map((_, i) => TOOLS[(i + repeat) % TOOLS.length]);

  /** The five jobs, `REPEATS` times, each repeat on new destinations. */
  async function jobsOn(phase, corpus) {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      log(`${phase}: repeat ${repeat + 1}/${REPEATS}`);
      resetDestinations();
      const renamed = `${corpus.renameDir}.renamed`;
      for (const job of JOBS) {
        if (job === 'incremental') smallChange(home, corpus, repeat);
        if (job === 'rename') {
          renameSync(path.join(home, corpus.renameDir), path.join(home, renamed));
          sh('sync', []);
        }
        for (const tool of order(repeat)) await measure(phase, job, tool, repeat, corpus);
      }
      // Back, so that the next repeat's small change finds its files.
      renameSync(path.join(home, renamed), path.join(home, corpus.renameDir));
    }
  }

  /**
   * The file the restore job restores (the second largest: the small change
   * appends to the largest) and the folder the rename job renames: the one
   * holding the most bytes that contains neither of those two.
   */
  function withJobs(corpus) {
    const [appended, restored] = corpus.large;
    const all = [...corpus.small, ...corpus.large];
    const bytes = new Map();
    for (const f of all) {
      for (let dir = path.dirname(f.file); dir !== '.'; dir = path.dirname(dir)) bytes.set(dir, (bytes.get(dir) ?? 0) + f.size);
    }
    const inside = (dir, f) => f.file.startsWith(`${dir}/`);
    const [renameDir] = [...bytes].filter(([dir]) => !inside(dir, appended) && !inside(dir, restored)).sort((x, y) => y[1] - x[1] || x[0].length - y[0].length)[0] ?? [];
    if (!renameDir) throw new Error('the corpus has no folder to rename apart from those of its two largest files');
    return { ...corpus, renameDir, renameFiles: all.filter((f) => inside(renameDir, f)).length, restoreFile: restored.file, restoreBytes: restored.size };
  }

  // ---------------------------------------------------------- the phases
  const facts = {};
  const generated = planCorpus(SIZE_MIB, FILES);
  log(`generated corpus: ${generated.small.length} small files and ${generated.large.length} large ones, ${fmt(generated.bytes / 2 ** 20, 0)} MiB`);
  facts.generated = withJobs(
    await newHome(async (h) => {
      await writeCorpus(h, generated);
      return generated;
    }),
  );
  await jobsOn('generated', facts.generated);

  log(`real-world corpus: ${REAL.join(', ')}`);
  const real = await newHome(async (h) => copySystemCorpus(REAL, h));
  facts.real = withJobs(real);
  facts.real.listHash = createHash('sha256')
    .update([...real.small, ...real.large].map((f) => `${f.file} ${f.size}\n`).sort().join(''))
    .digest('hex')
    .slice(0, 16);
  await jobsOn('real', facts.real);

  // Scaling: one full backup per size, then REPEATS incrementals after the same small change.
  facts.scale = [];
  for (const factor of SCALE) {
    const mib = SCALE_BASE * factor;
    const corpus = planCorpus(mib, filesFor(mib));
    log(`scaling ${factor}×: ${fmt(corpus.bytes / 2 ** 20, 0)} MiB, ${corpus.small.length} small files`);
    await newHome(async (h) => {
      await writeCorpus(h, corpus);
      return corpus;
    });
    facts.scale.push({ factor, mib: corpus.bytes / 2 ** 20, files: corpus.small.length + corpus.large.length });
    resetDestinations();
    const phase = `scale ${factor}×`;
    for (const tool of order(0)) await measure(phase, 'full', tool, 0, corpus);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      smallChange(home, corpus, repeat);
      for (const tool of order(repeat)) await measure(phase, 'incremental', tool, repeat, corpus);
    }
  }
  machine.loadEnd = os.loadavg();
  const summary = (c) => ({
    bytes: c.bytes,
    small: c.small.length,
    large: c.large.length,
    largeBytes: c.large[0].size,
    renameDir: c.renameDir,
    renameFiles: c.renameFiles,
    restoreFile: c.restoreFile,
    restoreBytes: c.restoreBytes,
  });
  const data = {
    machine,
    argv: process.argv.slice(2),
    tools: TOOLS,
    repeats: REPEATS,
    scaleBase: SCALE_BASE,
    corpora: { generated: summary(facts.generated), real: { ...summary(facts.real), roots: REAL, symlinks: facts.real.symlinks, listHash: facts.real.listHash }, scale: facts.scale },
    totalSeconds: Number(process.hrtime.bigint() - began) / 1e9,
    samples,
  };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(data, null, 2)}\n`);
  report(data);
}

/** The markdown report on stdout and, with --svg, the plot: from a run just made or from its --json file (--replot). */
function report({ machine, tools, repeats, scaleBase, corpora, totalSeconds, samples }) {
  const factors = corpora.scale.map((s) => s.factor);
  const med = (phase, job, tool) => {
    const xs = samples.filter((s) => s.phase === phase && s.job === job && s.tool === tool).map((s) => s.seconds);
    return xs.length ? median(xs) : undefined;
  };
  const cell = (phase, job, tool) => {
    const v = med(phase, job, tool);
    const raw = med(phase, job, 'raw');
    return tool === 'raw' || raw === undefined ? fmt(v) : `${fmt(v)} (${fmt(v / raw, 1)}×)`;
  };
  const head = `| job | ${tools.map((t) => NAMES[t].replace('|', '\\|')).join(' | ')} |`;
  const rule = `| --- | ${tools.map(() => '---:').join(' | ')} |`;
  const out = [];
  const mib = (bytes) => (bytes >= 2 ** 20 ? `${fmt(bytes / 2 ** 20, 0)} MiB` : `${fmt(bytes / 1024, 0)} KiB`);
  const g = corpora.generated;
  const r = corpora.real;
  out.push(`### Results: medians of ${repeats}, seconds of wall time (ratio to raw send|receive)`, '');
  out.push(
    `**Generated corpus**: ${mib(g.bytes)}, ${g.small} small files of 1–64 KiB (half random, half hex text) and ${g.large} incompressible files of ${mib(g.largeBytes)}. ` +
      `Rename: \`${g.renameDir}/\` (${g.renameFiles} files). Restore: \`${g.restoreFile}\` (${mib(g.restoreBytes)}).`,
    '',
    head,
    rule,
    ...JOBS.map((job) => `| ${job} | ${tools.map((t) => cell('generated', job, t)).join(' | ')} |`),
    '',
  );
  out.push(
    `**Real-world corpus**: ${r.roots.map((x) => `\`${x}\``).join(', ')} copied with \`cp -a\`: ${r.small + r.large} files and ${r.symlinks} symbolic links, ${mib(r.bytes)} ` +
      `(file list hash ${r.listHash}: sha256 of the sorted "path size" lines, first 16 hex digits). Rename: \`${r.renameDir}/\` (${r.renameFiles} files). Restore: \`${r.restoreFile}\` (${mib(r.restoreBytes)}).`,
    '',
    head,
    rule,
    ...JOBS.map((job) => `| ${job} | ${tools.map((t) => cell('real', job, t)).join(' | ')} |`),
    '',
  );
  out.push(
    `**Scaling**: incremental backup after the same small change (10 small files rewritten, 1 MiB appended to a large file), generated corpus of ${factors.map((f) => `${f}×`).join(', ')} ${scaleBase} MiB (20000 small files per GiB); ` +
      `at each size one full backup first (in "every sample" below, not here), then ${repeats} incremental ones, each after its own small change.`,
    '',
    `| corpus | ${tools.map((t) => NAMES[t].replace('|', '\\|')).join(' | ')} |`,
    rule,
    ...corpora.scale.map((s) => `| ${s.factor}×: ${fmt(s.mib, 0)} MiB, ${s.files} files | ${tools.map((t) => cell(`scale ${s.factor}×`, 'incremental', t)).join(' | ')} |`),
    '',
  );
  out.push('### Machine', '');
  out.push(
    `- CPU: ${machine.cpu}, ${machine.nproc} cores; ${machine.memGiB} GiB RAM; kernel ${machine.kernel}`,
    `- ${machine.btrfsProgs}; ${Object.values(machine.versions).join('; ')}; Node ${machine.node}; send ${machine.sendProtocol} (raw and Rewind)`,
    `- images: sparse files in ${machine.tmp}, on loop devices (buffered); every destination is btrfs`,
    loadLine(machine, samples),
    `- benchmark run time: ${fmt(totalSeconds, 0)} s`,
    '',
  );
  out.push('### Every sample (seconds)', '');
  for (const phase of ['generated', 'real']) out.push(`${phase}:`, '', ...everySampleTable(samples.filter((s) => s.phase === phase), JOBS, tools, repeats), '');
  const scaleSamples = samples.filter((s) => s.phase.startsWith('scale')).map((s) => ({ ...s, job: `${s.phase} ${s.job}` }));
  out.push('scaling:', '', ...everySampleTable(scaleSamples, factors.flatMap((f) => [`scale ${f}× full`, `scale ${f}× incremental`]), tools, repeats));
  console.log(out.join('\n'));
  if (opts.svg) {
    const width = 980;
    const panel = 300;
    const body = [
      legend({ x: 70, y: 24, tools: tools, names: NAMES }),
      barPanel({ x: 0, y: 40, width, height: panel, title: `Generated corpus, ${mib(g.bytes)} (median of ${repeats}, log scale)`, groups: JOBS, tools: tools, value: (job, t) => med('generated', job, t) }),
      barPanel({ x: 0, y: 40 + panel, width, height: panel, title: `Real-world corpus: system files, ${mib(r.bytes)}, ${r.small + r.large} files`, groups: JOBS, tools: tools, value: (job, t) => med('real', job, t) }),
      linePanel({
        x: 0,
        y: 40 + 2 * panel,
        width,
        height: panel,
        title: `Incremental backup after the same small change as the corpus grows (median of ${repeats})`,
        xs: corpora.scale,
        xLabel: (s) => `${s.factor}× (${fmt(s.mib, 0)} MiB)`,
        axisLabel: 'corpus size',
        tools: tools,
        value: (s, t) => med(`scale ${s.factor}×`, 'incremental', t),
      }),
    ].join('\n');
    const footnote = `bench/compare.mjs, ${machine.date.slice(0, 16).replace('T', ' ')} UTC, ${machine.nproc} cores; 1-minute load before the measurements: median ${fmt(median(samples.map((x) => x.load)), 1)} (shared machine); caches dropped before each measurement`;
    writeFileSync(opts.svg, svgDocument(width, 40 + 3 * panel + 20, body, footnote));
    log(`plot written to ${opts.svg}`);
  }
}

try {
  if (opts.replot) report(JSON.parse(readFileSync(opts.replot, 'utf8')));
  else await main();
} catch (error) {
  log(`benchmark failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
