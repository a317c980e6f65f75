#!/usr/bin/env node
// What a restore drill costs (docs/drills.md): a 1 GiB corpus (planCorpus:
// small files of 1–64 KiB and four large incompressible ones) backed up once
// to a btrfs loop disk, then `rewind-helper drill` run --runs times, each
// with its own seed and cold caches, under the default budget (250 files,
// 256 MiB, 300 s). For each drill: wall time, files and bytes compared, and
// the bytes read from the backup disk and from the source disk (the loop
// devices' own counters, /sys/block/loopN/stat). Every drill must come back
// identical: a healthy disk drills clean every time, whatever the seed.
//
// Usage: sudo node bench/drill-cost.mjs [--runs N] [--files N] [--mib N]
// Everything it makes (loop devices, mounts, images) is removed at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cleanup,
  createLoopBtrfs,
  createSource,
  dropCaches,
  fmt,
  helperNodeFlags,
  log,
  makeTempDir,
  median,
  planCorpus,
  requireRootAndHelper,
  rewindConfig,
  sh,
  timed,
  useHelperCodeCache,
  writeCorpus,
  yieldToSignals,
} from './lib.mjs';

const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, files: { type: 'string', default: '5000' }, mib: { type: 'string', default: '1024' } },
});
const RUNS = Number(opts.runs);
const HELPER = path.resolve('dist/helper/rewind-helper.cjs');

/** Bytes read from a block device so far (sectors of 512 bytes, the third field of its stat). */
function bytesRead(device) {
  const fields = readFileSync(`/sys/block/${path.basename(device)}/stat`, 'utf8').trim().split(/\s+/);
  return Number(fields[2]) * 512;
}

async function main() {
  requireRootAndHelper('creates loop devices and mounts btrfs images', HELPER);
  const tmp = makeTempDir('rewind-bench-drill-');
  useHelperCodeCache(tmp);
  const corpus = planCorpus(Number(opts.mib), Number(opts.files));
  const source = createSource(tmp, Math.ceil((Number(opts.mib) * 2) / 1024) * 1024 + 512, 'noatime');
  log(`writing ${corpus.small.length + corpus.large.length} files, ${(corpus.bytes / 2 ** 20).toFixed(0)} MiB`);
  await writeCorpus(source.home, corpus);
  sh('sync', []);
  const disk = createLoopBtrfs(tmp, 'bench-drill-disk', Math.ceil((Number(opts.mib) * 1.5) / 1024) * 1024 + 512);
  const config = path.join(tmp, 'rewind.json');
  writeFileSync(config, rewindConfig(source.home, disk.uuid));
  const helper = (args) => [...helperNodeFlags(), HELPER, ...args, '--config', config, '--state-dir', path.join(tmp, 'state'), '--runtime-dir', path.join(tmp, 'run')];
  log('the full backup');
  const backup = JSON.parse(sh(process.execPath, helper(['run', '--json'])));
  if (!backup.ok) throw new Error(`the backup failed: ${JSON.stringify(backup.error ?? backup.transfers)}`);

  const samples = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    dropCaches();
    const before = { disk: bytesRead(disk.device), source: bytesRead(source.device) };
    const { seconds, value } = timed(() => sh(process.execPath, helper(['drill', '--json', '--seed', String(seed)]), { allowFail: true }));
    const after = { disk: bytesRead(disk.device), source: bytesRead(source.device) };
    const record = JSON.parse(value.stdout).drills?.[0];
    if (value.status !== 0 || record?.outcome !== 'identical') throw new Error(`drill ${seed} did not come back identical (exit ${value.status}): ${value.stdout}${value.stderr}`);
    const [s] = record.sources;
    samples.push({ seed, seconds, files: s.compared, bytes: s.bytes, diskRead: after.disk - before.disk, sourceRead: after.source - before.source });
    const last = samples.at(-1);
    log(`drill ${seed}/${RUNS}: ${fmt(seconds, 2)} s, ${last.files} files (${fmt(last.bytes / 2 ** 20, 1)} MiB) identical; read ${fmt(last.diskRead / 2 ** 20, 1)} MiB from the backup disk, ${fmt(last.sourceRead / 2 ** 20, 1)} MiB from the source`);
    await yieldToSignals();
  }
  const mib = (x) => fmt(x / 2 ** 20, 1);
  const row = (label, xs, f) => `| ${label} | ${f(median(xs))} | ${f(Math.min(...xs))} | ${f(Math.max(...xs))} |`;
  console.log(`### ${RUNS} drills of a ${mib(corpus.bytes)} MiB home (${corpus.small.length + corpus.large.length} files), cold caches, each identical\n`);
  console.log('| per drill | median | min | max |\n| --- | --- | --- | --- |');
  console.log(row('wall time (s)', samples.map((s) => s.seconds), (x) => fmt(x, 2)));
  console.log(row('files compared', samples.map((s) => s.files), (x) => String(x)));
  console.log(row('MiB compared', samples.map((s) => s.bytes), mib));
  console.log(row('MiB read from the backup disk', samples.map((s) => s.diskRead), mib));
  console.log(row('MiB read from the source disk', samples.map((s) => s.sourceRead), mib));
}

main()
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(cleanup);
