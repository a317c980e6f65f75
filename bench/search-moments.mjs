#!/usr/bin/env node
// Find across time (SearchMoments) on a large corpus: a btrfs loop image with
// a folder of FILES files in 1000 folders and MOMENTS read-only snapshots,
// each step deleting, renaming and creating a few files, some of them named
// "needle-…". Measures what the helper does (src/helper/restore/search-moments.ts):
// `find -iname` in the newest snapshot, then for each older step
// `btrfs send --no-data -p`, the codec's change list and leftBehind
// (src/core), and `find -name` for each name left behind; against `find` in
// every snapshot. Run as root here, without setpriv and D-Bus (the helper's
// extra cost per call is one process per hit). Wall seconds and the peak RSS
// of this process (which parses the change lists, as the helper does).
// Usage: sudo node bench/search-moments.mjs [--files 100000] [--moments 200]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const FILES = Number(option('--files', '100000'));
const MOMENTS = Number(option('--moments', '200'));
const work = mkdtempSync(path.join(os.tmpdir(), 'rewind-search-moments-'));
const undo = [];
const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'buffer', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

const bundled = await build({
  stdin: { contents: "export { listChanges } from './src/core/send-stream/changes';\nexport { leftBehind, newestFirst } from './src/core/moments-search';", resolveDir: root, loader: 'ts' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
});
const { listChanges, leftBehind } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

try {
  const image = path.join(work, 'fs.img');
  sh('truncate', ['-s', '4G', image]);
  const device = sh('losetup', ['--find', '--show', image]).toString().trim();
  undo.push(() => spawnSync('losetup', ['-d', device]));
  sh('mkfs.btrfs', ['-q', device]);
  const top = path.join(work, 'top');
  mkdirSync(top);
  sh('mount', ['-o', 'noatime', device, top]);
  undo.push(() => spawnSync('umount', ['-l', top]));
  const home = path.join(top, 'home');
  sh('btrfs', ['subvolume', 'create', home]);
  mkdirSync(path.join(top, 'snaps'));

  let start = process.hrtime.bigint();
  for (let i = 0; i < FILES; i++) {
    const folder = path.join(home, `folder-${i % 1000}`);
    if (i < 1000) mkdirSync(folder);
    writeFileSync(path.join(folder, `file-${i}.txt`), `${i}\n`);
  }
  console.error(`${FILES} files in ${seconds(start).toFixed(1)} s`);

  // Each step: 5 deleted, 5 renamed, 10 created; every tenth step a needle that lives three steps.
  start = process.hrtime.bigint();
  const names = [];
  let next = FILES;
  let victim = 0;
  const needles = [];
  for (let m = 0; m < MOMENTS; m++) {
    for (let k = 0; k < 5; k++, victim += 7) rmSync(path.join(home, `folder-${victim % 1000}`, `file-${victim}.txt`), { force: true });
    for (let k = 0; k < 5; k++, victim += 7) {
      const from = path.join(home, `folder-${victim % 1000}`, `file-${victim}.txt`);
      try {
        renameSync(from, `${from}.old`);
      } catch {
        /* deleted before */
      }
    }
    for (let k = 0; k < 10; k++, next++) writeFileSync(path.join(home, `folder-${next % 1000}`, `file-${next}.txt`), `${next}\n`);
    if (m % 10 === 0) {
      needles.push({ file: path.join(home, `folder-${m}`, `needle-${m}.txt`), until: m + 3 });
      writeFileSync(needles.at(-1).file, 'needle\n');
    }
    for (const n of needles) if (n.until === m) rmSync(n.file, { force: true });
    const name = new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', home, path.join(top, 'snaps', name)]);
    names.unshift(name);
  }
  console.error(`${MOMENTS} snapshots in ${seconds(start).toFixed(1)} s`);
  sh('sync', []);
  const at = (name) => path.join(top, 'snaps', name);

  // The helper's way.
  start = process.hrtime.bigint();
  const hits = new Map();
  const newest = sh('find', [at(names[0]), '-mindepth', '1', '-iname', '*needle*', '-printf', '%P\\0']).toString().split('\0').filter(Boolean);
  for (const p of newest) hits.set(p, names[0]);
  const newestSeconds = seconds(start);
  let changes = 0;
  let looks = 0;
  for (let i = 1; i < names.length; i++) {
    const stream = sh('btrfs', ['send', '-q', '--no-data', '-p', at(names[i]), at(names[i - 1])]);
    const step = listChanges(stream).flatMap((l) => l.changes);
    changes += step.length;
    const { paths } = leftBehind(step, 'needle', '');
    for (const p of paths) {
      if (hits.has(p)) continue;
      looks++;
      const found = sh('find', [path.join(at(names[i]), path.dirname(p)), '-mindepth', '1', '-maxdepth', '1', '-name', path.basename(p), '-printf', '%P\\0']).toString();
      if (found) hits.set(p, names[i]);
    }
  }
  const acrossSeconds = seconds(start);
  const rss = process.resourceUsage().maxRSS / 1024;

  // Against find in every snapshot (the first 20, scaled, unless --all).
  const sample = argv.includes('--all') ? names.length : Math.min(20, names.length);
  start = process.hrtime.bigint();
  for (let i = 0; i < sample; i++) sh('find', [at(names[i]), '-mindepth', '1', '-iname', '*needle*', '-printf', '%P\\0']);
  const everyFind = (seconds(start) / sample) * names.length;

  console.log(
    JSON.stringify(
      {
        files: FILES,
        moments: MOMENTS,
        hits: hits.size,
        needlesPlanted: needles.length,
        newestFindSeconds: +newestSeconds.toFixed(2),
        wholeSearchSeconds: +acrossSeconds.toFixed(2),
        changesRead: changes,
        namesLookedAt: looks,
        peakRssMiB: Math.round(rss),
        findInEverySnapshotSeconds: +everyFind.toFixed(1),
        findInEverySnapshotMeasured: sample,
      },
      null,
      1,
    ),
  );
} finally {
  for (const f of undo.reverse()) f();
  rmSync(work, { recursive: true, force: true });
}
