#!/usr/bin/env node
// Writes the Flatpak sources of every npm package in package-lock.json, in
// flatpak-node-generator's npm format, so that flatpak-builder downloads them
// (each pinned by its sha512) and the build runs "npm ci --offline".
//
// Usage: node build-aux/flatpak-npm-sources.mjs [OUT]
//        (default: build-aux/generated-sources.json; run it after every
//        change to package-lock.json and commit the result)
//        node build-aux/flatpak-npm-sources.mjs --resolve-lock
//        (in the Flatpak build, before npm ci: see below)
//
// Our lock file has no "resolved" addresses, and without them npm asks the
// registry for each package's metadata even with --offline. --resolve-lock
// writes into package-lock.json the same addresses the sources use, so npm
// ci finds every tarball in the cache.
//
// Each tarball goes where npm's cache (cacache) keeps content by digest:
// flatpak-node/npm-cache/_cacache/content-v2/sha512/ab/cd/ef…. npm ci reads a
// tarball from there by the lock file's integrity without any index entry
// (pacote short-circuits to the cache when it has "resolved" and
// "integrity"), so no index is generated. Packages for one CPU get
// only-arches; those for other systems than Linux, or for CPUs Flatpak does
// not build for, are left out because npm does not install them.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const resolveLock = process.argv[2] === '--resolve-lock';
const out = path.resolve(resolveLock ? path.join(root, 'package-lock.json') : (process.argv[2] ?? path.join(here, 'generated-sources.json')));

/** npm's cpu names → Flatpak's arches. */
const ARCHES = { x64: 'x86_64', arm64: 'aarch64' };
const CACHE = 'flatpak-node/npm-cache';

/** Whether a package.json os/cpu list (with "!x" negations) allows VALUE. */
function allows(list, value) {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  return list.includes(value) || list.every((v) => v.startsWith('!'));
}

/**
 * The tarball's address in the npm registry, for a lock file written without
 * "resolved" (npm's omit-lockfile-registry-resolved): REGISTRY/NAME/-/BASE-VERSION.tgz.
 */
function registryUrl(key, entry) {
  const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`;
}

const lockText = readFileSync(path.join(root, 'package-lock.json'), 'utf8');
const lock = JSON.parse(lockText);
if (lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');

if (resolveLock) {
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key !== '' && !entry.link && !entry.resolved) entry.resolved = registryUrl(key, entry);
  }
  writeFileSync(out, `${JSON.stringify(lock, null, 2)}\n`);
  process.exit(0);
}

const byDigest = new Map();
for (const [key, entry] of Object.entries(lock.packages)) {
  if (key === '' || entry.link) continue;
  if (!allows(entry.os, 'linux')) continue;
  const arches = Object.entries(ARCHES)
    .filter(([cpu]) => allows(entry.cpu, cpu))
    .map(([, arch]) => arch);
  if (arches.length === 0) continue;
  const integrity = String(entry.integrity ?? '')
    .split(/\s+/)
    .find((i) => i.startsWith('sha512-'));
  if (!integrity) throw new Error(`${key} has no sha512 integrity in package-lock.json`);
  const hex = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
  const source = {
    type: 'file',
    url: entry.resolved ?? registryUrl(key, entry),
    sha512: hex,
    dest: `${CACHE}/_cacache/content-v2/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}`,
    'dest-filename': hex.slice(4),
    ...(arches.length < Object.keys(ARCHES).length ? { 'only-arches': arches } : {}),
  };
  // The same tarball can be installed at several places in the tree.
  byDigest.set(hex, source);
}

const sources = [...byDigest.values()].sort((a, b) => a.url.localeCompare(b.url));
writeFileSync(out, `${JSON.stringify(sources, null, 2)}\n`);
console.log(`${path.relative(process.cwd(), out)}: ${sources.length} npm tarballs`);
