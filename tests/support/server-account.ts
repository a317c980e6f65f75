import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { DEFAULT_HELPER_PATH } from '../../src/core/serve-protocol';
import type { BackupFixture } from './backup-fixture';
import { sh, shResult } from './exec';
import type { TestUser } from './test-user';

/**
 * An ordinary account on the "server" (this machine, through the test's
 * sshd), as a person has on their Fedora Server: a home of its own, a real
 * shell (sshd runs the forced command through it), and a password that is
 * unset rather than locked (sshd without PAM refuses a locked account). The
 * account is the fixture's (deleted by its cleanup); its home is in the
 * test's folder.
 */
export function makeServerAccount(fx: BackupFixture, user: TestUser): string {
  const home = path.join(fx.dir, `home-${user.name}`);
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, user.uid, user.uid);
  sh('usermod', ['--home', home, '--shell', '/bin/sh', '--password', '*', user.name]);
  return home;
}

/**
 * The helper as installed on the server, for any account: the freshly built
 * bundle with no test options, so `serve` finds its own lock folder as it
 * would there.
 */
export function serverHelper(fx: BackupFixture): string {
  const helper = path.join(fx.dir, 'server-rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${path.join(fx.dist, 'helper/rewind-helper.cjs')}' "$@"\n`, { mode: 0o755 });
  return helper;
}

/**
 * Runs, as root on this machine, a command the app showed for the server,
 * exactly as shown but for what this machine lacks: `sudo -u NAME` becomes
 * `runuser -u NAME --`, a plain `sudo` nothing (there is no sudo here), and
 * the installed helper's path this build's, also in the key line it writes.
 */
export function runShownCommand(command: string, helper: string): { status: number; stdout: string; stderr: string } {
  let local = command.replace(/\bsudo -u ([A-Za-z0-9_][A-Za-z0-9._-]*) /g, 'runuser -u $1 -- ').replace(/\bsudo /g, '');
  if (local.includes(`${DEFAULT_HELPER_PATH} accept-key`)) local = `${local.replace(DEFAULT_HELPER_PATH, helper)} --helper ${helper}`;
  expect(local).not.toContain(DEFAULT_HELPER_PATH);
  const r = shResult('sh', ['-c', local]);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
