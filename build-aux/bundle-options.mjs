// The esbuild options of the four bundles, shared by bundle.mjs (which builds
// them) and bundled-npm.mjs (which lists the npm packages they inline).
import path from 'node:path';

/**
 * The helper's bundles: CommonJS for Node 20, without comments or spare
 * blanks (less to read and parse at every start) but with the license
 * notices of the npm packages they inline, gathered at the end.
 */
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
  legalComments: 'eof',
  logLevel: 'warning',
};

/** @param {string} root the checkout @param {string} outdir @returns {Record<string, import('esbuild').BuildOptions>} by output name */
export function bundleOptions(root, outdir) {
  return {
    app: {
      entryPoints: [path.join(root, 'src/app/main.ts')],
      outfile: path.join(outdir, 'app/rewind.js'),
      bundle: true,
      format: 'esm',
      // GJS 1.74 (Debian 12) runs SpiderMonkey 102.
      target: 'firefox102',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      external: ['gi://*', 'resource://*', 'system', 'gettext', 'cairo', 'console'],
      legalComments: 'eof',
      logLevel: 'warning',
    },
    // The helper, CommonJS (Node starts a CommonJS file sooner than an ES
    // module): its launcher, and the bundle the launcher compiles with
    // V8's code cache (src/helper/entry/launcher.ts).
    launcher: {
      ...helperOptions,
      entryPoints: [path.join(root, 'src/helper/entry/launcher-entry.ts')],
      outfile: path.join(outdir, 'helper/rewind-helper.cjs'),
    },
    helper: {
      ...helperOptions,
      entryPoints: [path.join(root, 'src/helper/entry/helper-entry.ts')],
      outfile: path.join(outdir, 'helper/rewind-helper-main.cjs'),
      // Optional dbus-next dependencies for X11 session-bus autolaunch and abstract sockets; unused on the system bus.
      external: ['x11', 'usocket'],
    },
    // The codec alone, for the middle of every transfer pipe (src/helper/engine/transfer.ts).
    codec: {
      ...helperOptions,
      entryPoints: [path.join(root, 'src/helper/entry/stream-codec-entry.ts')],
      outfile: path.join(outdir, 'helper/rewind-stream-codec.cjs'),
    },
  };
}

/**
 * The same build as command-line arguments, for an esbuild program that is
 * not the npm package's (a distribution's /usr/bin/esbuild, whose version
 * differs from the npm package's and so cannot serve its JavaScript API).
 * @param {import('esbuild').BuildOptions} options @returns {string[]}
 */
export function cliArguments(options) {
  const args = [...options.entryPoints];
  const flag = { bundle: 'bundle', minifyWhitespace: 'minify-whitespace', minifySyntax: 'minify-syntax' };
  const value = { format: 'format', platform: 'platform', target: 'target', legalComments: 'legal-comments', logLevel: 'log-level', outfile: 'outfile', metafile: 'metafile' };
  for (const [key, v] of Object.entries(options)) {
    if (key === 'entryPoints') continue;
    else if (key in flag) {
      if (v) args.push(`--${flag[key]}`);
    } else if (key in value) args.push(`--${value[key]}=${v}`);
    else if (key === 'mainFields') args.push(`--main-fields=${v.join(',')}`);
    else if (key === 'external') args.push(...v.map((e) => `--external:${e}`));
    else if (key === 'define') args.push(...Object.entries(v).map(([k, d]) => `--define:${k}=${d}`));
    else if (key === 'banner') args.push(...Object.entries(v).map(([k, b]) => `--banner:${k}=${b}`));
    else throw new Error(`bundle-options.mjs: no command-line form for the esbuild option ${key}`);
  }
  return args;
}
