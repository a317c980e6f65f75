/**
 * What `node rewind-helper.cjs` runs: the helper's bundle
 * (rewind-helper-main.cjs, beside this file), compiled with a code cache
 * when one is kept.
 *
 * Compiling the bundle is a real share of a short backup run from the
 * timer: without a cache a run with nothing to do took 0.02-0.05 s
 * (10-19 %) longer (bench/helper-ab.mjs, docs/benchmarks.md). V8 can save
 * the code it compiled and load it the next time instead. This first file
 * must stay small and CommonJS, with no imports but Node's own: everything
 * it does is paid on every start.
 *
 * The cache is kept only where the installed launcher asks for it
 * (REWIND_CODE_CACHE_DIR, build-aux/rewind-helper.in): a root-owned folder
 * under /var/cache. The code in it runs as root, so a folder that is not
 * ours, that others may write to, or that is not a folder, is not used.
 *
 * Where Node has its own compile cache (module.enableCompileCache(), Node
 * 22.8 and later), that is used: Node keeps the files in a folder of its own
 * within ours (named by its version, V8's cache tag and the user), checks
 * each file's CRC32 before V8 sees it, and writes them atomically; the bundle
 * is then loaded with require(). Node makes its cache when it compiles a
 * file, so it holds the bundle's outer code but not the functions the
 * command compiled later, which the cache below keeps.
 *
 * Node 20 offers a code cache only for a script compiled through `vm`, so
 * there this file does it: one file per command (a daemon and a backup run
 * compile different parts) and per bundle file, named by its length, inode
 * and times, written after the command ran. V8 itself checks only the length
 * of the source, and rejects a cache made by another V8 or with other flags,
 * in which case the bundle is compiled as usual and the file made anew. V8
 * checks a cache's own bytes only when Node runs with
 * --verify-snapshot-checksum (a damaged file crashed it in every trial
 * without), so without that flag no cache is used. (Checking the bytes here
 * would mean loading Node's crypto or zlib module at every start.)
 */
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import * as vm from 'node:vm';

/** The bundle's file name beside this one (build-aux/bundle.mjs writes both). */
export const MAIN_BUNDLE = 'rewind-helper-main.cjs';

/** Node's CommonJS wrapper: the bundle sees the usual module variables. */
type ModuleFunction = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** The cache folder if it is safe to load code from: ours, a folder, writable by nobody else. */
function usableCacheDir(dir: string | undefined): string | undefined {
  if (!dir || !path.isAbsolute(dir) || typeof process.getuid !== 'function') return undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** `run`, `daemon`, …: the first word, if it is one (anything else shares one file). */
function commandWord(argv: readonly string[]): string {
  const word = argv.find((a) => !a.startsWith('-'));
  return word && /^[a-z][a-z-]{0,31}$/.test(word) ? word : 'other';
}

/** V8 refuses a damaged cache only with this flag (`node --v8-options`). */
const CHECKED_FLAG = '--verify-snapshot-checksum';

/** Writes the new cache beside the old ones, then drops those: a reader sees a whole file or none. */
function saveCache(dir: string, name: string, data: Buffer): void {
  const temporary = path.join(dir, `.${name}.${process.pid}`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path.join(dir, name));
    const prefix = name.slice(0, name.indexOf('.') + 1);
    for (const old of readdirSync(dir)) if (old.startsWith(prefix) && old !== name) rmSync(path.join(dir, old), { force: true });
  } catch {
    // A cache that cannot be written only makes the next start slower.
    rmSync(temporary, { force: true });
  }
}

interface CodeCache {
  /** What V8 saved for this command and bundle, if anything. */
  data?: Buffer;
  /** Keeps what V8 has compiled by now, for the next start. */
  save(data: Buffer): void;
}

/** This command's cache for the bundle `file`, if one is kept. */
function codeCache(setting: string | undefined, argv: readonly string[], file: string): CodeCache | undefined {
  const dir = process.execArgv.includes(CHECKED_FLAG) ? usableCacheDir(setting) : undefined;
  if (!dir) return undefined;
  // Another build or copy of the bundle is another file: a new inode, new times, most often a new length.
  const stat = statSync(file, { bigint: true });
  const name = `${commandWord(argv)}.${[stat.size, stat.ino, stat.mtimeNs, stat.ctimeNs].map((n) => n.toString(36)).join('-')}.v8`;
  let data: Buffer | undefined;
  try {
    data = readFileSync(path.join(dir, name));
  } catch {
    data = undefined;
  }
  return { data, save: (compiled) => saveCache(dir, name, compiled) };
}

/** Node's own compile cache, on a Node that has it (22.8 and later; @types/node is Node 20's). */
type EnableCompileCache = (dir: string) => unknown;

/** Hands Node the cache folder, if it is safe, and loads the bundle as any CommonJS file. */
function launchWithNodeCache(enable: EnableCompileCache, file: string, cacheDirSetting: string | undefined): void {
  const dir = usableCacheDir(cacheDirSetting);
  if (dir) {
    // Node makes its folder in ours with mode 0777 less the umask: root's alone, whatever umask the caller had.
    const umask = process.umask(0o077);
    try {
      enable.call(Module, dir);
    } finally {
      process.umask(umask);
    }
  }
  createRequire(file)(file);
}

export function launch(dirname: string, argv: readonly string[], cacheDirSetting: string | undefined): void {
  const file = path.join(dirname, MAIN_BUNDLE);
  const enable = (Module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable === 'function') {
    launchWithNodeCache(enable, file, cacheDirSetting);
    return;
  }
  const source = readFileSync(file, 'latin1');
  const cache = codeCache(cacheDirSetting, argv, file);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: cache?.data,
    // import() as in any module (Node 20.12 and later); the build keeps it out of the bundle anyway (build-aux/bundle.mjs).
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cache && (cache.data === undefined || script.cachedDataRejected)) {
    // After the command ran, so that the functions it compiled on the way are in the cache too.
    process.once('exit', () => cache.save(script.createCachedData()));
  }
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(file), module, file, dirname);
}
