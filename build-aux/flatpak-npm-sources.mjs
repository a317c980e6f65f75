#!/usr/bin/env node
// Writes the Flatpak's npm sources: exactly the packages that bundling needs,
// each an "archive" source that flatpak-builder downloads (pinned by its
// sha512) and unpacks at its place in node_modules/, as package-lock.json lays
// the tree out. No npm runs in the build, and nothing else is fetched: not
// jest, TypeScript or eslint, and not @node-rs/crc32 (a prebuilt native
// module for the helper's codec, which the Flatpak does not hold).
//
// The packages: the closure, in package-lock.json, of package.json's
// dependencies (the bundles inline them) and esbuild (the bundler), with
// those optional dependencies that are a platform's build (esbuild's binary)
// for Linux on the CPUs Flatpak builds for, marked only-arches. Other
// optional dependencies (dbus-next's usocket and x11) stay out, as the
// bundles leave them out.
//
// Usage: node build-aux/flatpak-npm-sources.mjs [OUT]
//        (default: build-aux/generated-sources.json; run it after every
//        change to package-lock.json and commit the result)
//        node build-aux/flatpak-npm-sources.mjs --check
//        (fails when the committed file differs from what it would write)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dependencyClosure, readLock } from './npm-lock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const check = process.argv[2] === '--check';
const out = path.resolve(check || !process.argv[2] ? path.join(here, 'generated-sources.json') : process.argv[2]);

/** npm's cpu names → Flatpak's arches. */
const ARCHES = { x64: 'x86_64', arm64: 'aarch64' };
/** Dependencies that are prebuilt native code for the helper alone. */
const NATIVE = new Set(['@node-rs/crc32']);
const BUNDLER = 'esbuild';

/** Whether a package.json os/cpu list (with "!x" negations) allows VALUE. */
function allows(list, value) {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  return list.includes(value) || list.every((v) => v.startsWith('!'));
}

/** The tarball's address in the npm registry (our lock file has no "resolved"): REGISTRY/NAME/-/BASE-VERSION.tgz. */
function registryUrl(key, entry) {
  const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz`;
}

const { packages, manifest } = readLock(root);

/** The Flatpak arches a package installs on; none when npm would not install it on Linux there. */
function archesOf(entry) {
  if (!allows(entry.os, 'linux')) return [];
  return Object.entries(ARCHES)
    .filter(([cpu]) => allows(entry.cpu, cpu))
    .map(([, arch]) => arch);
}

const names = [...Object.keys(manifest.dependencies ?? {}).filter((name) => !NATIVE.has(name)), BUNDLER];
const wanted = dependencyClosure(packages, names, (key, entry, optional) => {
  // An optional dependency for a platform (esbuild's binary) is needed; the others (dbus-next's
  // usocket and x11, which the bundles leave out) are not.
  if (optional && !entry.os && !entry.cpu) return undefined;
  const arches = archesOf(entry);
  if (arches.length > 0) return arches;
  if (optional || entry.optional) return undefined;
  throw new Error(`${key} is needed but does not install on Linux`);
});

const sources = [...wanted.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([key, arches]) => {
    const entry = packages[key];
    const integrity = String(entry.integrity ?? '')
      .split(/\s+/)
      .find((i) => i.startsWith('sha512-'));
    if (!integrity) throw new Error(`${key} has no sha512 integrity in package-lock.json`);
    return {
      type: 'archive',
      url: entry.resolved ?? registryUrl(key, entry),
      sha512: Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex'),
      // npm's tarballs hold one folder (package/): flatpak-builder strips it.
      dest: key,
      ...(arches.length < Object.keys(ARCHES).length ? { 'only-arches': arches } : {}),
    };
  });

const text = `${JSON.stringify(sources, null, 2)}\n`;
if (check) {
  if (readFileSync(out, 'utf8') !== text) {
    console.error(`${path.relative(process.cwd(), out)} is not what package-lock.json gives: run node build-aux/flatpak-npm-sources.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`${path.relative(process.cwd(), out)}: ${sources.length} npm packages`);
}
