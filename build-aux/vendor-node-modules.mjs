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
// in package.json (./npm-lock.mjs); the files come from the node_modules that
// "npm ci" installed from that lock file. The tarball is reproducible: sorted, owned by root, and dated by
// SOURCE_DATE_EPOCH or else the lock file's last commit.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dependencyClosure, readLock } from './npm-lock.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = process.argv[2];
if (!out) {
  console.error('usage: vendor-node-modules.mjs OUT.tar.xz');
  process.exit(2);
}

/** Runtime dependencies that are prebuilt native code, and not bundled. */
const NATIVE = new Set(['@node-rs/crc32']);

const { packages, manifest } = readLock(root);
const names = Object.keys(manifest.dependencies ?? {}).filter((name) => !NATIVE.has(name));
const wanted = dependencyClosure(packages, names, (key, entry, optional) => {
  // Optional packages for other platforms are in the lock file but not installed.
  if (existsSync(path.join(root, key))) return true;
  if (optional || entry.optional) return undefined;
  throw new Error(`${key} is not installed: run "npm ci" first`);
});

// node_modules may be a symlink (a git worktree sharing one install).
const modules = realpathSync(path.join(root, 'node_modules'));
const epoch =
  process.env.SOURCE_DATE_EPOCH ??
  execFileSync('git', ['log', '-1', '--format=%ct', '--', 'package-lock.json'], { cwd: root, encoding: 'utf8' }).trim();
// A package's directory holds its nested node_modules: list only the outermost.
const keys = [...wanted.keys()];
const list = keys.sort().filter((key) => !keys.some((other) => key.startsWith(`${other}/node_modules/`)));
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
