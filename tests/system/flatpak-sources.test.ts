import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { sh } from '../support/exec';
import { REPO } from '../support/system-bus';

/**
 * The Flatpak's build, as far as it runs without a GNOME runtime: the
 * committed files (what the manifest's git source checks out) with
 * node_modules made of the manifest's npm sources alone, each tarball
 * checked against its sha512 and unpacked where the source's dest says (as
 * flatpak-builder does), then meson with the manifest's options, on this
 * machine's Node instead of the SDK's node24. The app bundle must come out of
 * it: nothing else is needed to bundle. The tarballs come from npm's cache
 * (`npm cache add` fetches one that is not there).
 */
jest.setTimeout(300_000);

interface ArchiveSource {
  type: string;
  url: string;
  sha512: string;
  dest: string;
  'only-arches'?: string[];
}

const ARCH = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as 'x64' | 'arm64'];
let dir: string;
let prefix: string;

/** The package name and version in a registry tarball's address. */
function spec(url: string): string {
  const m = /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\/-\/.*-(\d[^/]*)\.tgz$/.exec(url)!;
  return `${m[1]}@${m[2]}`;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-flatpak-sources-'));
  const tree = path.join(dir, 'rewind');
  mkdirSync(tree);
  // The last commit, as the git source checks out a tag: not what is being edited in the checkout.
  execFileSync('sh', ['-c', `git -C "${REPO}" archive HEAD | tar -xf - -C "${tree}"`]);
  const sources = JSON.parse(readFileSync(path.join(REPO, 'build-aux/generated-sources.json'), 'utf8')) as ArchiveSource[];
  const cache = sh('npm', ['config', 'get', 'cache']).trim();
  for (const source of sources.filter((s) => !s['only-arches'] || s['only-arches'].includes(ARCH!))) {
    const file = path.join(cache, '_cacache/content-v2/sha512', source.sha512.slice(0, 2), source.sha512.slice(2, 4), source.sha512.slice(4));
    if (!existsSync(file)) sh('npm', ['cache', 'add', spec(source.url)]);
    expect(sh('sha512sum', [file]).split(' ')[0]).toBe(source.sha512);
    const dest = path.join(tree, source.dest);
    mkdirSync(dest, { recursive: true });
    sh('tar', ['-xzf', file, '-C', dest, '--strip-components=1']);
  }
  prefix = path.join(dir, 'app');
  const build = path.join(dir, 'build');
  const manifest = JSON.parse(readFileSync(path.join(REPO, 'build-aux/io.github.rewindbackup.Rewind.json'), 'utf8')) as { modules: Array<{ 'config-opts': string[] }> };
  sh('meson', ['setup', build, tree, `--prefix=${prefix}`, ...manifest.modules[0]['config-opts']]);
  sh('meson', ['install', '-C', build]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Flatpak bundles from its npm sources alone', () => {
  test('the app and its launcher are installed, and nothing of the helper', () => {
    expect(existsSync(path.join(prefix, 'share/rewind/rewind.js'))).toBe(true);
    expect(readFileSync(path.join(prefix, 'bin/rewind'), 'utf8')).toContain('rewind.js');
    expect(readdirSync(path.join(prefix, 'share/rewind')).filter((f) => f.startsWith('rewind-helper'))).toEqual([]);
    expect(existsSync(path.join(prefix, 'libexec/rewind-helper'))).toBe(false);
  });
});
