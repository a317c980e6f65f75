#!/usr/bin/env node
/**
 * Restoring one small file from stream files: by extraction (what
 * `rewind-helper restore --path` does now, src/helper/restore/stream-extract.ts)
 * against the replay of the whole chain that a restore of one file needed
 * before (measured as `rewind-helper restore-subvolume`, which is that same
 * confined replay, here into a second btrfs filesystem standing in for the
 * home's: the home's own holds the local snapshots, whose names it would take).
 *
 * The corpus: a home on a loop btrfs filesystem backed up ten times to
 * stream files (zstd) on a loop ext4 disk: a full stream of about
 * --full-mib of incompressible files, then nine incrementals each adding
 * --step-mib and changing the small file that is restored; the last one
 * also makes a small file, restored too (only its stream is read twice).
 *
 * For each way, --repeats times, with cold caches: the wall time, and the
 * peak extra space used on the home's filesystem (or the one replayed into)
 * and on the disk restored onto (sampled every 50 ms with statfs).
 *
 *   sudo node bench/stream-extract.mjs [--repeats R] [--full-mib N] [--step-mib N]
 *
 * Needs `npm run build` first. The report (markdown) goes to stdout,
 * progress to stderr; every mount, loop device and file it made is removed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanup, createLoopBtrfs, createSource, detachLoop, dropCaches, fmt, log, makeTempDir, median, requireRootAndHelper, sh, streamOf, undo, yieldToSignals } from './lib.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const HELPER = path.join(REPO, 'dist/helper/rewind-helper.cjs');
const { values: opts } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    'full-mib': { type: 'string', default: '920' },
    'step-mib': { type: 'string', default: '12' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('Usage: sudo node bench/stream-extract.mjs [--repeats R] [--full-mib N] [--step-mib N]');
  process.exit(0);
}
requireRootAndHelper('makes loop filesystems', HELPER);
const repeats = Number(opts.repeats);
const fullMiB = Number(opts['full-mib']);
const stepMiB = Number(opts['step-mib']);

function ext4(tmp, name, sizeMiB) {
  const image = path.join(tmp, `${name}.img`);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  const device = sh('losetup', ['--find', '--show', image]).trim();
  undo.push({ what: `detach ${device}`, fn: () => detachLoop(device) });
  sh('mkfs.ext4', ['-q', '-F', '-m', '0', device]);
  const target = path.join(tmp, name);
  mkdirSync(target);
  sh('mount', [device, target]);
  return target;
}

function writeData(file, mib, seed) {
  const next = streamOf(seed);
  const fd = openSync(file, 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, next(1024 * 1024));
  closeSync(fd);
}

const used = (dir) => {
  const s = statfsSync(dir);
  return (s.blocks - s.bfree) * s.bsize;
};

/** Runs the helper with `args`; wall seconds and the peak growth of the space used on each of `watched`. */
async function measured(args, watched, expectCode = 0) {
  dropCaches();
  const base = watched.map(used);
  const peak = [...base];
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [HELPER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const sample = setInterval(() => watched.forEach((dir, i) => (peak[i] = Math.max(peak[i], used(dir)))), 50);
  const code = await new Promise((resolve) => child.once('close', resolve));
  clearInterval(sample);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== expectCode) throw new Error(`rewind-helper ${args[0]} ended with ${code}, not ${expectCode}: ${stderr}`);
  return { seconds, peaks: peak.map((p, i) => p - base[i]) };
}

async function main() {
  const tmp = makeTempDir('rewind-bench-extract-');
  const source = createSource(tmp, fullMiB + 10 * stepMiB + 3 * 1024, 'compress=no');
  const backups = ext4(tmp, 'backups', fullMiB + 10 * stepMiB + 512);
  const target = ext4(tmp, 'target', 256);
  const unpack = createLoopBtrfs(tmp, 'unpack', fullMiB + 10 * stepMiB + 1024);
  const unpackDir = path.join(tmp, 'unpack');
  mkdirSync(unpackDir);
  sh('mount', [unpack.device, unpackDir]);
  const config = path.join(tmp, 'config.json');
  const chain = { maxIncrementals: 20, maxDays: 30 };
  writeFileSync(
    config,
    JSON.stringify({
      version: 1,
      hostName: 'bench',
      sources: [{ path: source.home }],
      destinations: [{ id: 'files', kind: 'files', path: path.join(backups, 'rewind'), mountPoint: backups, chain }],
      retention: { local: { preset: 'keep-all' } },
    }),
  );
  const common = ['--config', config, '--state-dir', path.join(tmp, 'state'), '--runtime-dir', path.join(tmp, 'run')];
  const helper = (args) => sh(process.execPath, [HELPER, ...args, ...common]);

  log(`corpus: ${fullMiB} MiB, then 9 × ${stepMiB} MiB`);
  const files = 10;
  for (let i = 0; i < files; i++) writeData(path.join(source.home, `data-${i}.bin`), Math.round(fullMiB / files), 1000 + i);
  let last;
  for (let round = 0; round < 10; round++) {
    writeFileSync(path.join(source.home, 'notes.txt'), `notes, round ${round}\n`);
    if (round > 0) writeData(path.join(source.home, `step-${round}.bin`), stepMiB, round);
    if (round === 9) writeFileSync(path.join(source.home, 'recent.txt'), 'made for the last backup\n');
    const record = JSON.parse(helper(['run', '--json']));
    if (!record.ok) throw new Error(`backup ${round} failed: ${JSON.stringify(record.transfers.map((t) => t.error))}`);
    last = record.transfers[0].snapshot;
    await yieldToSignals();
  }
  const chainMiB = Number(sh('du', ['-s', '--block-size=1M', path.join(backups, 'rewind')]).split('\t')[0]);
  log(`chain of 10 on ext4: ${chainMiB} MiB stored`);

  const results = { extract: [], recent: [], survey: [], replay: [] };
  for (let r = 0; r < repeats; r++) {
    const to = path.join(target, `r${r}`);
    const extract = await measured(['restore', '--destination', 'files', '--snapshot', last, '--path', 'notes.txt', '--to', to, ...common], [source.home, target]);
    results.extract.push(extract);
    log(`extract ${r + 1}: ${fmt(extract.seconds, 2)} s`);
    // A file the last backup made: only its stream is read a second time.
    const recent = await measured(['restore', '--destination', 'files', '--snapshot', last, '--path', 'recent.txt', '--to', to, ...common], [source.home, target]);
    results.recent.push(recent);
    log(`extract recent ${r + 1}: ${fmt(recent.seconds, 2)} s`);
    // A path that is not there: the survey reads the chain once and stops. What a listing from the model would cost at least.
    const survey = await measured(['restore', '--destination', 'files', '--snapshot', last, '--path', 'not-there.txt', '--to', to, ...common], [source.home, target], 1);
    results.survey.push(survey);
    log(`survey ${r + 1}: ${fmt(survey.seconds, 2)} s`);
    const replay = await measured(['restore-subvolume', '--into', unpackDir, '--destination', 'files', '--snapshot', last, '--subvolume', 'home', ...common], [unpackDir, target]);
    results.replay.push(replay);
    log(`replay ${r + 1}: ${fmt(replay.seconds, 2)} s`);
    // The replayed copies go again, so each round starts alike.
    for (const name of sh('ls', [unpackDir]).split('\n').filter((n) => n.startsWith('home.restored-'))) sh('btrfs', ['subvolume', 'delete', path.join(unpackDir, name)]);
    sh('btrfs', ['subvolume', 'delete', path.join(unpackDir, '.rewind/home', last)]);
    sh('btrfs', ['subvolume', 'sync', unpackDir]);
    await yieldToSignals();
  }
  const mib = (bytes) => fmt(bytes / 1024 / 1024, 1);
  const row = (what, xs) =>
    `| ${what} | ${fmt(median(xs.map((x) => x.seconds)), 2)} s | ${mib(median(xs.map((x) => x.peaks[0])))} MiB | ${mib(median(xs.map((x) => x.peaks[1])))} MiB |`;
  console.log(`Restoring one small file from a chain of 10 stream files (${chainMiB} MiB stored, zstd, on ext4); median of ${repeats}, cold caches.\n`);
  console.log('| way | time | peak extra space on the home’s filesystem (for the replay: the one it unpacks onto) | on the disk restored onto |');
  console.log('| --- | --- | --- | --- |');
  console.log(row('extraction (`restore --path`) of a file the full backup made', results.extract));
  console.log(row('extraction of a file the last backup made', results.recent));
  console.log(row('the survey alone (one reading; a path that is not there)', results.survey));
  console.log(row('replay of the chain (`restore-subvolume`)', results.replay));
}

main()
  .catch((error) => {
    log(error.stack ?? String(error));
    process.exitCode = 1;
  })
  .finally(cleanup);
