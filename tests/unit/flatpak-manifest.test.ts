import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { APP_ID, HELPER_BUS_NAME, WEBSITE_URL } from '../../src/core/ids';

/**
 * A lint of the Flatpak manifest (build-aux/io.github.rewindbackup.Rewind.json),
 * since no Flatpak can be built here (no runtime can be downloaded): the
 * runtime, SDK and Node extension agree, the sandbox has the minimal
 * permissions, the app is built from a git source, and the npm sources are
 * exactly what build-aux/flatpak-npm-sources.mjs gives for the lock file.
 */
const file = (name: string) => fileURLToPath(new URL(`../../build-aux/${name}`, import.meta.url));
const manifest = JSON.parse(readFileSync(file(`${APP_ID}.json`), 'utf8')) as {
  id: string;
  runtime: string;
  'runtime-version': string;
  sdk: string;
  'sdk-extensions': string[];
  'finish-args': string[];
  modules: Array<{ name: string; buildsystem: string; 'config-opts': string[]; 'build-options': { 'append-path': string }; sources: Array<string | Record<string, unknown>> }>;
};
const npmSources = JSON.parse(readFileSync(file('generated-sources.json'), 'utf8')) as Array<Record<string, unknown>>;

/**
 * GNOME runtimes Flathub supports now (late 2026: 50 and 51; 48 ended on March
 * 24, 2026), each with the freedesktop SDK branch it is built on, where the
 * Node extension of the same branch comes from.
 */
const SUPPORTED_GNOME = { '50': '25.08', '51': '26.08' } as const;
/** Node extensions those SDK branches have that are a Node.js LTS the helper's code supports (>= 20). */
const NODE_EXTENSIONS = ['node22', 'node24'];

describe('the Flatpak manifest', () => {
  test('the GNOME runtime is a supported one, with its SDK', () => {
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.runtime).toBe('org.gnome.Platform');
    expect(manifest.sdk).toBe('org.gnome.Sdk');
    expect(Object.keys(SUPPORTED_GNOME)).toContain(manifest['runtime-version']);
  });

  test('one Node SDK extension, a current LTS, on the build’s PATH', () => {
    const node = manifest['sdk-extensions'].filter((e) => e.startsWith('org.freedesktop.Sdk.Extension.node'));
    expect(manifest['sdk-extensions']).toEqual(node);
    expect(node).toHaveLength(1);
    const name = node[0].slice('org.freedesktop.Sdk.Extension.'.length);
    expect(NODE_EXTENSIONS).toContain(name);
    for (const module of manifest.modules) expect(module['build-options']['append-path']).toBe(`/usr/lib/sdk/${name}/bin`);
  });

  test('the sandbox has the minimal permissions: a window, and the helper on the system bus', () => {
    expect([...manifest['finish-args']].sort()).toEqual(['--device=dri', '--share=ipc', '--socket=fallback-x11', '--socket=wayland', `--system-talk-name=${HELPER_BUS_NAME}`].sort());
  });

  test('the app is built from a git source of the project, at a tag or commit, and holds no helper', () => {
    const [app] = manifest.modules;
    expect(manifest.modules).toHaveLength(1);
    const [source, ...rest] = app.sources;
    expect(source).toEqual(expect.objectContaining({ type: 'git', url: `${WEBSITE_URL}.git` }));
    expect(typeof (source as Record<string, unknown>).tag === 'string' || /^[0-9a-f]{40}$/.test(String((source as Record<string, unknown>).commit))).toBe(true);
    expect(rest).toEqual(['generated-sources.json']);
    expect(JSON.stringify(manifest)).not.toMatch(/"type":\s*"dir"/);
    expect(app.buildsystem).toBe('meson');
    expect(app['config-opts']).toEqual(expect.arrayContaining(['-Dhelper=false', '-Dnative_crc=false']));
  });

  test('the npm sources are what the lock file gives, and only what bundling needs', () => {
    const check = spawnSync(process.execPath, [file('flatpak-npm-sources.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const names = npmSources.map((s) => String(s.dest).replace(/^node_modules\//, ''));
    expect(names).toEqual(expect.arrayContaining(['esbuild', '@esbuild/linux-x64', '@esbuild/linux-arm64', 'dbus-next', 'execa', 'zod']));
    for (const unwanted of ['jest', 'typescript', 'eslint', '@swc/core', '@node-rs/crc32', 'usocket', 'x11']) expect(names).not.toContain(unwanted);
    const lock = JSON.parse(readFileSync(fileURLToPath(new URL('../../package-lock.json', import.meta.url)), 'utf8')) as { packages: Record<string, { integrity?: string }> };
    const digests = new Set(Object.values(lock.packages).map((p) => Buffer.from(String(p.integrity).replace(/^sha512-/, ''), 'base64').toString('hex')));
    const esbuild = npmSources.filter((s) => /^node_modules\/@esbuild\//.test(String(s.dest))).map((s) => s['only-arches']);
    expect(esbuild.sort()).toEqual([['aarch64'], ['x86_64']]);
    for (const source of npmSources) {
      expect(digests.has(String(source.sha512))).toBe(true);
      expect(source).toEqual(expect.objectContaining({ type: 'archive', url: expect.stringMatching(/^https:\/\/registry\.npmjs\.org\/.+\.tgz$/), sha512: expect.stringMatching(/^[0-9a-f]{128}$/), dest: expect.stringMatching(/^node_modules\//) }));
    }
  });

  test('flatpak-builder (install-deps.sh installs it) reads it', () => {
    // It leaves its state folder (.flatpak-builder) where it runs.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rewind-flatpak-manifest-'));
    const r = spawnSync('flatpak-builder', ['--show-manifest', file(`${APP_ID}.json`)], { encoding: 'utf8', cwd });
    rmSync(cwd, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    const shown = JSON.parse(r.stdout) as { id: string; command: string; modules: Array<{ sources: unknown[] }> };
    expect(shown).toEqual(expect.objectContaining({ id: APP_ID, command: 'rewind', 'runtime-version': manifest['runtime-version'] }));
    expect(shown.modules[0].sources).toHaveLength(1 + npmSources.length);
  });
});
