#!/usr/bin/env node
// meson install script (see ../meson.build): puts the native CRC32C module
// (@node-rs/crc32 and whichever of its platform packages npm installed here)
// in DIR/node_modules next to the helper bundle, where the bundle's
// createRequire(import.meta.url) finds it. Without it the helper still works,
// with the slower TypeScript CRC32C; each run's record says which one ran
// (transfers[].codec.checksum).
// Usage: node build-aux/meson-install-native.mjs DIR   (DIR: the bundle's folder, as configured)
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir] = process.argv.slice(2);
if (!dir) {
  console.error('usage: meson-install-native.mjs DIR');
  process.exit(2);
}
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// DESTDIR staging: DIR is under the configured prefix; install under DESTDIR's copy of it.
const prefix = process.env.MESON_INSTALL_PREFIX;
const destPrefix = process.env.MESON_INSTALL_DESTDIR_PREFIX;
const target = prefix && destPrefix && path.isAbsolute(dir) ? path.join(destPrefix, path.relative(prefix, dir)) : dir;

const scope = path.join(root, 'node_modules', '@node-rs');
const packages = existsSync(scope) ? readdirSync(scope).filter((name) => name === 'crc32' || name.startsWith('crc32-')) : [];
if (!packages.includes('crc32') || packages.length < 2) {
  console.warn('meson-install-native: @node-rs/crc32 or its platform package is not in node_modules; the helper will use the TypeScript CRC32C.');
}
for (const name of packages) {
  const to = path.join(target, 'node_modules', '@node-rs', name);
  cpSync(path.join(scope, name), to, { recursive: true, dereference: true });
  console.log(`Installing @node-rs/${name} to ${to}`);
}
