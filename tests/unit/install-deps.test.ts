import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from '@jest/globals';

/**
 * build-aux/install-deps.sh, run with stand-ins for the package tools (no
 * package is installed): which packages it asks apt or dnf for, and that
 * every Fedora name says where it was confirmed.
 */
const SCRIPT = fileURLToPath(new URL('../../build-aux/install-deps.sh', import.meta.url));
const text = readFileSync(SCRIPT, 'utf8');

/** The Debian packages, as before the dnf branch came (and man-db for the man page test, the portals for the Flatpak tests). */
const DEBIAN = `btrfs-progs util-linux mount procps passwd attr acl bindfs
  zstd age openssh-server openssh-client dosfstools e2fsprogs xfsprogs fusefat exfat-fuse
  dbus dbus-daemon dbus-bin polkitd pkexec libglib2.0-bin
  gjs gir1.2-gtk-4.0 gir1.2-adw-1 adwaita-icon-theme fonts-cantarell
  xvfb xauth imagemagick
  meson ninja-build esbuild gettext desktop-file-utils appstream libxml2-utils systemd
  git xz-utils rpm rpmlint cpio flatpak-builder man-db
  xdg-desktop-portal xdg-dbus-proxy`.split(/\s+/);

/** The dnf branch's package list. */
const fedora = /elif command -v dnf[\s\S]*?packages="([^"]*)"/.exec(text)![1].trim().split(/\s+/);

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/** Runs the script with only these commands on the PATH (each a shell script body); returns what was logged. */
function runWith(commands: Record<string, string>): { status: number | null; stderr: string; log: string[] } {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-install-deps-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'log');
  writeFileSync(log, '');
  spawnSync('mkdir', [bin]);
  // The few programs the script itself runs, besides the package tools.
  for (const tool of ['dirname', 'grep']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  for (const [name, body] of Object.entries({ node: 'echo 22', npm: 'echo "npm $*" >> "$LOG"', ...commands })) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const r = spawnSync('/bin/sh', [SCRIPT], { encoding: 'utf8', env: { PATH: bin, LOG: log } });
  return { status: r.status, stderr: r.stderr, log: readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

describe('on Debian (apt)', () => {
  test('installs what is missing, the same packages as before', () => {
    const r = runWith({ 'apt-get': 'echo "apt-get $*" >> "$LOG"', 'dpkg-query': 'exit 1', dnf: 'echo "dnf $*" >> "$LOG"' });
    expect(r.status).toBe(0);
    expect(r.log.filter((l) => !l.startsWith('npm '))).toEqual(['apt-get update -qq', `apt-get install -y -qq ${DEBIAN.join(' ')}`]);
  });

  test('installs nothing when everything is there', () => {
    const r = runWith({ 'apt-get': 'echo "apt-get $*" >> "$LOG"', 'dpkg-query': 'printf "install ok installed"' });
    expect(r.status).toBe(0);
    expect(r.log.filter((l) => l.startsWith('apt-get'))).toEqual([]);
  });

  test('still asks for Node.js 20 before anything else', () => {
    const r = runWith({ 'apt-get': 'echo "apt-get $*" >> "$LOG"', 'dpkg-query': 'exit 1', node: 'echo 18' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Node.js 20 or newer');
    expect(r.log).toEqual([]);
  });
});

describe('on Fedora (dnf)', () => {
  test('installs the Fedora packages that rpm does not find', () => {
    const r = runWith({ dnf: 'echo "dnf $*" >> "$LOG"', rpm: 'case "$3" in gjs|meson) exit 0;; esac; exit 1' });
    expect(r.status).toBe(0);
    expect(r.log.filter((l) => l.startsWith('dnf'))).toEqual([`dnf install -y -q ${fedora.filter((p) => p !== 'gjs' && p !== 'meson').join(' ')}`]);
  });

  test('every Fedora package name says which Fedora spec confirmed it', () => {
    const citations = text.slice(text.indexOf('# Where each is confirmed'));
    const cited = (name: string) => citations.split('\n').some((l) => new RegExp(`^\\s*#\\s+(\\S+, )*${name.replaceAll('.', '\\.')}(,| ).*\\S+\\.spec`).test(l));
    expect(fedora.filter((name) => !cited(name))).toEqual([]);
    expect(fedora).toHaveLength(new Set(fedora).size);
  });

  test('none of the names is Debian-only', () => {
    expect(fedora.filter((name) => ['mount', 'procps', 'passwd', 'openssh-client', 'dbus-bin', 'polkitd', 'pkexec', 'libglib2.0-bin', 'xvfb', 'imagemagick', 'libxml2-utils', 'xz-utils', 'esbuild'].includes(name))).toEqual([]);
  });
});
