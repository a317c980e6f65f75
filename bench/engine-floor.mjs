#!/usr/bin/env node
/**
 * How close to raw `btrfs send | btrfs receive` the engine could get without
 * the stream codec: builds the committed helper three ways and runs
 * bench/engine-vs-raw.mjs (raw and Rewind, same corpus) once for each.
 *
 *   as built   `btrfs send | node rewind-stream-codec.cjs | btrfs receive`
 *   no codec   `btrfs send | cat | btrfs receive`: no Node start and no
 *              parsing in the middle, but still a second pipe
 *   no hop     `btrfs send | btrfs receive`, exactly raw's pipe, run by the
 *              engine (the codec's "done" message is faked after it)
 *
 * The two variants are not products: they check nothing, report no
 * progress and filter no xattr. They answer one question for
 * docs/benchmarks.md: which of the targets the engine's own work
 * (Node's start, the top-level mounts and listings, snapshot, sync, history)
 * leaves room for, whatever the codec costs.
 *
 *   sudo node bench/engine-floor.mjs [--repeats R] [--size-mib N]
 *
 * The variants are made from `git archive HEAD` in a temporary folder by
 * replacing two anchored pieces of src/helper/engine/transfer-pipe.ts; when that file
 * changed so that an anchor is gone, this script says so and stops.
 * The report (markdown) goes to stdout, progress to stderr.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanup, fmt, log, makeTempDir, median, requireRootAndHelper, sh } from './lib.mjs';

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const USAGE = 'Usage: sudo node bench/engine-floor.mjs [--repeats R] [--size-mib N]';
const { values: opts } = parseArgs({
  options: { repeats: { type: 'string', default: '5' }, 'size-mib': { type: 'string', default: '1024' }, help: { type: 'boolean', short: 'h', default: false } },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

/** What the helper expects from the codec at the end of a transfer it passed through unchanged. */
const FAKE_DONE = JSON.stringify({
  type: 'done',
  stats: { bytesIn: 0, bytesOut: 0, commands: 0, droppedCommands: 0, rewrittenCommands: 0, checksum: 'js' },
  progress: { bytes: 0, created: 0, modified: 0, renamed: 0, deleted: 0 },
});
const shellQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

const CODEC_ANCHOR = "const codec = [process.execPath, codecBundlePath(helperBundle), 'stream-codec', `--options-fd=${CODEC_OPTIONS_FD}`];";
const PIPE_ANCHOR = `  'stage 7 2>&3 3>&- 4>&- 5>&- 6>&- | "$@" 2>&4 3>&- 4>&- 5>&- 6>&- 7<&- 9<&- | stage 9 2>&5 3>&- 4>&- 5>&- 6>&-',
  'echo "\${PIPESTATUS[@]}" >&6',`;

const VARIANTS = [
  { name: 'as built', edits: [] },
  {
    name: 'no codec',
    // bash in the codec's place: reads the options, copies the stream, says done.
    edits: [[CODEC_ANCHOR, `const codec = ['bash', '-c', ${JSON.stringify(`cat <&8 >/dev/null; exec 8<&-; cat; echo ${shellQuote(FAKE_DONE)} >&2`)}]; void codecBundlePath;`]],
  },
  {
    name: 'no hop',
    // send straight into receive; the options are read and "done" said after both ended.
    edits: [
      [
        PIPE_ANCHOR,
        `  'stage 7 2>&3 3>&- 4>&- 5>&- 6>&- 8<&- | stage 9 2>&5 3>&- 4>&- 5>&- 6>&- 8<&-',
  's=("\${PIPESTATUS[@]}")',
  ${JSON.stringify(`cat <&8 >/dev/null; echo ${shellQuote(FAKE_DONE)} >&4`)},
  'echo "\${s[0]} 0 \${s[1]}" >&6',`,
      ],
    ],
  },
];

function buildVariant(tmp, variant, index) {
  const source = path.join(tmp, `src-${index}`);
  sh('bash', ['-c', `mkdir -p "$2" && git -C "$1" archive HEAD | tar -x -C "$2"`, 'archive', REPO, source]);
  symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'));
  const file = path.join(source, 'src/helper/engine/transfer-pipe.ts');
  let text = readFileSync(file, 'utf8');
  for (const [anchor, replacement] of variant.edits) {
    if (!text.includes(anchor)) throw new Error(`src/helper/engine/transfer-pipe.ts no longer has what the "${variant.name}" variant replaces; update bench/engine-floor.mjs.`);
    text = text.replace(anchor, () => replacement);
  }
  writeFileSync(file, text);
  const out = path.join(tmp, `build-${index}`);
  sh(process.execPath, ['build-aux/bundle.mjs', '--outdir', out], { cwd: source });
  // The launcher finds the native CRC module beside the bundle, as in dist/.
  symlinkSync(path.join(REPO, 'node_modules'), path.join(out, 'node_modules'));
  return path.join(out, 'helper/rewind-helper.cjs');
}

function main() {
  requireRootAndHelper('creates loop devices and mounts btrfs images');
  const tmp = makeTempDir('rewind-bench-floor-');
  const builds = VARIANTS.map((v, i) => ({ ...v, launcher: buildVariant(tmp, v, i), json: path.join(tmp, `samples-${i}.json`) }));
  log(`built ${builds.length} variants of ${sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).trim()}`);
  const rows = [];
  for (const b of builds) {
    log(`\n== ${b.name}`);
    const args = ['bench/engine-vs-raw.mjs', '--tools', 'raw,rewind', '--repeats', opts.repeats, '--size-mib', opts['size-mib'], '--helper', b.launcher, '--json', b.json];
    const r = spawnSync(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`engine-vs-raw.mjs failed for "${b.name}" (${r.status ?? r.signal})`);
    const { samples } = JSON.parse(readFileSync(b.json, 'utf8'));
    const of = (tool, job) => samples.filter((s) => s.tool === tool && s.job === job).map((s) => s.seconds);
    rows.push({ name: b.name, of, med: (tool, job) => median(of(tool, job)) });
  }
  const out = [`### Rewind without its codec (median of ${opts.repeats}; seconds of wall time; each line its own engine-vs-raw run)`, ''];
  out.push('| build | full: Rewind / raw | full: limit, met | incremental: Rewind / raw | incremental: limit, met | no change: Rewind / raw | no change: limit, met |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const { name, med } of rows) {
    const cell = (job, limit) => [`${fmt(med('rewind', job))} / ${fmt(med('raw', job))}`, `${fmt(limit)}, ${med('rewind', job) <= limit ? 'yes' : '**no**'}`];
    out.push(`| ${name} | ${[...cell('full', 1.05 * med('raw', 'full')), ...cell('incremental', med('raw', 'incremental') + 0.3), ...cell('no change', med('raw', 'no change') + 0.3)].join(' | ')} |`);
  }
  out.push('', '| build | job | Rewind, every sample | raw, every sample |', '| --- | --- | --- | --- |');
  for (const { name, of } of rows) {
    for (const job of ['full', 'incremental', 'no change']) out.push(`| ${name} | ${job} | ${of('rewind', job).map((x) => fmt(x)).join(' ')} | ${of('raw', job).map((x) => fmt(x)).join(' ')} |`);
  }
  console.log(out.join('\n'));
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  cleanup();
}
