#!/usr/bin/env node
// xgettext for a tree whose sources are TypeScript (see ../meson.build).
//
// meson's i18n.gettext() runs one xgettext over po/POTFILES.in. gettext before
// 0.24 does not know the .ts extension, and --language= applies to every input
// file, so one run cannot read the TypeScript sources as JavaScript and the
// .desktop, metainfo and polkit files by their own rules. This takes the same
// arguments as xgettext and runs it twice into the same .pot: the data files
// without --language, then the scripts with --language (JavaScript unless
// given) joined to the first result.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = /\.(?:[cm]?[jt]s|tsx)$/;
const xgettext = process.env.XGETTEXT || 'xgettext';

let listFile;
let language = 'JavaScript';
const common = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '-f' || arg === '--files-from') listFile = argv[++i];
  else if (arg.startsWith('--files-from=')) listFile = arg.slice('--files-from='.length);
  else if (arg === '-L' || arg === '--language') language = argv[++i];
  else if (arg.startsWith('--language=')) language = arg.slice('--language='.length);
  else if (arg.startsWith('-L') && arg.length > 2) language = arg.slice(2);
  else if (arg.startsWith('-f') && arg.length > 2) listFile = arg.slice(2);
  else common.push(arg);
}
if (!listFile) {
  // Not the form meson uses; nothing to split.
  const r = spawnSync(xgettext, argv, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const files = readFileSync(listFile, 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const scripts = files.filter((f) => SCRIPT.test(f));
const data = files.filter((f) => !SCRIPT.test(f));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-xgettext-'));
let status = 0;
try {
  const runs = [];
  if (data.length > 0) runs.push({ list: data, extra: [] });
  if (scripts.length > 0) runs.push({ list: scripts, extra: [`--language=${language}`] });
  runs.forEach((run, n) => {
    if (status !== 0) return;
    const list = path.join(tmp, `files-${n}`);
    writeFileSync(list, `${run.list.join('\n')}\n`);
    // The first run writes the .pot even when it finds nothing, the next ones add to it.
    const join = n === 0 ? ['--force-po'] : ['--join-existing'];
    const r = spawnSync(xgettext, [...common, ...run.extra, ...join, '-f', list], { stdio: 'inherit' });
    status = r.status ?? 1;
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(status);
