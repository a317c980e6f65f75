import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
 * bundle leaves one file per command behind.
 */
jest.setTimeout(120_000);

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

test('without V8 checking the cache (no --verify-snapshot-checksum) no cache is kept', () => {
  const cacheDir = path.join(dir, 'cache-unchecked');
  mkdirSync(cacheDir);
  expect(status(cacheDir, launcherFlags().filter((f) => f !== '--verify-snapshot-checksum'))).toBe(EXPECTED);
  expect(readdirSync(cacheDir)).toEqual([]);
});

test('the first start makes the cache (files only root may read), the next one uses it as it is', () => {
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

test('a damaged cache changes nothing the user sees and is made anew', () => {
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

test('a new bundle gets its own file and the old one of that command goes', () => {
  const cacheDir = path.join(dir, 'cache-c');
  status(cacheDir);
  const [old] = files(cacheDir);
  appendFileSync(path.join(dist, 'helper/rewind-helper-main.cjs'), '\n// another build\n');
  expect(status(cacheDir)).toBe(EXPECTED);
  const now = files(cacheDir);
  expect(now).toEqual([{ name: expect.stringMatching(/^status\.[0-9a-z]+(-[0-9a-z]+){3}\.v8$/), ino: expect.any(Number), mtimeMs: expect.any(Number), mode: '600' }]);
  expect(now[0].name).not.toBe(old.name);
});
