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
 * ours, that others may write to, or that is not a folder, is not used. One
 * file per command (a daemon and a backup run compile different parts) and
 * per bundle, named by the bundle's length and CRC-32: V8 itself checks only
 * the length of the source, and rejects a cache made by another V8 or with
 * other flags, in which case the bundle is compiled as usual and the file
 * made anew. V8 does not check the cache's own bytes, though (a damaged one
 * crashed it in every trial), so each file starts with the CRC-32 of the
 * rest, and a file that does not match is not given to V8. (CRC-32 rather
 * than a cryptographic hash: only root writes there, and loading Node's
 * crypto module alone took 8 ms.) Node before 20.15 has no zlib.crc32: no
 * cache then.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';

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

/** zlib.crc32 (Node 20.15 and later), the only checksum Node has without loading its crypto module. */
const crc32 = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32;

const CHECKSUM_LENGTH = 4;

/** The V8 data of a cache file, if the file is whole. */
function readCache(file: string, checksum: (data: Uint8Array) => number): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const data = bytes.subarray(CHECKSUM_LENGTH);
  return bytes.length > CHECKSUM_LENGTH && checksum(data) >>> 0 === bytes.readUInt32BE(0) ? data : undefined;
}

/** Writes the new cache beside the old ones, then drops those: a reader sees a whole file or none. */
function saveCache(dir: string, name: string, data: Buffer, checksum: (data: Uint8Array) => number): void {
  const temporary = path.join(dir, `.${name}.${process.pid}`);
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      const header = Buffer.alloc(CHECKSUM_LENGTH);
      header.writeUInt32BE(checksum(data) >>> 0);
      writeSync(fd, header);
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
  /** What V8 saved, if there is a whole file for this command and bundle. */
  data?: Buffer;
  /** Keeps what V8 has compiled by now, for the next start. */
  save(data: Buffer): void;
}

/** This command's cache for this bundle, if one is kept. */
function codeCache(setting: string | undefined, argv: readonly string[], source: string): CodeCache | undefined {
  const checksum = crc32;
  const dir = checksum && usableCacheDir(setting);
  if (!dir) return undefined;
  const name = `${commandWord(argv)}.${source.length.toString(16)}-${(checksum(source) >>> 0).toString(16).padStart(8, '0')}.v8`;
  return { data: readCache(path.join(dir, name), checksum), save: (data) => saveCache(dir, name, data, checksum) };
}

export function launch(dirname: string, argv: readonly string[], cacheDirSetting: string | undefined): void {
  const file = path.join(dirname, MAIN_BUNDLE);
  const source = readFileSync(file, 'latin1');
  const cache = codeCache(cacheDirSetting, argv, source);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData: cache?.data });
  if (cache && (cache.data === undefined || script.cachedDataRejected)) {
    // After the command ran, so that the functions it compiled on the way are in the cache too.
    process.once('exit', () => cache.save(script.createCachedData()));
  }
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(file), module, file, dirname);
}
