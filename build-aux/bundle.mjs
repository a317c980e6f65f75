#!/usr/bin/env node
// Bundles the app for GJS and the helper for Node with esbuild.
// Usage: node build-aux/bundle.mjs [--outdir DIR]   (default: ./dist)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const at = argv.indexOf('--outdir');
const outdir = path.resolve(at >= 0 ? argv[at + 1] : path.join(root, 'dist'));

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
  build({
    entryPoints: [path.join(root, 'src/helper/entry.ts')],
    outfile: path.join(outdir, 'helper/rewind-helper.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Bundled CommonJS dependencies (dbus-next) call require(); give ESM one.
    banner: { js: "import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);" },
    // Optional dbus-next dependencies for X11 session-bus autolaunch and abstract sockets; unused on the system bus.
    external: ['x11', 'usocket'],
    legalComments: 'none',
    logLevel: 'warning',
  }),
  // The codec alone, for the middle of every transfer pipe (src/helper/transfer.ts).
  build({
    entryPoints: [path.join(root, 'src/helper/stream-codec-entry.ts')],
    outfile: path.join(outdir, 'helper/rewind-stream-codec.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Bundled CommonJS dependencies (dbus-next) call require(); give ESM one.
    banner: { js: "import { createRequire as __rewindRequire } from 'node:module'; const require = __rewindRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  }),
]);
