/**
 * What `node rewind-helper.cjs` runs: the helper's bundle
 * (rewind-helper-main.cjs, beside this file), compiled with V8's code cache
 * when one is kept.
 *
 * A backup run from the timer lasts about half a second, and compiling the
 * 0.9 MB bundle was a tenth of it (docs/benchmarks.md). V8 can save the code
 * it compiled and load it the next time instead; Node 20 offers that only for
 * a script compiled through `vm`, hence this small first file. It must stay
 * small and CommonJS, with no imports but Node's own: everything it does is
 * paid on every start.
 *
 * The cache is kept only where the installed launcher asks for it
 * (REWIND_CODE_CACHE_DIR, build-aux/rewind-helper.in): a root-owned folder
 * under /var/cache. The code in it runs as root, so a folder that is not
 * ours, that others may write to, or that is not a folder, is not used. One file per command (a daemon
 * and a backup run compile different parts) and per bundle, named by the
 * bundle's SHA-256: V8 itself checks only the length of the source, and
 * rejects a cache made by another V8 or with other flags, in which case the
 * bundle is compiled as usual and the file made anew. V8 does not check the
 * cache's own bytes, though (a damaged one crashed it in every trial), so
 * each file starts with the SHA-256 of the rest, and a file that does not
 * match is not given to V8.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

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

const DIGEST_LENGTH = 32;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** The V8 data of a cache file, if the file is whole. */
function readCache(file: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const data = bytes.subarray(DIGEST_LENGTH);
  return bytes.length > DIGEST_LENGTH && sha256(data).equals(bytes.subarray(0, DIGEST_LENGTH)) ? data : undefined;
}

/** Writes the new cache beside the old ones, then drops those: a reader sees a whole file or none. */
function saveCache(dir: string, name: string, data: Buffer): void {
  const temporary = path.join(dir, `.${name}.${process.pid}`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, sha256(data));
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

export function launch(dirname: string, argv: readonly string[], cacheDirSetting: string | undefined): void {
  const file = path.join(dirname, MAIN_BUNDLE);
  const source = readFileSync(file, 'latin1');
  const dir = usableCacheDir(cacheDirSetting);
  const name = dir ? `${commandWord(argv)}.${createHash('sha256').update(source, 'latin1').digest('hex').slice(0, 32)}.v8` : '';
  const cachedData = dir ? readCache(path.join(dir, name)) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (dir && (cachedData === undefined || script.cachedDataRejected)) {
    // After the command ran, so that the functions it compiled on the way are in the cache too.
    process.once('exit', () => saveCache(dir, name, script.createCachedData()));
  }
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(file), module, file, dirname);
}
