import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Module from 'node:module';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { bundleInto } from '../support/bundle';
import { REPO } from '../support/system-bus';

/**
 * The helper's launcher and its V8 code cache (src/helper/entry/launcher.ts), as
 * the installed launcher runs it: a cache made by the first start of a
 * command is taken as it is by the next (V8 accepted it, or the launcher
 * would have written it again), a damaged one changes nothing a user sees
 * (V8 refuses it: the launcher keeps a cache only when Node checks it) and
 * is replaced, a folder others could write to is never used, and a new
 * bundle leaves one file per command behind. Where Node has a compile cache
 * of its own (22.8 and later) the launcher hands it the folder instead.
 */
jest.setTimeout(120_000);

/** Node 22.8 and later: the launcher leaves the cache to Node, and the tests of its own cache do not apply. */
const nodeCompileCache = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const ownCacheTest = nodeCompileCache ? test.skip : test;

let dir: string;
let dist: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-code-cache-'));
  dist = bundleInto(dir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The Node options of the installed launcher (build-aux/rewind-helper.in). */
function launcherFlags(): string[] {
  const exec = readFileSync(path.join(REPO, 'build-aux/rewind-helper.in'), 'utf8').split('\n').find((l) => l.startsWith('exec '));
  return [...(exec ?? '').matchAll(/ (--[\w-]+(?:=\S+)?)/g)].map((m) => m[1]);
}

/** `rewind-helper status` with no configuration, as the installed launcher runs it; what it prints must not depend on the cache. */
function status(cacheDir: string | undefined, flags = launcherFlags()): string {
  const env = { ...process.env, REWIND_CODE_CACHE_DIR: cacheDir };
  if (cacheDir === undefined) delete env.REWIND_CODE_CACHE_DIR;
  const r = spawnSync(process.execPath, [...flags, path.join(dist, 'helper/rewind-helper.cjs'), 'status', '--config', path.join(dir, 'none.json'), '--state-dir', path.join(dir, 'state')], { env, encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return r.stdout;
}

const EXPECTED = 'Not configured.\nNo successful backup yet.\n';

/** The cache files of a folder, with what tells a rewrite apart (inode and modification time). */
function files(cacheDir: string): Array<{ name: string; ino: number; mtimeMs: number; mode: string }> {
  return readdirSync(cacheDir).map((name) => {
    const s = statSync(path.join(cacheDir, name));
    return { name, ino: s.ino, mtimeMs: s.mtimeMs, mode: (s.mode & 0o777).toString(8) };
  });
}

test('without a cache folder the helper runs and writes nothing', () => {
  expect(launcherFlags()).toContain('--verify-snapshot-checksum');
  expect(status(undefined)).toBe(EXPECTED);
  expect(readdirSync(path.join(dist, 'helper')).sort()).toEqual(['rewind-helper-main.cjs', 'rewind-helper.cjs', 'rewind-stream-codec.cjs']);
});

ownCacheTest('without V8 checking the cache (no --verify-snapshot-checksum) no cache is kept', () => {
  const cacheDir = path.join(dir, 'cache-unchecked');
  mkdirSync(cacheDir);
  expect(status(cacheDir, launcherFlags().filter((f) => f !== '--verify-snapshot-checksum'))).toBe(EXPECTED);
  expect(readdirSync(cacheDir)).toEqual([]);
});

ownCacheTest('the first start makes the cache (files only root may read), the next one uses it as it is', () => {
  const cacheDir = path.join(dir, 'cache-a');
  expect(status(cacheDir)).toBe(EXPECTED);
  expect((statSync(cacheDir).mode & 0o777).toString(8)).toBe('755');
  const first = files(cacheDir);
  expect(first).toEqual([{ name: expect.stringMatching(/^status\.[0-9a-z]+(-[0-9a-z]+){3}\.v8$/), ino: expect.any(Number), mtimeMs: expect.any(Number), mode: '600' }]);
  expect(statSync(path.join(cacheDir, first[0].name)).size).toBeGreaterThan(10_000);

  expect(status(cacheDir)).toBe(EXPECTED);
  expect(status(cacheDir)).toBe(EXPECTED);
  expect(files(cacheDir)).toEqual(first);
});

ownCacheTest('a damaged cache changes nothing the user sees and is made anew', () => {
  const cacheDir = path.join(dir, 'cache-b');
  status(cacheDir);
  const [made] = files(cacheDir);
  const file = path.join(cacheDir, made.name);
  const good = readFileSync(file);
  // In the compiled code, past V8's header: without the checksum flag, this crashed Node.
  const damaged = Buffer.from(good);
  for (let i = 100_000; i < damaged.length; i += 997) damaged[i] ^= 0x5a;
  writeFileSync(file, damaged);

  expect(status(cacheDir)).toBe(EXPECTED);
  const [remade] = files(cacheDir);
  expect(remade.name).toBe(made.name);
  expect(readFileSync(file).equals(damaged)).toBe(false);
  // Taken as it is from then on.
  expect(status(cacheDir)).toBe(EXPECTED);
  expect(files(cacheDir)).toEqual([remade]);
});

test('a folder others may write to, or a link, is not used', () => {
  const open = path.join(dir, 'cache-open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  expect(status(open)).toBe(EXPECTED);
  expect(readdirSync(open)).toEqual([]);

  const target = path.join(dir, 'cache-target');
  mkdirSync(target, { mode: 0o700 });
  const link = path.join(dir, 'cache-link');
  symlinkSync(target, link);
  expect(status(link)).toBe(EXPECTED);
  expect(readdirSync(target)).toEqual([]);

  expect(status('relative/cache')).toBe(EXPECTED);
});

ownCacheTest('a new bundle gets its own file and the old one of that command goes', () => {
  const cacheDir = path.join(dir, 'cache-c');
  status(cacheDir);
  const [old] = files(cacheDir);
  appendFileSync(path.join(dist, 'helper/rewind-helper-main.cjs'), '\n// another build\n');
  expect(status(cacheDir)).toBe(EXPECTED);
  const now = files(cacheDir);
  expect(now).toEqual([{ name: expect.stringMatching(/^status\.[0-9a-z]+(-[0-9a-z]+){3}\.v8$/), ino: expect.any(Number), mtimeMs: expect.any(Number), mode: '600' }]);
  expect(now[0].name).not.toBe(old.name);
});

/**
 * Node 20 has no module.enableCompileCache(): a stand-in, loaded before the
 * launcher, records how it is called (and the umask then), so that the
 * launcher's choice of Node's cache is tested here too.
 */
function withStandIn(cacheDir: string): Array<{ dir: string; umask: number }> {
  const log = path.join(dir, `stand-in-${path.basename(cacheDir)}.log`);
  const standIn = path.join(dir, 'stand-in.cjs');
  writeFileSync(
    standIn,
    `require('node:module').enableCompileCache = (dir) => {
      const umask = process.umask(0o777);
      process.umask(umask);
      require('node:fs').appendFileSync(process.env.STAND_IN_LOG, JSON.stringify({ dir, umask }) + '\\n');
      return { status: 1, directory: dir };
    };\n`,
  );
  process.env.STAND_IN_LOG = log;
  try {
    expect(status(cacheDir, ['--require', standIn, ...launcherFlags()])).toBe(EXPECTED);
  } finally {
    delete process.env.STAND_IN_LOG;
  }
  return readFileSync(log, { encoding: 'utf8', flag: 'a+' })
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { dir: string; umask: number });
}

test('where Node has a compile cache of its own, the launcher hands it the folder with a umask of 077 and keeps no cache itself', () => {
  const cacheDir = path.join(dir, 'cache-node');
  expect(withStandIn(cacheDir)).toEqual([{ dir: cacheDir, umask: 0o077 }]);
  expect(readdirSync(cacheDir)).toEqual([]);

  // A folder others may write to is not handed to Node either; the helper runs all the same.
  const open = path.join(dir, 'cache-node-open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  expect(withStandIn(open)).toEqual([]);
});

(nodeCompileCache ? test : test.skip)("with Node's own compile cache, its folder in ours is root's alone and the next start runs the same", () => {
  const cacheDir = path.join(dir, 'cache-node-real');
  expect(status(cacheDir)).toBe(EXPECTED);
  const [own, ...more] = readdirSync(cacheDir);
  expect(more).toEqual([]);
  expect((statSync(path.join(cacheDir, own)).mode & 0o077).toString(8)).toBe('0');
  expect(readdirSync(path.join(cacheDir, own)).length).toBeGreaterThan(0);
  expect(status(cacheDir)).toBe(EXPECTED);
});
