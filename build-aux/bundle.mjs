#!/usr/bin/env node
// Bundles the app for GJS and the helper for Node with esbuild, and compiles
// the translations into OUTDIR/locale and the GSettings schema into
// OUTDIR/schemas, for running the app from there
// (GSETTINGS_SCHEMA_DIR=OUTDIR/schemas; meson installs and compiles it itself).
// Usage: node build-aux/bundle.mjs [--outdir DIR] [--esbuild PROGRAM]
//   --outdir   where the bundles go (default: ./dist)
//   --esbuild  an esbuild program to run (e.g. a distribution's /usr/bin/esbuild)
//              instead of the npm package in node_modules, which ships a prebuilt binary
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { bundleOptions, cliArguments } from './bundle-options.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const option = (name) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const outdir = path.resolve(option('--outdir') ?? path.join(root, 'dist'));
const program = option('--esbuild');

const all = Object.values(bundleOptions(root, outdir));
if (program) {
  for (const options of all) {
    mkdirSync(path.dirname(options.outfile), { recursive: true });
    execFileSync(program, cliArguments(options), { stdio: 'inherit', cwd: root });
  }
} else {
  const { build } = await import('esbuild');
  await Promise.all(all.map((options) => build(options)));
}

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

// The translations (po/LINGUAS) compiled into OUTDIR/locale/LANG/LC_MESSAGES/rewind.mo,
// where the app of this build finds them (src/app/i18n.ts), as meson compiles
// and installs them into <prefix>/share/locale.
const languages = readFileSync(path.join(root, 'po', 'LINGUAS'), 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter((line) => line !== '');
for (const language of languages) {
  const dir = path.join(outdir, 'locale', language, 'LC_MESSAGES');
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('msgfmt', ['--check', '-o', path.join(dir, 'rewind.mo'), path.join(root, 'po', `${language}.po`)], { stdio: 'inherit' });
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    console.warn(`msgfmt is not installed (Debian and Fedora: gettext): the app of ${outdir} is in English only`);
    break;
  }
}

// The app's GSettings schema (data/*.gschema.xml), checked as strictly as
// glib-compile-schemas can. Without the program the app still runs, with
// default notification settings that it does not keep (src/app/notification-prefs.ts).
const schemas = path.join(outdir, 'schemas');
mkdirSync(schemas, { recursive: true });
try {
  execFileSync('glib-compile-schemas', ['--strict', `--targetdir=${schemas}`, path.join(root, 'data')], { stdio: 'inherit' });
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
  console.warn('glib-compile-schemas is not installed (Debian: libglib2.0-bin, Fedora: glib2): no compiled schema in ' + schemas);
}
