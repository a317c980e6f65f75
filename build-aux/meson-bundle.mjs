#!/usr/bin/env node
// meson's custom_target for the bundles (see ../meson.build).
// Usage: node build-aux/meson-bundle.mjs PRIVATE_DIR APP_OUT LAUNCHER_OUT HELPER_OUT CODEC_OUT DEPFILE [--esbuild PROGRAM]
//
// Runs bundle.mjs into PRIVATE_DIR and copies the bundles to the outputs meson
// declared (a custom_target's outputs cannot live in subdirectories). DEPFILE
// lists every file under src/ plus the build inputs, so ninja rebuilds the
// bundles whenever any of them changes, is added or is removed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [privateDir, appOut, launcherOut, helperOut, codecOut, depfile, ...bundleArgs] = process.argv.slice(2);
if (!depfile) {
  console.error('usage: meson-bundle.mjs PRIVATE_DIR APP_OUT LAUNCHER_OUT HELPER_OUT CODEC_OUT DEPFILE');
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

execFileSync(process.execPath, [path.join(here, 'bundle.mjs'), '--outdir', privateDir, ...bundleArgs], { stdio: 'inherit' });
copyFileSync(path.join(privateDir, 'app', 'rewind.js'), appOut);
copyFileSync(path.join(privateDir, 'helper', 'rewind-helper.cjs'), launcherOut);
copyFileSync(path.join(privateDir, 'helper', 'rewind-helper-main.cjs'), helperOut);
copyFileSync(path.join(privateDir, 'helper', 'rewind-stream-codec.cjs'), codecOut);

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(p);
    return entry.isFile() ? [p] : [];
  });
}
const inputs = [
  ...walk(path.join(root, 'src')),
  path.join(here, 'bundle.mjs'),
  path.join(here, 'bundle-options.mjs'),
  path.join(root, 'package.json'),
  path.join(root, 'package-lock.json'),
];
// Makefile syntax as ninja reads it: escape spaces, '#' and '$'.
const escape = (p) => p.replace(/([ #])/g, '\\$1').replace(/\$/g, '$$$$');
writeFileSync(depfile, `${escape(appOut)}: ${inputs.map(escape).join(' \\\n  ')}\n`);
