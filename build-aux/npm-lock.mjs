// package-lock.json as the packaging scripts read it: the packages a set of
// dependencies needs at run time, resolved as node resolves them
// (flatpak-npm-sources.mjs for the Flatpak's sources, vendor-node-modules.mjs
// for the RPM's vendor tarball).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The lock file's packages (lockfileVersion 2 or 3) and package.json, of the checkout at ROOT. */
export function readLock(root) {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  if (lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');
  return { packages: lock.packages, manifest: JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) };
}

/** Where node finds NAME from the package at FROM ('' is the project): the nearest node_modules up the tree. */
function resolve(packages, from, name) {
  for (let dir = from; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

/**
 * The packages NAMES need, with what they need in turn, breadth first, by
 * their key in the lock file. ACCEPT(key, entry, optional) decides for each
 * one found (`optional`: only an optional dependency asked for it): a value
 * to keep it with, or undefined to leave it, and what it needs, out. A
 * package missing from the lock file is an error unless only optional.
 */
export function dependencyClosure(packages, names, accept) {
  const wanted = new Map();
  const queue = names.map((name) => ['', name, false]);
  while (queue.length > 0) {
    const [from, name, optional] = queue.shift();
    const key = resolve(packages, from, name);
    if (!key) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from || 'package.json'}) is not in package-lock.json`);
    }
    if (wanted.has(key)) continue;
    const value = accept(key, packages[key], optional);
    if (value === undefined) continue;
    wanted.set(key, value);
    for (const dep of Object.keys(packages[key].dependencies ?? {})) queue.push([key, dep, false]);
    for (const dep of Object.keys(packages[key].optionalDependencies ?? {})) queue.push([key, dep, true]);
  }
  return wanted;
}
