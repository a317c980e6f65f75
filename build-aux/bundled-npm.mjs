#!/usr/bin/env node
// The npm packages each RPM's bundles inline, as the spec declares them:
// "License:" (ours and theirs, SPDX) and "Provides: bundled(nodejs-NAME) = VERSION".
// esbuild's metafile says which packages' files went into a bundle;
// package-lock.json gives their versions and licenses.
//
// Usage: node build-aux/bundled-npm.mjs --check SPEC    exit 1 if the spec's blocks are not what this makes
//        node build-aux/bundled-npm.mjs --write SPEC    rewrite them
//        node build-aux/bundled-npm.mjs --licenses SPEC DIR
//            copy the license files of the packages the spec names from
//            node_modules to DIR/NAME/ (the spec's %install; no esbuild needed)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions } from './bundle-options.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OURS = 'GPL-3.0-or-later';
/** Which bundles each package of the spec holds. */
const PACKAGES = { app: ['app'], helper: ['launcher', 'helper', 'codec'] };
const begin = (name) => `# Begin ${name} bundled npm packages: made by build-aux/bundled-npm.mjs, do not edit`;
const END = '# End bundled npm packages';

const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
/** Licenses that package.json names in words of its own, as SPDX (the LICENSE file of @nornagon/put is MIT's text). */
const SPDX = { 'MIT/X11': 'MIT', Apache2: 'Apache-2.0' };
/** A package.json license as an SPDX expression: a list of licenses is a choice between them. */
const spdx = (license) =>
  Array.isArray(license)
    ? `(${license.map((l) => SPDX[l] ?? l).sort().join(' OR ')})`
    : / (OR|AND) /.test(license)
      ? `(${license})`
      : (SPDX[license] ?? license);
/** Packages whose package.json names no license, by what their LICENSE file is. */
const LICENSE_FILE_SAYS = { 'jsbi@2.0.5': 'Apache-2.0', 'map-stream@0.1.0': 'MIT' };

/** The lock file key of the package that holds a node_modules file ("node_modules/a/node_modules/@b/c/x.js" → "node_modules/a/node_modules/@b/c"). */
function packageKey(file) {
  // From the first node_modules on: a symlinked node_modules makes the paths before it relative to elsewhere.
  const match = /(node_modules\/(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match?.[1];
}

async function block(name) {
  const { build } = await import('esbuild');
  const all = bundleOptions(root, path.join(root, 'dist'));
  const keys = new Set();
  for (const bundle of PACKAGES[name]) {
    const { metafile } = await build({ ...all[bundle], write: false, metafile: true, logLevel: 'error' });
    for (const file of Object.keys(metafile.inputs)) {
      const key = packageKey(file);
      if (key) keys.add(key);
    }
  }
  const found = [...keys].map((key) => {
    const entry = lock[key];
    const name = key.replace(/^.*node_modules\//, '');
    const license = entry?.license ?? LICENSE_FILE_SAYS[`${name}@${entry?.version}`];
    if (!entry?.version || !license) throw new Error(`${key} has no version or license in package-lock.json`);
    return { name, version: entry.version, license: spdx(license) };
  });
  found.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const licenses = [...new Set(found.map((f) => f.license))].sort();
  return [
    begin(name),
    `License:        ${[OURS, ...licenses].join(' AND ')}`,
    ...found.map((f) => `Provides:       bundled(nodejs-${f.name}) = ${f.version}`),
    END,
  ].join('\n');
}

function replaceBlock(spec, name, text) {
  const from = spec.indexOf(begin(name));
  const to = spec.indexOf(END, from);
  if (from < 0 || to < 0) throw new Error(`the spec has no block "${begin(name)}" … "${END}"`);
  return spec.slice(0, from) + text + spec.slice(to + END.length);
}

const [mode, spec, dir] = process.argv.slice(2);
if (!spec || !['--check', '--write', '--licenses'].includes(mode) || (mode === '--licenses' && !dir)) {
  console.error('usage: bundled-npm.mjs --check SPEC | --write SPEC | --licenses SPEC DIR');
  process.exit(2);
}
const text = readFileSync(spec, 'utf8');
if (mode === '--licenses') {
  const named = [...text.matchAll(/^Provides:\s+bundled\(nodejs-(\S+)\) = (\S+)$/gm)];
  for (const [, name, version] of named) {
    const key = Object.keys(lock).find((k) => k.endsWith(`node_modules/${name}`) && lock[k].version === version);
    if (!key) throw new Error(`${name} ${version} is not in package-lock.json`);
    const files = readdirSync(path.join(root, key)).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f));
    if (files.length === 0) throw new Error(`${key} has no license file`);
    mkdirSync(path.join(dir, name), { recursive: true });
    for (const f of files) copyFileSync(path.join(root, key, f), path.join(dir, name, f));
  }
  console.log(`${dir}: the license files of ${named.length} packages`);
} else {
  let wanted = text;
  for (const name of Object.keys(PACKAGES)) wanted = replaceBlock(wanted, name, await block(name));
  if (mode === '--write') writeFileSync(spec, wanted);
  else if (wanted !== text) {
    console.error(`${spec}: the bundled npm packages are out of date; run node build-aux/bundled-npm.mjs --write ${spec}`);
    process.exit(1);
  }
}
