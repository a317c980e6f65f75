import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { APP_ID, HELPER_BUS_NAME } from '../../src/core/ids';

/**
 * The packages (docs/packaging.md): build-aux/build-rpm.sh makes the
 * "meson dist" tarball and the vendor tarball of node_modules, builds the
 * rewind and rewind-helper RPMs from them offline with build-aux/rewind.spec
 * and runs rpmlint. The Flatpak manifest is linted by
 * tests/unit/flatpak-manifest.test.ts, and its npm sources bundled by
 * tests/system/flatpak-sources.test.ts (no runtime to build against here).
 *
 * meson dist archives the last commit: uncommitted changes are not tested.
 */
jest.setTimeout(600_000);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let tmp = '';
let out = '';

function must(file: string, args: string[], cwd = REPO): string {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');
const rpm = (name: string): string => path.join(out, 'noarch', `${name}-${VERSION}-1.noarch.rpm`);

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-packaging-'));
  out = path.join(tmp, 'out');
  must('sh', [path.join(REPO, 'build-aux', 'build-rpm.sh'), out]);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('meson dist', () => {
  test('the tarball holds every committed file and nothing else', () => {
    const tarball = path.join(out, 'SOURCES', `rewind-${VERSION}.tar.xz`);
    const prefix = `rewind-${VERSION}/`;
    const files = lines(must('tar', ['-tJf', tarball]))
      .filter((f) => !f.endsWith('/'))
      .map((f) => f.slice(prefix.length))
      .sort();
    expect(files).toEqual(lines(must('git', ['ls-files'])).sort());
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/app/tsconfig.json', 'meson.build', 'COPYING']) {
      expect(files).toContain(needed);
    }
    for (const dir of ['src/', 'data/', 'po/', 'build-aux/', 'docs/', 'tests/']) {
      expect(files.some((f) => f.startsWith(dir))).toBe(true);
    }
    expect(files.filter((f) => /^(node_modules|dist|build|builddir)\/|\.pot$|\.rpm$/.test(f))).toEqual([]);
  });

  test('the vendor tarball holds node_modules with the bundled dependencies only, and no binary', () => {
    const vendor = path.join(out, 'SOURCES', `rewind-${VERSION}-node-modules.tar.xz`);
    const entries = lines(must('tar', ['-tJf', vendor]));
    const packages = new Set(entries.map((e) => e.split('/').slice(0, e.startsWith('node_modules/@') ? 3 : 2).join('/')));
    expect(entries.every((e) => e.startsWith('node_modules/'))).toBe(true);
    for (const p of ['dbus-next', 'execa', 'zod']) expect(packages).toContain(`node_modules/${p}`);
    // esbuild is Fedora's (-Desbuild=), and the native CRC32C is left out (-Dnative_crc=false).
    for (const p of ['esbuild', '@esbuild/linux-x64', '@node-rs/crc32', 'jest', 'typescript', 'eslint', '@swc/core']) expect(packages).not.toContain(`node_modules/${p}`);
    expect(entries.filter((e) => e.endsWith('.node'))).toEqual([]);
    // No ELF file in either source tarball.
    for (const tarball of [vendor, path.join(out, 'SOURCES', `rewind-${VERSION}.tar.xz`)]) {
      const dir = mkdtempSync(path.join(tmp, 'unpacked-'));
      must('tar', ['-xJf', tarball, '-C', dir]);
      const elf = spawnSync('sh', ['-c', `find . -type f -exec grep -lP '\\A\\x7fELF' {} + || true`], { cwd: dir, encoding: 'utf8' });
      expect(lines(elf.stdout)).toEqual([]);
    }
  });

  test('the versions agree: meson, package.json, the spec', () => {
    expect(readFileSync(path.join(REPO, 'meson.build'), 'utf8')).toContain(`  version: '${VERSION}',`);
    expect(readFileSync(path.join(REPO, 'build-aux', 'rewind.spec'), 'utf8')).toMatch(new RegExp(`^Version:\\s+${VERSION.replaceAll('.', '\\.')}$`, 'm'));
  });
});

describe('RPM', () => {
  const DOC = `/usr/share/doc`;
  const LICENSES = `/usr/share/licenses`;

  test("rewind holds the app, its desktop files, its session D-Bus activation file and the monitor's autostart entry", () => {
    expect(lines(must('rpm', ['-qlp', rpm('rewind')]))).toEqual([
      `/etc/xdg/autostart/${APP_ID}.Monitor.desktop`,
      '/usr/bin/rewind',
      `/usr/share/applications/${APP_ID}.desktop`,
      `/usr/share/dbus-1/services/${APP_ID}.service`,
      `${DOC}/rewind-${VERSION}`,
      `${DOC}/rewind-${VERSION}/README.md`,
      `/usr/share/glib-2.0/schemas/${APP_ID}.gschema.xml`,
      `/usr/share/icons/hicolor/scalable/apps/${APP_ID}.svg`,
      `/usr/share/icons/hicolor/symbolic/apps/${APP_ID}-symbolic.svg`,
      `${LICENSES}/rewind-${VERSION}`,
      `${LICENSES}/rewind-${VERSION}/COPYING`,
      // Each translation of po/LINGUAS, marked with its language (%find_lang).
      '/usr/share/locale/de/LC_MESSAGES/rewind.mo',
      `/usr/share/metainfo/${APP_ID}.metainfo.xml`,
      '/usr/share/rewind',
      '/usr/share/rewind/rewind.js',
    ]);
    expect(must('rpm', ['-qp', '--qf', '[%{FILELANGS} %{FILENAMES}\n]', rpm('rewind')])).toContain('de /usr/share/locale/de/LC_MESSAGES/rewind.mo\n');
  });

  test('rewind-helper holds the daemon, CLI and its man page, polkit, D-Bus and systemd files', () => {
    const files = lines(must('rpm', ['-qlp', rpm('rewind-helper')])).filter((f) => !f.startsWith(DOC) && !f.startsWith(LICENSES));
    expect(files).toEqual([
      '/etc/rewind',
      '/usr/lib/systemd/system/rewind-backup.service',
      '/usr/lib/systemd/system/rewind-backup.timer',
      '/usr/lib/systemd/system/rewind-helper.service',
      '/usr/lib/tmpfiles.d/rewind.conf',
      '/usr/libexec/rewind-helper',
      `/usr/share/dbus-1/system-services/${HELPER_BUS_NAME}.service`,
      `/usr/share/dbus-1/system.d/${HELPER_BUS_NAME}.conf`,
      '/usr/share/man/man1/rewind-helper.1.gz',
      `/usr/share/polkit-1/actions/${APP_ID}.policy`,
      '/usr/share/rewind',
      '/usr/share/rewind/rewind-helper-main.cjs',
      '/usr/share/rewind/rewind-helper.cjs',
      '/usr/share/rewind/rewind-stream-codec.cjs',
      '/var/cache/rewind',
      '/var/lib/rewind',
    ]);
  });

  test('rewind-helper declares the npm packages its bundles inline, their licenses, and ships their license files', () => {
    // The spec's blocks are what build-aux/bundled-npm.mjs makes from esbuild's metafile now.
    must(process.execPath, [path.join(REPO, 'build-aux', 'bundled-npm.mjs'), '--check', path.join(REPO, 'build-aux', 'rewind.spec')]);
    const provides = lines(must('rpm', ['-qp', '--provides', rpm('rewind-helper')])).filter((p) => p.startsWith('bundled('));
    const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    for (const p of ['dbus-next', 'execa', 'zod', 'xml2js']) expect(provides).toContain(`bundled(nodejs-${p}) = ${lock.packages[`node_modules/${p}`].version}`);
    expect(provides.length).toBeGreaterThan(30);
    const license = must('rpm', ['-qp', '--qf', '%{LICENSE}', rpm('rewind-helper')]);
    expect(license).toMatch(/^GPL-3\.0-or-later AND /);
    for (const l of ['MIT', 'ISC', 'Apache-2.0', 'BlueOak-1.0.0']) expect(license.split(/[ ()]+/)).toContain(l);
    const shipped = lines(must('rpm', ['-qlp', rpm('rewind-helper')])).filter((f) => f.startsWith(`${LICENSES}/rewind-helper-${VERSION}/bundled-licenses/`));
    for (const p of provides.map((x) => /^bundled\(nodejs-(\S+)\)/.exec(x)![1])) {
      expect({ p, shipped: shipped.some((f) => f.startsWith(`${LICENSES}/rewind-helper-${VERSION}/bundled-licenses/${p}/`)) }).toEqual({ p, shipped: true });
    }
    // The helper bundle keeps the notices its sources carry.
    const bundle = must('sh', ['-c', `rpm2cpio '${rpm('rewind-helper')}' | cpio -i --quiet --to-stdout ./usr/share/rewind/rewind-helper-main.cjs`]);
    expect(bundle.includes('Bundled license information')).toBe(true);
  });

  test('the spec: what %check runs and the schema compiler are built with, Node architectures only, no restart of a running backup on upgrade', () => {
    const spec = readFileSync(path.join(REPO, 'build-aux', 'rewind.spec'), 'utf8');
    for (const br of ['nodejs-devel', 'golang-github-evanw-esbuild', 'appstream', 'desktop-file-utils', 'glib2']) expect(spec).toMatch(new RegExp(`^BuildRequires:\\s+${br}$`, 'm'));
    expect(spec).toMatch(/^ExclusiveArch:\s+%\{nodejs_arches\} noarch$/m);
    expect(spec).not.toContain('_with_restart');
    expect(spec).toMatch(/^%systemd_postun rewind-helper\.service /m);
  });

  test('their dependencies', () => {
    const requires = (name: string): string[] => lines(must('rpm', ['-qRp', rpm(name)])).filter((r) => !r.startsWith('rpmlib('));
    // config(rewind): rpm's own tag for a package with a %config file (the monitor's autostart entry).
    expect(requires('rewind').sort()).toEqual([`config(rewind) = ${VERSION}-1`, 'gjs', 'gtk4', 'hicolor-icon-theme', 'libadwaita', `rewind-helper = ${VERSION}-1`]);
    expect(requires('rewind-helper').sort()).toEqual(['/bin/sh', 'btrfs-progs', 'dbus-common', 'nodejs >= 1:20', 'perl-interpreter', 'polkit', 'util-linux', 'zstd']);
    expect(lines(must('rpm', ['-qp', '--recommends', rpm('rewind-helper')])).sort()).toEqual(['age', 'openssh-clients']);
  });

  test('the helper launcher runs the installed bundle with node', () => {
    const launcher = must('sh', ['-c', `rpm2cpio '${rpm('rewind-helper')}' | cpio -i --quiet --to-stdout ./usr/libexec/rewind-helper`]);
    // Node options (build-aux/rewind-helper.in) may come between node and the bundle.
    expect(lines(launcher).at(-1)).toMatch(/^exec '\/usr\/bin\/node' (--[\w-]+(=\S+)? )*'\/usr\/share\/rewind\/rewind-helper\.cjs' "\$@"$/);
  });

  test('the app tells a Flatpak user to install the helper package on the host', () => {
    // src/app/window.ts: shown when the helper's bus name cannot be activated.
    const bundle = must('sh', ['-c', `rpm2cpio '${rpm('rewind')}' | cpio -i --quiet --to-stdout ./usr/share/rewind/rewind.js`]);
    // Booleans: a failure would print the whole bundle.
    expect({
      detectsFlatpak: bundle.includes('/.flatpak-info'),
      saysHost: bundle.includes('so the helper must be installed on the host system, outside the Flatpak'),
      namesPackage: /["']sudo dnf install rewind-helper["']/.test(bundle),
    }).toEqual({ detectsFlatpak: true, saysHost: true, namesPackage: true });
  });

  test('rpmlint reports nothing but the findings explained in build-aux/rewind.rpmlintrc', () => {
    // rpmlint also reports a filter that matched nothing (unused-rpmlintrc-filter).
    const report = readFileSync(path.join(out, 'rpmlint.txt'), 'utf8');
    expect(report).toMatch(/2 packages and 1 specfiles checked; 0 errors, 0 warnings/);
  });
});
