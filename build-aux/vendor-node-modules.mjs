#!/usr/bin/env node
// Makes the vendor tarball that an offline build of a "meson dist" tarball
// needs (the RPM's Source1): node_modules/ with the runtime dependencies the
// bundles inline and nothing else: no jest, TypeScript or eslint, and no
// prebuilt binary. esbuild's npm package (a prebuilt Go binary) is left out:
// the RPM bundles with the distribution's esbuild (meson -Desbuild=), built
// from source. So is @node-rs/crc32 (a prebuilt native module): the RPM builds
// with -Dnative_crc=false. The tarball is the same on every architecture.
//
// Usage: node build-aux/vendor-node-modules.mjs OUT.tar.xz
//
// The package set is the closure, in package-lock.json, of the dependencies
// in package.json plus esbuild; the files come from the node_modules that
// "npm ci" installed from that lock file. The tarball is reproducible: sorted, owned by root, and dated by
// SOURCE_DATE_EPOCH or else the lock file's last commit.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = process.argv[2];
if (!out) {
  console.error('usage: vendor-node-modules.mjs OUT.tar.xz');
  process.exit(2);
}

/** Runtime dependencies that are prebuilt native code, and not bundled. */
const NATIVE = new Set(['@node-rs/crc32']);

const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
/** @type {Record<string, {dependencies?: Record<string,string>, optionalDependencies?: Record<string,string>, link?: boolean}>} */
const packages = lock.packages;
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * Where node finds NAME from the package at FROM ('' is the project): the
 * nearest node_modules up the tree, as the lock file records it.
 */
function resolve(from, name) {
  for (let dir = from; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

const wanted = new Set();
const queue = Object.keys(manifest.dependencies ?? {})
  .filter((name) => !NATIVE.has(name))
  .map((name) => ['', name, false]);
while (queue.length > 0) {
  const [from, name, optional] = queue.shift();
  const key = resolve(from, name);
  if (!key) {
    if (optional) continue;
    throw new Error(`${name} (needed by ${from || 'package.json'}) is not in package-lock.json`);
  }
  if (wanted.has(key)) continue;
  // Optional packages for other platforms are in the lock file but not installed.
  if (!existsSync(path.join(root, key))) {
    if (optional || packages[key].optional) continue;
    throw new Error(`${key} is not installed: run "npm ci" first`);
  }
  wanted.add(key);
  const entry = packages[key];
  for (const dep of Object.keys(entry.dependencies ?? {})) queue.push([key, dep, false]);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push([key, dep, true]);
}

// node_modules may be a symlink (a git worktree sharing one install).
const modules = realpathSync(path.join(root, 'node_modules'));
const epoch =
  process.env.SOURCE_DATE_EPOCH ??
  execFileSync('git', ['log', '-1', '--format=%ct', '--', 'package-lock.json'], { cwd: root, encoding: 'utf8' }).trim();
// A package's directory holds its nested node_modules: list only the outermost.
const list = [...wanted].sort().filter((key) => ![...wanted].some((other) => key.startsWith(`${other}/node_modules/`)));
execFileSync(
  'tar',
  [
    '--create',
    '--xz',
    `--file=${path.resolve(out)}`,
    `--directory=${path.dirname(modules)}`,
    '--transform=s,^[^/]*,node_modules,',
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${epoch || 0}`,
    '--mode=u+w,go-w',
    '--exclude=.bin',
    ...list.map((key) => path.join(path.basename(modules), key.slice('node_modules/'.length))),
  ],
  { stdio: 'inherit', env: { ...process.env, XZ_OPT: '-6 -T1' } },
);
console.log(`${out}: ${list.length} packages: ${list.map((k) => k.replace(/^node_modules\//, '')).join(', ')}`);
