#!/usr/bin/env node
// Throughput of the send-stream codec, against `cat` in the same pipe, on a
// real stream of several GiB; and what it adds to the wall time of a full
// backup (btrfs send | codec | btrfs receive vs btrfs send | btrfs receive).
//
// Needs root, btrfs-progs, /usr/bin/time (Debian package "time") and openssl.
// Usage: node bench/codec-throughput.mjs [--gib 3] [--runs 3] [--proto 2] [--cold] [--backup-only] [--integrated-only] [--json FILE]
//   --cold             drop the page cache before each backup, so btrfs send reads the disk
//   --backup-only      skip the throughput part
//   --integrated-only  backups: only plain send | receive against the helper's own transfer
//                      (src/helper/engine/transfer.ts, the codec run from the built helper bundle
//                      dist/helper/rewind-helper-main.cjs: run `npm run build` first)
// Everything it makes (loop devices, mounts, images) is removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const gib = Number(option('--gib', '3'));
const runs = Number(option('--runs', '3'));
const proto = option('--proto', '2');
const jsonOut = option('--json', undefined);
const cold = argv.includes('--cold');
const integratedOnly = argv.includes('--integrated-only');
const backupOnly = argv.includes('--backup-only') || integratedOnly;
const sendArgs = proto === '2' ? ['--proto', '2', '--compressed-data'] : ['--proto', '1'];

const work = mkdtempSync(path.join(os.tmpdir(), 'rewind-codec-bench-'));
const undo = [];
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const bash = (script) => spawnSync('bash', ['-o', 'pipefail', '-c', script], { encoding: 'utf8' });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function loopFs(name, sizeGiB) {
  const image = path.join(work, `${name}.img`);
  sh('truncate', ['-s', `${sizeGiB}G`, image]);
  undo.push(() => rmSync(image, { force: true }));
  const device = sh('losetup', ['--find', '--show', image]).trim();
  undo.push(() => sh('losetup', ['-d', device]));
  sh('mkfs.btrfs', ['-q', device]);
  const mount = path.join(work, name);
  sh('mkdir', ['-p', mount]);
  sh('mount', ['-o', 'noatime', device, mount]);
  undo.push(() => {
    for (let i = 0; i < 20 && spawnSync('umount', [mount]).status !== 0; i++) spawnSync('sleep', ['0.3']);
    spawnSync('umount', ['-l', mount]);
  });
  return mount;
}

/** Runs a bash pipeline under /usr/bin/time for one stage; returns wall seconds and that stage's CPU and peak RSS. */
function timed(script) {
  const timeFile = path.join(work, 'time.txt');
  rmSync(timeFile, { force: true });
  const started = process.hrtime.bigint();
  const r = bash(script.replace('TIME', `/usr/bin/time -o ${timeFile} -f '%U %S %M'`));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${script}\n${r.stderr}`);
  const [user, system, rssKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const stats = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((m) => m.type === 'done');
  return { wall, cpu: user + system, rssMiB: rssKiB / 1024, stats };
}

try {
  const cli = path.join(work, 'send-stream-cat.mjs');
  await build({
    entryPoints: [path.join(root, 'bench/send-stream-cat.ts')],
    outfile: cli,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const driver = path.join(work, 'transfer-driver.mjs');
  await build({
    entryPoints: [path.join(root, 'bench/transfer-driver.ts')],
    outfile: driver,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const helperBundle = path.join(root, 'dist/helper/rewind-helper-main.cjs');
  statSync(helperBundle);
  // The bundle finds the native CRC module through a node_modules link beside it.
  const node = 'node';
  const codec = (args) => `${node} ${cli} ${args}`;
  writeFileSync(path.join(work, 'package.json'), '{"type":"module"}');
  sh('ln', ['-s', path.join(root, 'node_modules'), path.join(work, 'node_modules')]);

  console.error(`making ${gib} GiB of incompressible files and a protocol ${proto} stream of them…`);
  const src = loopFs('src', Math.ceil(gib * 1.3) + 1);
  const dst = loopFs('dst', Math.ceil(gib * 1.3) + 1);
  sh('btrfs', ['subvolume', 'create', path.join(src, 'data')]);
  const files = 8;
  const perFile = Math.round((gib * 1024) / files);
  for (let i = 0; i < files; i++) {
    const r = bash(`(openssl enc -aes-128-ctr -nosalt -pass pass:bench${i} -pbkdf2 </dev/zero 2>/dev/null || true) | head -c ${perFile}M > ${src}/data/file-${i}.bin`);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(src, 'data'), path.join(src, 'snap')]);
  sh('sync', []);
  const stream = path.join(work, 'full.stream');
  sh('btrfs', ['send', '-q', ...sendArgs, '-f', stream, path.join(src, 'snap')]);
  const bytes = statSync(stream).size;
  console.error(`stream: ${(bytes / 2 ** 30).toFixed(2)} GiB`);

  // 1. The stream file (in the page cache) through each stage of one pipe.
  const stages = [
    ['cat', 'TIME cat'],
    ['node, a PassThrough Transform (what transfer.ts has today)', `TIME ${codec('--passthrough')}`],
    ['codec Transform (SendStreamPipe), TypeScript CRC', `TIME ${codec('--checksum js')}`],
    ['codec Transform (SendStreamPipe), native CRC', `TIME ${codec('--checksum native')}`],
    ['codec process loop, TypeScript CRC', `TIME ${codec('--process --checksum js')}`],
    ['codec process loop, native CRC', `TIME ${codec('--process --checksum native')}`],
    ['codec process loop, native CRC, SELinux filter', `TIME ${codec('--process --checksum native --drop-selinux')}`],
  ];
  const throughput = {};
  const loadBefore = loadavg();
  for (let run = 0; run < (backupOnly ? 0 : runs); run++) {
    for (const [name, stage] of stages) {
      const t = timed(`cat ${stream} | ${stage} > /dev/null`);
      if (t.stats && t.stats.stats.bytesOut !== bytes) throw new Error(`${name} wrote ${t.stats.stats.bytesOut} of ${bytes} bytes`);
      (throughput[name] ??= []).push(t);
    }
  }
  const loadAfterThroughput = loadavg();

  // 2. A full backup, received for real, with and without the codec.
  const backup = {};
  const receive = path.join(dst, 'in');
  sh('mkdir', ['-p', receive]);
  const send = `btrfs send -q ${sendArgs.join(' ')} ${src}/snap`;
  const integrated = [
    'send | helper stream-codec | receive, as the helper runs it',
    `TIME node ${driver} ${helperBundle} ${src}/snap ${receive} ${sendArgs.join(' ')}`,
  ];
  const all = [
    ['send | receive', `${send} | TIME btrfs receive -q ${receive}`],
    integrated,
    ['send | node PassThrough | receive', `${send} | TIME ${codec('--passthrough')} | btrfs receive -q ${receive}`],
    ['send | codec Transform | receive', `${send} | TIME ${codec('--checksum native')} | btrfs receive -q ${receive}`],
    ['send | codec process | receive', `${send} | TIME ${codec('--process --checksum native')} | btrfs receive -q ${receive}`],
    ['send | codec process (TS CRC) | receive', `${send} | TIME ${codec('--process --checksum js')} | btrfs receive -q ${receive}`],
  ];
  const variants = integratedOnly ? all.slice(0, 2) : all;
  for (let run = 0; run < runs; run++) {
    for (const [name, script] of variants) {
      sh('sync', []);
      if (cold) {
        writeFileSync('/proc/sys/vm/drop_caches', '3');
        // Only the snapshot's data should be cold: Node and the bundle stay warm, as on a running system.
        sh('node', [cli, '--passthrough'], { input: '' });
        sh('btrfs', ['--version']);
      }
      const t = timed(script);
      (backup[name] ??= []).push(t);
      sh('btrfs', ['subvolume', 'delete', '-c', path.join(receive, 'snap')]);
      sh('btrfs', ['subvolume', 'sync', dst]);
      sh('sync', []);
    }
  }
  const loadAfter = loadavg();

  const gb = bytes / 1e9;
  const rows = Object.entries(throughput).map(([name, ts]) => ({
    stage: name,
    wall: median(ts.map((t) => t.wall)),
    gbps: gb / median(ts.map((t) => t.wall)),
    cpu: median(ts.map((t) => t.cpu)),
    rssMiB: Math.max(...ts.map((t) => t.rssMiB)),
  }));
  const base = median(backup['send | receive'].map((t) => t.wall));
  const backupRows = Object.entries(backup).map(([name, ts]) => ({
    pipeline: name,
    wall: median(ts.map((t) => t.wall)),
    added: median(ts.map((t) => t.wall)) / base - 1,
    all: ts.map((t) => t.wall),
    rssMiB: Math.max(...ts.map((t) => t.rssMiB)),
  }));
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, kernel ${os.release()}, node ${process.version}`,
    stream: { protocol: Number(proto), bytes, sendArgs },
    cold,
    runs,
    load: { before: loadBefore, afterThroughput: loadAfterThroughput, after: loadAfter },
    throughput: rows,
    backup: backupRows,
  };
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
  const f = (n, d = 2) => n.toFixed(d);
  console.log(`Stream: protocol ${proto} (${sendArgs.join(' ')}), ${f(bytes / 2 ** 30)} GiB, full send of ${gib} GiB of incompressible files; median of ${runs} runs; page cache ${cold ? 'dropped before each backup' : 'warm'}.`);
  console.log(`Machine: ${result.machine}. Load average before/after: ${loadBefore} / ${loadAfter}.\n`);
  if (!backupOnly) console.log('| stage in `cat stream \\| STAGE > /dev/null` | wall s | GB/s | CPU s | peak RSS MiB |');
  if (!backupOnly) console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.stage} | ${f(r.wall)} | ${f(r.gbps)} | ${f(r.cpu)} | ${f(r.rssMiB, 0)} |`);
  console.log('\n| full backup | wall s (median) | runs | added | peak RSS MiB of the timed stage |');
  console.log('| --- | ---: | --- | ---: | ---: |');
  for (const r of backupRows) {
    console.log(`| ${r.pipeline.replaceAll('|', '\\|')} | ${f(r.wall)} | ${r.all.map((w) => f(w, 1)).join(', ')} | ${f(100 * r.added, 1)} % | ${f(r.rssMiB, 0)} |`);
  }
} finally {
  for (const step of undo.reverse()) {
    try {
      step();
    } catch (error) {
      console.error(`cleanup: ${error.message}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
}
