import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Discovery } from '../../src/core/discovery';
import type { SshSetup } from '../../src/core/ssh';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { shResult } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';

/**
 * A computer backed up to a server (an ordinary account there, through a
 * real sshd on 127.0.0.1) is lost. A fresh install, with no configuration
 * and a new key, looks for its backups there with `rewind-helper discover
 * --host --user`: first the server's key must be confirmed, then the server
 * refuses the new key and the helper says the command that lets it read;
 * once the administrator ran it (naming the lost computer's folder), the
 * backups are listed in words, and nothing on the server changed.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let sshd: Sshd;
let helper: string;
let root: string;
let user: string;
let freshState: string;

const cli = (args: string[]) => {
  const [command, ...rest] = fx.helperCli(args);
  return shResult(command, rest);
};
/** The same helper on the fresh install: its own state folder, so its own key and no confirmed server. */
const fresh = (args: string[]) => {
  const [command, ...rest] = fx.helperCli(args);
  const at = rest.indexOf('--state-dir');
  expect(at).toBeGreaterThan(-1);
  rest[at + 1] = freshState;
  return shResult(command, rest);
};
const discoverArgs = () => ['discover', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', user];
const serverState = () =>
  readdirSync(path.join(root, fx.hostName, 'home'))
    .sort()
    .map((name) => {
      const file = path.join(root, fx.hostName, 'home', name);
      return `${name} ${statSync(file).size} ${statSync(file).mtimeMs}`;
    });

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  user = fx.allowed.name;
  makeServerAccount(fx, fx.allowed);
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [user] });
  helper = serverHelper(fx);
  root = path.join(fx.dir, 'server-backups');
  freshState = path.join(fx.dir, 'fresh-state');
  mkdirSync(freshState);

  // The lost computer, set up as a person does, backed up once.
  const setup = JSON.parse(cli(['ssh-setup', '--path', root, '--user', user, '--json']).stdout) as SshSetup;
  for (const command of [setup.folderCommand, setup.acceptKeyCommand]) expect(runShownCommand(command, helper)).toMatchObject({ status: 0, stderr: '' });
  const probe = JSON.parse(cli(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string };
  expect(cli(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
  writeFixtureConfig(fx, [{ id: 'nas', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user, path: root, label: 'nas' }]);
  expect(runBackupCli(fx).transfers).toMatchObject([{ destination: 'nas', ok: true, kind: 'full' }]);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('discover --host on a fresh install', () => {
  let refusedCommand = '';

  test('a server whose key is not confirmed is not connected to', () => {
    const r = fresh(discoverArgs());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('No key is confirmed yet for the server 127.0.0.1');
  });

  test("the server refuses the new key; the helper says the command that lets it read, with this computer's new key", () => {
    const probe = JSON.parse(fresh(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string; state: string };
    expect(probe.state).not.toBe('known');
    expect(fresh(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
    const before = serverState();
    const r = fresh(discoverArgs());
    expect(r.status).not.toBe(0);
    const newKey = readFileSync(path.join(freshState, 'ssh/id_ed25519.pub'), 'utf8').trim();
    expect(newKey).not.toBe(readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim());
    expect(r.stderr).toContain(`did not accept this computer’s key for the user ${user}`);
    const shown = /with: (echo '.*' \| .* --read-only) \(ROOT/.exec(r.stderr.replace(/\n/g, ' '));
    expect(shown?.[1]).toBe(`echo '${newKey}' | sudo -u ${user} /usr/libexec/rewind-helper accept-key --root ROOT --host COMPUTER --read-only`);
    refusedCommand = shown![1];
    expect(serverState()).toEqual(before);
  });

  test("once the administrator ran it for the lost computer's folder, its backups are listed in words, and nothing on the server changed", () => {
    const command = refusedCommand.replace('--root ROOT', `--root ${root}`).replace('--host COMPUTER', `--host ${fx.hostName}`);
    expect(runShownCommand(command, helper)).toMatchObject({ status: 0, stderr: '' });
    const before = serverState();
    const json = fresh([...discoverArgs(), '--json']);
    expect(json).toMatchObject({ status: 0, stderr: '' });
    const discovery = JSON.parse(json.stdout) as Discovery;
    expect(discovery.problems).toEqual([]);
    expect(discovery.found).toHaveLength(1);
    const [found] = discovery.found;
    expect(found).toMatchObject({ host: fx.hostName, kind: 'files', encrypted: false, disk: { name: '127.0.0.1' } });
    expect(found.folders.map((f) => f.points.length)).toEqual([1]);
    expect(found.bytes).toBeGreaterThan(0);
    const human = fresh(discoverArgs());
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`${fx.hostName}, on the server 127.0.0.1 (backup files)`);
    expect(human.stdout).toMatch(/: 1 restore point, /);
    expect(human.stdout).toMatch(/size: [\d.]+ (kB|MB)/);
    expect(serverState()).toEqual(before);
  });
});
