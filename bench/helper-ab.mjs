#!/usr/bin/env node
// Two or more helper builds side by side on a small fixture: each runs
// `rewind-helper run` in turn (A, B, A, B, …) against the same source and
// destination, warm, with no other tool in between, and the medians are
// compared. For changes of a few milliseconds, which engine-vs-raw.mjs (cold
// caches, a 1 GiB corpus, raw and btrbk in between) cannot tell from noise on
// a small VM; the two answer different questions, and docs/benchmarks.md
// reports both.
//
// Usage: sudo node bench/helper-ab.mjs [--runs N] [--job no-change|incremental] LABEL=LAUNCHER …
//   LAUNCHER: a helper launcher, e.g. dist/helper/rewind-helper.cjs, or one
//   built with `node build-aux/bundle.mjs --outdir DIR` (node_modules linked
//   beside DIR for the native CRC module). Each build keeps its own code cache,
//   unless the launcher ends in `:nocache`: that build runs without
//   REWIND_CODE_CACHE_DIR, so it compiles its bundle anew at every start.
// Everything it makes (loop devices, mounts, images) is removed at the end.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cleanup, createSource, createLoopBtrfs, fmt, helperNodeFlags, log, makeTempDir, median, planCorpus, requireRootAndHelper, sh, smallChange, timed, writeCorpus, yieldToSignals, rewindConfig } from './lib.mjs';

const USAGE = 'Usage: sudo node bench/helper-ab.mjs [--runs N] [--job no-change|incremental] LABEL=LAUNCHER[:nocache] …';
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '15' }, job: { type: 'string', default: 'no-change' }, help: { type: 'boolean', default: false } },
});
const builds = positionals.map((p) => {
  const at = p.indexOf('=');
  if (at <= 0) return undefined;
  const file = p.slice(at + 1);
  const codeCache = !file.endsWith(':nocache');
  return { label: p.slice(0, at), launcher: path.resolve(codeCache ? file : file.slice(0, -':nocache'.length)), codeCache };
});
if (opts.help || builds.length === 0 || builds.includes(undefined) || !['no-change', 'incremental'].includes(opts.job)) {
  console.error(USAGE);
  process.exit(opts.help ? 0 : 2);
}
const RUNS = Number(opts.runs);

async function main() {
  for (const b of builds) requireRootAndHelper('creates loop devices and mounts btrfs images', b.launcher);
  const tmp = makeTempDir('rewind-bench-ab-');
  // 200 small files and one 16 MiB file: what changes is the helper, not the data.
  const corpus = planCorpus(16 + 4, 200);
  const { home } = createSource(tmp, 1024, 'noatime');
  await writeCorpus(home, corpus);
  const destination = createLoopBtrfs(tmp, 'bench-ab-dest', 1024);
  const config = path.join(tmp, 'rewind.json');
  writeFileSync(config, rewindConfig(home, destination.uuid));
  const helper = (b) => {
    const cacheDir = path.join(tmp, 'code-cache', b.label);
    if (b.codeCache) mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    const args = [...helperNodeFlags(), b.launcher, 'run', '--json', '--config', config, '--state-dir', path.join(tmp, 'state'), '--runtime-dir', path.join(tmp, 'run')];
    return () => {
      // As the installed launcher sets it (build-aux/rewind-helper.in); spawnSync passes process.env as it is now.
      if (b.codeCache) process.env.REWIND_CODE_CACHE_DIR = cacheDir;
      else delete process.env.REWIND_CODE_CACHE_DIR;
      const { seconds, value } = timed(() => sh(process.execPath, args));
      const record = JSON.parse(value);
      if (!record.ok) throw new Error(`${b.label}: the run failed: ${JSON.stringify(record.error ?? record.transfers)}`);
      return { seconds, kind: record.transfers[0]?.kind };
    };
  };
  const runs = builds.map((b) => ({ ...b, run: helper(b), seconds: [] }));
  // The full backup, and each build's code cache made, before anything is measured.
  for (const r of runs) r.run();
  let change = 0;
  for (let i = 0; i < RUNS; i++) {
    for (const r of runs) {
      if (opts.job === 'incremental') smallChange(home, corpus, change++);
      const { seconds, kind } = r.run();
      const expected = opts.job === 'incremental' ? 'incremental' : 'up-to-date';
      if (kind !== expected) throw new Error(`${r.label}: a ${kind} run where ${expected} was meant`);
      r.seconds.push(seconds);
    }
    log(`round ${i + 1}/${RUNS}: ${runs.map((r) => `${r.label} ${fmt(r.seconds.at(-1))}`).join(', ')}`);
    await yieldToSignals();
  }
  console.log(`### ${opts.job}, ${RUNS} alternating runs each (seconds of wall time)\n`);
  console.log('| build | median | min | max |\n| --- | --- | --- | --- |');
  for (const r of runs) console.log(`| ${r.label} | ${fmt(median(r.seconds))} | ${fmt(Math.min(...r.seconds))} | ${fmt(Math.max(...r.seconds))} |`);
}

main()
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(cleanup);
