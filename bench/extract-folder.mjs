#!/usr/bin/env node
/**
 * Restoring a folder of many small files from stream files by extraction
 * (`rewind-helper restore --path`, src/helper/restore/stream-extract.ts):
 * what each restored entry costs beyond its data, chiefly setting its times
 * to the nanosecond (src/helper/restore/extracted-tree.ts).
 *
 * The corpus: a home on a loop btrfs filesystem with `flat/`, --files small
 * files (100 B – 4 KiB) in one folder, and `nested/`, as many files ten to a
 * folder; backed up twice to stream files (zstd) on a loop ext4 disk (a full
 * stream, then an incremental that rewrites ten files of each). Each folder is
 * restored from the second backup onto another ext4 disk, --repeats times
 * with cold caches; beside it, `cp -a` of the same folder from the local
 * snapshot onto that disk, the floor of any restore. Then one more restore of
 * each under `strace -f -e trace=execve` counts the programs it ran.
 *
 *   sudo node bench/extract-folder.mjs [--repeats R] [--files N] [--helper PATH]
 *
 * --helper: the helper bundle to measure (default dist/helper/rewind-helper.cjs;
 * `npm run build` first), to compare two builds. The report (markdown) goes
 * to stdout, progress to stderr; every mount, loop device and file it made
 * is removed. The figures, before and after times were set by one process:
 * docs/restore.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanup, createSource, detachLoop, dropCaches, fmt, has, log, makeTempDir, median, prng, requireRootAndHelper, sh, smallFileContent, undo, yieldToSignals } from './lib.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { values: opts } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    files: { type: 'string', default: '5000' },
    helper: { type: 'string', default: path.join(REPO, 'dist/helper/rewind-helper.cjs') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('Usage: sudo node bench/extract-folder.mjs [--repeats R] [--files N] [--helper PATH]');
  process.exit(0);
}
const HELPER = path.resolve(opts.helper);
requireRootAndHelper('makes loop filesystems', HELPER);
const repeats = Number(opts.repeats);
const files = Number(opts.files);

function ext4(tmp, name, sizeMiB) {
  const image = path.join(tmp, `${name}.img`);
  sh('truncate', ['-s', `${sizeMiB}M`, image]);
  const device = sh('losetup', ['--find', '--show', image]).trim();
  undo.push({ what: `detach ${device}`, fn: () => detachLoop(device) });
  sh('mkfs.ext4', ['-q', '-F', '-m', '0', '-N', String(4 * files + 10_000), device]);
  const target = path.join(tmp, name);
  mkdirSync(target);
  sh('mount', [device, target]);
  return target;
}

/** Runs `file args`; its wall seconds. */
async function wall(file, args) {
  dropCaches();
  const start = process.hrtime.bigint();
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${path.basename(file)} ${args[0]} ended with ${code}: ${stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function writeFolder(home, name, perFolder, seed) {
  const random = prng(seed);
  for (let i = 0; i < files; i++) {
    const dir = perFolder ? path.join(home, name, `d${String(Math.floor(i / perFolder)).padStart(4, '0')}`) : path.join(home, name);
    if (i % (perFolder || files) === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${String(i).padStart(5, '0')}.txt`), smallFileContent(i, 100 + Math.floor(random() * 4000), seed));
  }
}

async function main() {
  const tmp = makeTempDir('rewind-bench-folder-');
  const source = createSource(tmp, 1024, 'compress=no');
  const backups = ext4(tmp, 'backups', 512);
  const target = ext4(tmp, 'target', 1024);
  const config = path.join(tmp, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      version: 1,
      hostName: 'bench',
      sources: [{ path: source.home }],
      destinations: [{ id: 'files', kind: 'files', path: path.join(backups, 'rewind'), mountPoint: backups, chain: { maxIncrementals: 20, maxDays: 30 } }],
      retention: { local: { preset: 'keep-all' } },
    }),
  );
  const common = ['--config', config, '--state-dir', path.join(tmp, 'state'), '--runtime-dir', path.join(tmp, 'run')];
  const helper = (args) => sh(process.execPath, [HELPER, ...args, ...common]);

  log(`corpus: ${files} small files in one folder, and as many ten to a folder`);
  writeFolder(source.home, 'flat', 0, 1);
  writeFolder(source.home, 'nested', 10, 2);
  let last;
  for (let round = 0; round < 2; round++) {
    if (round === 1) {
      for (let k = 0; k < 10; k++) writeFileSync(path.join(source.home, 'flat', `f${String(k * 7).padStart(5, '0')}.txt`), `changed ${k}\n`);
      for (let k = 0; k < 10; k++) writeFileSync(path.join(source.home, 'nested', 'd0003', `f${String(30 + k).padStart(5, '0')}.txt`), `changed ${k}\n`);
    }
    const record = JSON.parse(helper(['run', '--json']));
    if (!record.ok) throw new Error(`backup ${round} failed: ${JSON.stringify(record.transfers.map((t) => t.error))}`);
    last = record.transfers[0].snapshot;
    await yieldToSignals();
  }
  const snapshot = path.join(source.srcTop, '.rewind/home', last);
  const chainKiB = Number(sh('du', ['-s', '--block-size=1K', path.join(backups, 'rewind')]).split('\t')[0]);
  log(`chain of 2 on ext4: ${chainKiB} KiB stored`);

  const results = {};
  const add = (key, seconds) => (results[key] ??= []).push(seconds);
  let n = 0;
  for (let r = 0; r < repeats; r++) {
    for (const folder of ['flat', 'nested']) {
      const to = path.join(target, `r${n++}`);
      const seconds = await wall(process.execPath, [HELPER, 'restore', '--destination', 'files', '--snapshot', last, '--path', folder, '--to', to, ...common]);
      add(`${folder} restore`, seconds);
      log(`${folder}: restore ${r + 1}: ${fmt(seconds, 2)} s`);
      const copy = path.join(target, `c${n++}`);
      mkdirSync(copy);
      add(`${folder} cp`, await wall('cp', ['-a', path.join(snapshot, folder), copy]));
      rmSync(to, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
      await yieldToSignals();
    }
  }
  const programs = {};
  if (has('strace')) {
    for (const folder of ['flat', 'nested']) {
      const trace = path.join(tmp, `${folder}.trace`);
      sh('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, process.execPath, HELPER, 'restore', '--destination', 'files', '--snapshot', last, '--path', folder, '--to', path.join(target, `t-${folder}`), ...common]);
      // The helper's own start is one of them.
      programs[folder] = readFileSync(trace, 'utf8').split('\n').filter((l) => /execve\(.*= 0$/.test(l)).length;
      rmSync(path.join(target, `t-${folder}`), { recursive: true, force: true });
    }
  }

  const s = (xs) => `${fmt(median(xs), 2)} s`;
  console.log(`Restoring a folder of ${files} small files from a chain of 2 stream files (${fmt(chainKiB / 1024, 1)} MiB stored, zstd, on ext4) onto ext4; median of ${repeats}, cold caches.\n`);
  console.log('| folder | `restore --path` | programs it ran | `cp -a` from the snapshot |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| ${files} files in one folder | ${s(results['flat restore'])} | ${programs.flat ?? 'n/a'} | ${s(results['flat cp'])} |`);
  console.log(`| ${files} files, ten to a folder (${files / 10} folders) | ${s(results['nested restore'])} | ${programs.nested ?? 'n/a'} | ${s(results['nested cp'])} |`);
}

main()
  .catch((error) => {
    log(error.stack ?? String(error));
    process.exitCode = 1;
  })
  .finally(cleanup);
