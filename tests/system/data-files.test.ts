import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  ACTIONS,
  APP_ID,
  BACKUP_SERVICE,
  BACKUP_TIMER,
  HELPER_BUS_NAME,
  HELPER_INTERFACE,
  HELPER_SERVICE,
} from '../../src/core/ids';

/**
 * The packaging: meson builds the bundles and installs them, the launchers and
 * every data file (desktop entry, AppStream metadata, icons, polkit policy,
 * D-Bus activation and bus policy, systemd units) where the system looks for
 * them, and each one passes the validator of the program that reads it.
 *
 * The build runs on a copy of the checkout in a temp dir, because the
 * `rewind-pot` target writes po/rewind.pot into the source tree.
 */
jest.setTimeout(300_000);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PREFIX = '/usr';
const LIBEXEC_HELPER = `${PREFIX}/libexec/rewind-helper`;
const APP_BUNDLE = `${PREFIX}/share/rewind/rewind.js`;
const HELPER_LAUNCHER = `${PREFIX}/share/rewind/rewind-helper.cjs`;
const HELPER_BUNDLE = `${PREFIX}/share/rewind/rewind-helper-main.cjs`;
const CODEC_BUNDLE = `${PREFIX}/share/rewind/rewind-stream-codec.cjs`;
const CODE_CACHE_DIR = '/var/cache/rewind';
const UNIT_DIR = `${PREFIX}/lib/systemd/system`;
const BUSCONFIG_DTD = '/usr/share/xml/dbus-1/busconfig.dtd';
const POLKIT_DTD = '/usr/share/polkit-1/policyconfig-1.dtd';

const INSTALLED = {
  launcher: `${PREFIX}/bin/rewind`,
  helper: LIBEXEC_HELPER,
  appBundle: APP_BUNDLE,
  helperLauncher: HELPER_LAUNCHER,
  helperBundle: HELPER_BUNDLE,
  codecBundle: CODEC_BUNDLE,
  desktop: `${PREFIX}/share/applications/${APP_ID}.desktop`,
  autostart: `/etc/xdg/autostart/${APP_ID}.Monitor.desktop`,
  metainfo: `${PREFIX}/share/metainfo/${APP_ID}.metainfo.xml`,
  gschema: `${PREFIX}/share/glib-2.0/schemas/${APP_ID}.gschema.xml`,
  manPage: `${PREFIX}/share/man/man1/rewind-helper.1`,
  germanTranslation: `${PREFIX}/share/locale/de/LC_MESSAGES/rewind.mo`,
  icon: `${PREFIX}/share/icons/hicolor/scalable/apps/${APP_ID}.svg`,
  symbolicIcon: `${PREFIX}/share/icons/hicolor/symbolic/apps/${APP_ID}-symbolic.svg`,
  policy: `${PREFIX}/share/polkit-1/actions/${APP_ID}.policy`,
  dbusService: `${PREFIX}/share/dbus-1/system-services/${HELPER_BUS_NAME}.service`,
  sessionService: `${PREFIX}/share/dbus-1/services/${APP_ID}.service`,
  busPolicy: `${PREFIX}/share/dbus-1/system.d/${HELPER_BUS_NAME}.conf`,
  helperUnit: `${UNIT_DIR}/${HELPER_SERVICE}`,
  backupUnit: `${UNIT_DIR}/${BACKUP_SERVICE}`,
  backupTimer: `${UNIT_DIR}/${BACKUP_TIMER}`,
} as const;

/** Top-level entries of the checkout that are not sources. */
const NOT_SOURCES = new Set(['.git', 'node_modules', 'dist', 'build', 'builddir', 'test-artifacts', 'coverage']);

let tmp = '';
let src = '';
let root = '';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: SpawnSyncOptions = {}): Result {
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  return {
    status: r.status,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '') + (r.error ? String(r.error) : ''),
  };
}

/** Runs a command that must succeed; the failure message has its output. */
function must(file: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = run(file, args, options);
  if (r.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Path of an installed file inside the destdir. */
const installed = (p: string): string => path.join(root, p);

const read = (p: string): string => readFileSync(installed(p), 'utf8');

/** `Key=Value` pairs of one [section] of an ini-style file (desktop entry, unit, D-Bus service). */
function iniSection(text: string, section: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== section || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return values;
}

function iniValue(text: string, section: string, key: string): string | undefined {
  return iniSection(text, section).get(key)?.at(-1);
}

/** Values of an XPath over an installed XML file, one per match. */
function xpath(file: string, expr: string): string[] {
  const r = run('xmllint', ['--xpath', expr, installed(file)]);
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.replace(/^[\w:-]+="(.*)"$/, '$1'));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(p) : [p];
  });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-data-files-'));
  src = path.join(tmp, 'src');
  root = path.join(tmp, 'root');
  const build = path.join(tmp, 'build');

  cpSync(REPO, src, {
    recursive: true,
    filter: (from) => {
      const rel = path.relative(REPO, from);
      if (rel === '') return true;
      if (NOT_SOURCES.has(rel.split(path.sep)[0])) return false;
      // Someone's meson build directory inside the checkout.
      return !existsSync(path.join(from, 'meson-private'));
    },
  });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(src, 'node_modules'));

  must('meson', ['setup', build, src, `--prefix=${PREFIX}`]);
  must('meson', ['compile', '-C', build]);
  must('meson', ['install', '-C', build, '--destdir', root, '--no-rebuild']);
  must('meson', ['compile', '-C', build, 'rewind-pot']);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('meson install', () => {
  test.each(Object.entries(INSTALLED))('installs the %s', (_what, file) => {
    expect(statSync(installed(file)).isFile()).toBe(true);
    expect(statSync(installed(file)).size).toBeGreaterThan(0);
  });

  test('the launchers are executable and run the installed bundles', () => {
    for (const file of [INSTALLED.launcher, INSTALLED.helper]) {
      expect(statSync(installed(file)).mode & 0o777).toBe(0o755);
    }

    const launcher = read(INSTALLED.launcher).split('\n');
    expect(launcher[0]).toMatch(/^#!\/\S*\/gjs -m$/);
    const imports = launcher.filter((l) => /^\s*import\b/.test(l));
    expect(imports).toEqual([`import 'file://${APP_BUNDLE}';`]);

    const helper = read(INSTALLED.helper).split('\n');
    expect(helper[0]).toBe('#!/bin/sh');
    const exec = helper.filter((l) => /^\s*exec\b/.test(l));
    expect(exec).toHaveLength(1);
    expect(exec[0]).toMatch(new RegExp(`^exec '/\\S*/node' (--[\\w-]+(=\\S+)? )*'${HELPER_LAUNCHER}' "\\$@"$`));
    // Without it the launcher keeps no code cache (V8 would not refuse a damaged one).
    expect(exec[0]).toContain(' --verify-snapshot-checksum ');
    // The code cache (src/helper/entry/launcher.ts): asked for by the launcher, a folder only root may write to.
    expect(helper).toEqual(expect.arrayContaining([`REWIND_CODE_CACHE_DIR='${CODE_CACHE_DIR}'`, 'export REWIND_CODE_CACHE_DIR']));
    const cacheDir = statSync(installed(CODE_CACHE_DIR));
    expect({ dir: cacheDir.isDirectory(), mode: (cacheDir.mode & 0o777).toString(8) }).toEqual({ dir: true, mode: '755' });
  });

  test('the bundles parse: the app as an ES module, the helper as CommonJS', () => {
    // node --check reads a .js file as CommonJS; give the GJS bundle a .mjs name.
    const appCopy = path.join(tmp, 'rewind-app-check.mjs');
    writeFileSync(appCopy, read(INSTALLED.appBundle));
    must(process.execPath, ['--check', appCopy]);
    for (const bundle of [INSTALLED.helperLauncher, INSTALLED.helperBundle, INSTALLED.codecBundle]) must(process.execPath, ['--check', installed(bundle)]);
    expect(read(INSTALLED.appBundle)).toMatch(/from ["']gi:\/\/Gtk(\?version=4\.0)?["']/);
  });
});

describe('the command line as installed', () => {
  const helper = (...args: string[]) => must(process.execPath, [installed(HELPER_LAUNCHER), ...args]);

  test('--version prints the version, after a command too', () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(helper('--version')).toBe(`rewind-helper ${version}\n`);
    expect(helper('status', '--version')).toBe(`rewind-helper ${version}\n`);
  });

  test('the man page has no roff warning, and every command and option of --help', () => {
    const r = run('man', ['--warnings', '-l', installed(INSTALLED.manPage)], { env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '' } });
    expect({ status: r.status, warnings: r.stderr }).toEqual({ status: 0, warnings: '' });
    const page = r.stdout.replace(/\u2010\n\s*/g, '');
    const help = helper('--help');
    const commands = [...help.matchAll(/^ {2}([a-z][a-z-]+) /gm)].map((m) => m[1]);
    const options = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(15);
    expect(options).toEqual(expect.arrayContaining(['--config', '--json', '--help', '--version']));
    for (const name of [...commands, ...options]) expect({ name, inPage: page.includes(name) }).toEqual({ name, inPage: true });
  });
});

describe('the stream codec as installed', () => {
  test.each([
    ['its own bundle', CODEC_BUNDLE],
    ["the helper's verb", HELPER_LAUNCHER],
  ])('%s finds the native CRC32C next to it', (_how, bundle) => {
    expect(statSync(installed(`${PREFIX}/share/rewind/node_modules/@node-rs/crc32/package.json`)).isFile()).toBe(true);
    const stream = readFileSync(path.join(REPO, 'tests/fixtures/send-streams/two-subvolumes.stream'));
    const r = spawnSync(process.execPath, [installed(bundle), 'stream-codec', '{}'], { input: stream, encoding: 'buffer' });
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, stream)).toBe(0);
    const lines = r.stderr.toString('utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ type: 'done', stats: { checksum: 'native' } });
  });
});

describe('desktop entry and AppStream metadata', () => {
  test('the desktop entry is valid and starts the launcher', () => {
    must('desktop-file-validate', [installed(INSTALLED.desktop)]);
    const desktop = read(INSTALLED.desktop);
    expect(iniValue(desktop, 'Desktop Entry', 'Name')).toBe('Rewind');
    expect(iniValue(desktop, 'Desktop Entry', 'Exec')).toBe('rewind');
    expect(iniValue(desktop, 'Desktop Entry', 'Icon')).toBe(APP_ID);
    expect(iniValue(desktop, 'Desktop Entry', 'Categories')).toBe('GTK;GNOME;Utility;Archiving;');
    // GNOME Shell starts it, and activates a notification's buttons, over D-Bus (the session activation file below).
    expect(iniValue(desktop, 'Desktop Entry', 'DBusActivatable')).toBe('true');
    // Restore Previous Versions: `rewind --restore PATH` from a launcher with the path, app.restore-versions over D-Bus without one.
    expect(iniValue(desktop, 'Desktop Entry', 'Actions')).toBe('restore-versions;');
    expect(iniValue(desktop, 'Desktop Action restore-versions', 'Exec')).toBe('rewind --restore %f');
    expect(iniValue(desktop, 'Desktop Action restore-versions', 'Name')).toBe('Restore Previous Versions');
  });

  test('the autostart entry is valid and starts the background monitor at login', () => {
    must('desktop-file-validate', [installed(INSTALLED.autostart)]);
    const autostart = read(INSTALLED.autostart);
    expect(iniValue(autostart, 'Desktop Entry', 'Exec')).toBe('rewind --monitor');
    expect(iniValue(autostart, 'Desktop Entry', 'NoDisplay')).toBe('true');
    expect(iniValue(autostart, 'Desktop Entry', 'Icon')).toBe(APP_ID);
    expect(iniValue(autostart, 'Desktop Entry', 'X-GNOME-Autostart-enabled')).toBe('true');
  });

  test('the metainfo is valid and names the app, its launcher and this release', () => {
    must('appstreamcli', ['validate', '--no-net', installed(INSTALLED.metainfo)]);
    expect(xpath(INSTALLED.metainfo, '/component/id/text()')).toEqual([APP_ID]);
    expect(xpath(INSTALLED.metainfo, '/component/@type')).toEqual(['desktop-application']);
    expect(xpath(INSTALLED.metainfo, '/component/launchable/text()')).toEqual([`${APP_ID}.desktop`]);
    expect(xpath(INSTALLED.metainfo, '/component/provides/binary/text()')).toEqual(['rewind']);
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(xpath(INSTALLED.metainfo, '/component/releases/release[1]/@version')).toEqual([version]);
    // The developer as AppStream 1.0 names it; developer_name is deprecated.
    expect(xpath(INSTALLED.metainfo, '/component/developer/@id')).toEqual(['io.github.rewindbackup']);
    expect(xpath(INSTALLED.metainfo, '/component/developer/name/text()')).toEqual(['The Rewind developers']);
    expect(xpath(INSTALLED.metainfo, '/component/developer_name')).toEqual([]);
  });

  test('appstreamcli --pedantic says only what docs/packaging.md explains', () => {
    const r = run('appstreamcli', ['validate', '--pedantic', '--no-net', installed(INSTALLED.metainfo)]);
    const said = r.stdout.split('\n').filter((l) => /^[EWIP]: /.test(l)).map((l) => l.replace(/:\d+: /, ': ')).sort();
    expect({ status: r.status, said }).toEqual({
      status: 0,
      said: [
        // Older than AppStream 1.0, Debian 12's appstreamcli (0.16) does not know <developer>.
        ...(/^AppStream version: 0\./m.test(must('appstreamcli', ['--version'])) ? [`I: ${APP_ID}: unknown-tag developer`] : []),
        // GNOME's app ids are reverse DNS with the app's name in CamelCase.
        `P: ${APP_ID}: cid-contains-uppercase-letter ${APP_ID}`,
      ],
    });
  });

  test('the GSettings schema compiles strictly where it is installed, and GSettings reads its defaults', () => {
    const compiled = path.join(tmp, 'schemas-compiled');
    mkdirSync(compiled);
    must('glib-compile-schemas', ['--strict', `--targetdir=${compiled}`, path.dirname(installed(INSTALLED.gschema))]);
    const keys = must('gsettings', ['list-recursively', APP_ID], { env: { ...process.env, GSETTINGS_SCHEMA_DIR: compiled, GSETTINGS_BACKEND: 'memory' } });
    expect(keys.trim().split('\n').sort()).toEqual([`${APP_ID} background-refused false`, `${APP_ID} low-space-percent uint32 10`, `${APP_ID} notify-on-success false`, `${APP_ID} remind-after-days uint32 7`]);
  });

  test('meson compiles the schema into the build directory, and into the schemas folder when it installs without a DESTDIR', () => {
    expect(statSync(path.join(tmp, 'build', 'data', 'gschemas.compiled')).size).toBeGreaterThan(0);
    // A build with a prefix of its own: meson runs its post-install steps only when no DESTDIR is given.
    const prefix = path.join(tmp, 'prefix');
    const build = path.join(tmp, 'build-prefix');
    must('meson', ['setup', build, src, `--prefix=${prefix}`]);
    must('meson', ['install', '-C', build]);
    const schemas = path.join(prefix, 'share', 'glib-2.0', 'schemas');
    expect(readdirSync(schemas).sort()).toEqual(['gschemas.compiled', `${APP_ID}.gschema.xml`]);
    const value = must('gsettings', ['get', APP_ID, 'remind-after-days'], { env: { ...process.env, GSETTINGS_SCHEMA_DIR: schemas, GSETTINGS_BACKEND: 'memory' } });
    expect(value.trim()).toBe('uint32 7');
  });

  test('the icons are SVG of the sizes the icon theme expects', () => {
    must('xmllint', ['--noout', installed(INSTALLED.icon)]);
    must('xmllint', ['--noout', installed(INSTALLED.symbolicIcon)]);
    const svg = "/*[local-name()='svg']";
    expect(xpath(INSTALLED.icon, `${svg}/@viewBox`)).toEqual(['0 0 128 128']);
    expect(xpath(INSTALLED.symbolicIcon, `${svg}/@viewBox`)).toEqual(['0 0 16 16']);
    // Symbolic icons are recoloured through their fill: one colour, no strokes.
    const symbolic = read(INSTALLED.symbolicIcon);
    expect(symbolic).not.toMatch(/stroke/);
    expect(new Set(symbolic.match(/#[0-9a-fA-F]{6}\b/g))).toEqual(new Set(['#2e3436']));
  });
});

describe('polkit policy', () => {
  test('is valid against the polkit DTD', () => {
    must('xmllint', ['--noout', '--dtdvalid', POLKIT_DTD, installed(INSTALLED.policy)]);
  });

  test('declares exactly the actions in src/core/ids.ts, with their defaults', () => {
    const ids = xpath(INSTALLED.policy, '//action/@id');
    expect([...ids].sort()).toEqual(Object.values(ACTIONS).sort());

    const defaults = (id: string): string[] =>
      ['allow_any', 'allow_inactive', 'allow_active'].flatMap((d) =>
        xpath(INSTALLED.policy, `//action[@id='${id}']/defaults/${d}/text()`),
      );
    expect(defaults(ACTIONS.readStatus)).toEqual(['yes', 'yes', 'yes']);
    expect(defaults(ACTIONS.runBackup)).toEqual(['auth_admin', 'auth_admin', 'yes']);
    expect(defaults(ACTIONS.configure)).toEqual(['auth_admin_keep', 'auth_admin_keep', 'auth_admin_keep']);

    for (const id of ids) {
      expect(xpath(INSTALLED.policy, `//action[@id='${id}']/message/text()`)[0]).toMatch(/^Authentication is required to /);
    }
  });
});

describe('D-Bus', () => {
  test('the session activation file names the app and runs its launcher in GApplication service mode', () => {
    const service = read(INSTALLED.sessionService);
    expect([...iniSection(service, 'D-BUS Service').keys()].sort()).toEqual(['Exec', 'Name']);
    expect(iniValue(service, 'D-BUS Service', 'Name')).toBe(APP_ID);
    expect(iniValue(service, 'D-BUS Service', 'Exec')).toBe(`${INSTALLED.launcher} --gapplication-service`);
    // The desktop entry of a D-Bus activatable app is named after its bus name.
    expect(path.basename(INSTALLED.desktop, '.desktop')).toBe(APP_ID);
  });

  test('a session dbus-daemon reads it and lists the app as activatable', async () => {
    const dir = path.join(tmp, 'session-bus');
    mkdirSync(dir, { recursive: true });
    const socket = path.join(dir, 'socket');
    const config = path.join(dir, 'session.conf');
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${path.dirname(installed(INSTALLED.sessionService))}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    bus.stdout.on('data', (d) => (output += d));
    bus.stderr.on('data', (d) => (output += d));
    const exited = new Promise<void>((resolve) => bus.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 10_000;
      while (!output.includes(socket) && bus.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const names = must('dbus-send', [`--bus=unix:path=${socket}`, '--print-reply', '--reply-timeout=5000', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListActivatableNames']);
      expect(names).toContain(`"${APP_ID}"`);
    } finally {
      if (bus.exitCode === null && bus.signalCode === null) {
        bus.kill('SIGTERM');
        await exited;
      }
    }
  });

  test('the activation file names the helper, its launcher and its unit', () => {
    const service = read(INSTALLED.dbusService);
    expect(iniValue(service, 'D-BUS Service', 'Name')).toBe(HELPER_BUS_NAME);
    expect(iniValue(service, 'D-BUS Service', 'Exec')).toBe(`${LIBEXEC_HELPER} daemon`);
    expect(iniValue(service, 'D-BUS Service', 'User')).toBe('root');
    expect(iniValue(service, 'D-BUS Service', 'SystemdService')).toBe(HELPER_SERVICE);
  });

  test('the bus policy is well-formed: only root owns the name, anyone may call it', () => {
    const conf = installed(INSTALLED.busPolicy);
    must('xmllint', ['--noout', conf]);
    if (existsSync(BUSCONFIG_DTD)) must('xmllint', ['--noout', '--dtdvalid', BUSCONFIG_DTD, conf]);

    expect(xpath(INSTALLED.busPolicy, '//allow/@own')).toEqual([HELPER_BUS_NAME]);
    expect(xpath(INSTALLED.busPolicy, "//policy[@user='root']/allow/@own")).toEqual([HELPER_BUS_NAME]);
    const callable = xpath(
      INSTALLED.busPolicy,
      `//policy[@context='default']/allow[@send_destination='${HELPER_BUS_NAME}']/@send_interface`,
    );
    expect([...callable].sort()).toEqual(
      [
        HELPER_INTERFACE,
        'org.freedesktop.DBus.Introspectable',
        'org.freedesktop.DBus.Peer',
        'org.freedesktop.DBus.Properties',
      ].sort(),
    );
  });

  test('dbus-daemon loads the bus policy and lists the helper as activatable', async () => {
    const dir = path.join(tmp, 'bus');
    mkdirSync(dir, { recursive: true });
    const socket = path.join(dir, 'socket');
    const config = path.join(dir, 'bus.conf');
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>${path.dirname(installed(INSTALLED.dbusService))}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <include>${installed(INSTALLED.busPolicy)}</include>
</busconfig>
`,
    );
    // dbus-daemon rejects unknown elements and attributes when it reads a policy.
    const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--nopidfile', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    bus.stdout.on('data', (d) => (output += d));
    bus.stderr.on('data', (d) => (output += d));
    const exited = new Promise<void>((resolve) => bus.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 10_000;
      while (!output.includes(socket) && bus.exitCode === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect({ running: bus.exitCode === null, output }).toEqual({ running: true, output: expect.stringContaining(socket) });

      const names = must('dbus-send', [
        `--bus=unix:path=${socket}`,
        '--print-reply',
        '--reply-timeout=5000',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.ListActivatableNames',
      ]);
      expect(names).toContain(`"${HELPER_BUS_NAME}"`);
    } finally {
      if (bus.exitCode === null && bus.signalCode === null) {
        bus.kill('SIGTERM');
        await exited;
      }
    }
  });
});

describe('systemd units', () => {
  test('run the helper as described', () => {
    const helper = read(INSTALLED.helperUnit);
    expect(iniValue(helper, 'Service', 'Type')).toBe('dbus');
    expect(iniValue(helper, 'Service', 'BusName')).toBe(HELPER_BUS_NAME);
    expect(iniValue(helper, 'Service', 'ExecStart')).toBe(`${LIBEXEC_HELPER} daemon`);
    // The helper's mounts must stay visible outside it (no private mount namespace).
    for (const key of ['PrivateMounts', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices']) {
      expect(iniSection(helper, 'Service').has(key)).toBe(false);
    }

    const backup = read(INSTALLED.backupUnit);
    expect(iniValue(backup, 'Service', 'Type')).toBe('oneshot');
    expect(iniValue(backup, 'Service', 'ExecStart')).toBe(`${LIBEXEC_HELPER} run --scheduled`);
    expect(iniValue(backup, 'Service', 'Restart')).toBe('on-failure');
    expect(iniValue(backup, 'Service', 'IOSchedulingClass')).toBe('idle');

    const timer = read(INSTALLED.backupTimer);
    expect(iniValue(timer, 'Timer', 'OnCalendar')).toBe('hourly');
    expect(iniValue(timer, 'Timer', 'Persistent')).toBe('true');
    expect(iniValue(timer, 'Install', 'WantedBy')).toBe('timers.target');
  });

  test('pass systemd-analyze verify', () => {
    // verify checks that ExecStart= exists; PID 1 is not systemd here, so the
    // units are checked in a directory of their own with the helper's path
    // inside the destdir (the paths themselves are checked above).
    const dir = path.join(tmp, 'units');
    mkdirSync(dir, { recursive: true });
    const files = [INSTALLED.helperUnit, INSTALLED.backupUnit, INSTALLED.backupTimer].map((unit) => {
      const copy = path.join(dir, path.basename(unit));
      writeFileSync(copy, read(unit).replaceAll(LIBEXEC_HELPER, installed(LIBEXEC_HELPER)));
      return copy;
    });
    const r = run('systemd-analyze', ['verify', '--man=no', ...files]);
    // It exits 0 on warnings (unknown keys, bad values) but prints them; the
    // only lines allowed are about the host's own units.
    const problems = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '' && !/^\/(usr\/)?lib\/systemd\/system\/|^\/etc\/systemd\//.test(l));
    expect({ status: r.status, problems }).toEqual({ status: 0, problems: [] });
  });

  test("the helper's folders are installed, and systemd-tmpfiles makes the runtime folder only root may enter", () => {
    for (const dir of ['/etc/rewind', '/var/lib/rewind']) {
      const st = statSync(installed(dir));
      expect({ dir, isDir: st.isDirectory(), mode: (st.mode & 0o777).toString(8) }).toEqual({ dir, isDir: true, mode: '755' });
    }
    const conf = installed(`${PREFIX}/lib/tmpfiles.d/rewind.conf`);
    const target = mkdtempSync(path.join(tmp, 'tmpfiles-root-'));
    must('systemd-tmpfiles', ['--create', `--root=${target}`, conf]);
    const st = statSync(path.join(target, 'run/rewind'));
    expect({ isDir: st.isDirectory(), mode: (st.mode & 0o777).toString(8), uid: st.uid }).toEqual({ isDir: true, mode: '700', uid: 0 });
  });
});

describe('translations', () => {
  test('rewind-pot extracts strings from the data files and the TypeScript sources', () => {
    const pot = readFileSync(path.join(src, 'po', 'rewind.pot'), 'utf8');
    for (const file of [`${APP_ID}.desktop.in`, `${APP_ID}.Monitor.desktop.in`, `${APP_ID}.metainfo.xml.in`, `${APP_ID}.policy.in`]) {
      expect(pot).toContain(`data/${file}:`);
    }
    expect(pot).toMatch(/^#: .*src\/app\/\S+\.ts:\d+/m);
    expect(pot).toContain('msgid "Authentication is required to run the backup"');
  });

  test('xgettext reads every source to its end: no warning but the fallback rule for GSettings schemas', () => {
    // A warning such as "unterminated string" means the rest of that file's strings were lost (a regular
    // expression literal with '/' inside brackets does it): write such a pattern as a string.
    // The arguments of po/meson.build, through the same wrapper meson runs.
    const keywords = ['_', 'C_:1c,2', 'N_', 'ngettext:1,2'].map((k) => `--keyword=${k}`);
    const r = run(process.execPath, [path.join(REPO, 'build-aux/xgettext.mjs'), `--files-from=${path.join(REPO, 'po/POTFILES.in')}`, `--directory=${REPO}`, `--output=${path.join(tmp, 'check.pot')}`, '--from-code=UTF-8', '--language=JavaScript', ...keywords]);
    expect(r.status).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => /warning:/.test(l) && !/fallback ITS rule file .*gsettings\.its/.test(l));
    expect(warnings).toEqual([]);
  });

  test('po/LINGUAS names each translation in po/, and each is tidy (msgfmt --check)', () => {
    const languages = readFileSync(path.join(REPO, 'po', 'LINGUAS'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '');
    expect(languages).toContain('de');
    const files = readdirSync(path.join(REPO, 'po')).filter((f) => f.endsWith('.po'));
    expect(files.sort()).toEqual(languages.map((l) => `${l}.po`).sort());
    for (const language of languages) {
      const r = run('msgfmt', ['--check', '--statistics', '-o', '/dev/null', path.join(REPO, 'po', `${language}.po`)]);
      expect({ language, status: r.status, said: r.stderr.replace(/\d+ translated messages?(, \d+ untranslated messages?)?\.\n/, '') }).toEqual({ language, status: 0, said: '' });
    }
  });

  test('meson compiles and installs the German translation, and merges it into the desktop entries', () => {
    const mo = installed(INSTALLED.germanTranslation);
    const text = must('msgunfmt', ['--no-wrap', mo]);
    expect(text).toContain('msgid "Your files are backed up"\nmsgstr "Ihre Dateien sind gesichert"');
    expect(text).toMatch(/msgid "The backup disk “%s” is not connected\. Connect it, then try again\."\nmsgstr "Das Sicherungslaufwerk „%s“ ist nicht angeschlossen\./);
    expect(iniValue(read(INSTALLED.desktop), 'Desktop Entry', 'Comment[de]')).toBe('Sichern Sie Ihre Dateien und stellen Sie sie von jedem beliebigen Zeitpunkt wieder her');
    expect(iniValue(read(INSTALLED.autostart), 'Desktop Entry', 'Name[de]')).toBe('Rewind-Sicherungsüberwachung');
  });

  test('po/POTFILES.in lists existing files, and every app source with translatable strings', () => {
    const listed = readFileSync(path.join(REPO, 'po', 'POTFILES.in'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const file of listed) expect({ file, exists: existsSync(path.join(REPO, file)) }).toEqual({ file, exists: true });

    const translatable = walk(path.join(REPO, 'src', 'app'))
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /(?<![\w.])(?:_|N_|C_|ngettext)\(\s*['"`]/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(REPO, f));
    expect(translatable.filter((f) => !listed.includes(f))).toEqual([]);
  });
});
