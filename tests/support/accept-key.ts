import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { sshPaths } from '../../src/helper/destinations/ssh/identity';
import type { BackupFixture } from './backup-fixture';
import type { Sshd } from './sshd';

/** What a person does on the server once: the folder, and the accept-key command with this computer's key. */
export function acceptKeyOnServer(fx: BackupFixture, sshd: Sshd, serverRoot: string): void {
  mkdirSync(serverRoot, { recursive: true, mode: 0o700 });
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${path.join(fx.dist, 'helper/rewind-helper.cjs')}' "$@" --runtime-dir '${path.join(fx.dir, 'serve-run')}'\n`, { mode: 0o755 });
  const key = readFileSync(`${sshPaths(fx.stateDir).key}.pub`, 'utf8');
  const accepted = spawnSync(helper, ['accept-key', '--root', serverRoot, '--host', fx.hostName, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], { input: key, encoding: 'utf8' });
  expect(accepted.stderr).toBe('');
  expect(accepted.status).toBe(0);
}
