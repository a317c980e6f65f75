#!/usr/bin/env node
// Bundles the app for GJS and the helper for Node with esbuild.
// Usage: node build-aux/bundle.mjs [--outdir DIR]   (default: ./dist)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const at = argv.indexOf('--outdir');
const outdir = path.resolve(at >= 0 ? argv[at + 1] : path.join(root, 'dist'));

/** The helper's bundles: CommonJS for Node 20, without comments or spare blanks (less to read and parse at every start). */
const helperOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  // The CommonJS output has no import.meta; the modules that need their own URL get it from __filename.
  define: { 'import.meta.url': '__rewindModuleUrl' },
  banner: { js: 'const __rewindModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: 'none',
  logLevel: 'warning',
};

await Promise.all([
  build({
    entryPoints: [path.join(root, 'src/app/main.ts')],
    outfile: path.join(outdir, 'app/rewind.js'),
    bundle: true,
    format: 'esm',
    // GJS 1.74 (Debian 12) runs SpiderMonkey 102.
    target: 'firefox102',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    external: ['gi://*', 'resource://*', 'system', 'gettext', 'cairo', 'console'],
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  }),
  // The helper, CommonJS (Node starts a CommonJS file sooner than an ES
  // module): its launcher, and the bundle the launcher compiles with
  // V8's code cache (src/helper/entry/launcher.ts).
  build({
    ...helperOptions,
    entryPoints: [path.join(root, 'src/helper/entry/launcher-entry.ts')],
    outfile: path.join(outdir, 'helper/rewind-helper.cjs'),
  }),
  build({
    ...helperOptions,
    entryPoints: [path.join(root, 'src/helper/entry/helper-entry.ts')],
    outfile: path.join(outdir, 'helper/rewind-helper-main.cjs'),
    // Optional dbus-next dependencies for X11 session-bus autolaunch and abstract sockets; unused on the system bus.
    external: ['x11', 'usocket'],
  }),
  // The codec alone, for the middle of every transfer pipe (src/helper/engine/transfer.ts).
  build({
    ...helperOptions,
    entryPoints: [path.join(root, 'src/helper/entry/stream-codec-entry.ts')],
    outfile: path.join(outdir, 'helper/rewind-stream-codec.cjs'),
  }),
]);

// The launcher reads the helper's bundle as Latin-1, the quickest way to a V8
// string, which is right only for ASCII; esbuild escapes everything else. And
// it compiles the bundle with vm.Script, where import() needs Node 20.12: a
// module of the helper's own is inlined by esbuild, Node's are required.
for (const name of ['rewind-helper.cjs', 'rewind-helper-main.cjs', 'rewind-stream-codec.cjs']) {
  const bytes = readFileSync(path.join(outdir, 'helper', name));
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`${name} has a non-ASCII byte at offset ${at}; the launcher reads it as Latin-1`);
  const dynamic = /\bimport\(\s*["'`]([^"'`]+)/.exec(bytes.toString('latin1'));
  if (dynamic) throw new Error(`${name} imports ${dynamic[1]} with import(); import it statically (the launcher's vm.Script may not load it)`);
}
