import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Discovery, ServerDiscovery } from '../../src/core/discovery';
import type { SshSetup } from '../../src/core/ssh';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { shResult } from '../support/exec';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { asUser } from '../support/system-bus';

/**
 * A computer backed up to a server (an ordinary account there, through a
 * real sshd on 127.0.0.1) is lost. A fresh install, with no configuration
 * and a new key, looks for its backups there with `rewind-helper discover
 * --host --user`: first the server's key must be confirmed, then the server
 * refuses the new key and the helper says the command that lets it read;
 * once the administrator ran it (naming the lost computer's folder), the
 * backups are listed in words, and nothing on the server changed. The same
 * through D-Bus DiscoverServerBackups, as the app asks, over the real system
 * bus as an ordinary user.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let sshd: Sshd;
let helper: string;
let root: string;
let user: string;
let oldState: string;
let serverHome: string;

/** The fresh install's helper (the fixture's state folder, which the D-Bus helper uses too). */
const fresh = (args: string[]) => {
  const [command, ...rest] = fx.helperCli(args);
  return shResult(command, rest);
};
/** The lost computer's helper: a state folder of its own, so its own key. */
const cli = (args: string[]) => {
  const [command, ...rest] = fx.helperCli(args);
  const at = rest.indexOf('--state-dir');
  expect(at).toBeGreaterThan(-1);
  rest[at + 1] = oldState;
  return shResult(command, rest);
};
function callOverBus(method: string, argument: string): { result?: ServerDiscovery; error?: { name: string; message: string } } {
  const r = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'call', method, argument]);
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no answer (exit ${r.status}): ${r.stderr}\n${fx.bus.log()}`);
  return JSON.parse(line) as { result?: ServerDiscovery; error?: { name: string; message: string } };
}
const busRequest = () => JSON.stringify({ host: '127.0.0.1', port: sshd.port, user });
const discoverArgs = () => ['discover', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', user];
const serverState = () =>
  readdirSync(path.join(root, fx.hostName, 'home'))
    .sort()
    .map((name) => {
      const file = path.join(root, fx.hostName, 'home', name);
      return `${name} ${statSync(file).size} ${statSync(file).mtimeMs}`;
    });

beforeAll(async () => {
  fx = await createBackupFixture();
  user = fx.allowed.name;
  serverHome = makeServerAccount(fx, fx.allowed);
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [user] });
  helper = serverHelper(fx);
  root = path.join(fx.dir, 'server-backups');
  oldState = path.join(fx.dir, 'old-state');
  mkdirSync(oldState);

  // The lost computer, set up as a person does, backed up once.
  const setup = JSON.parse(cli(['ssh-setup', '--path', root, '--user', user, '--json']).stdout) as SshSetup;
  for (const command of [setup.folderCommand, setup.acceptKeyCommand]) expect(runShownCommand(command, helper)).toMatchObject({ status: 0, stderr: '' });
  const probe = JSON.parse(cli(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string };
  expect(cli(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
  writeFixtureConfig(fx, [{ id: 'nas', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user, path: root, label: 'nas' }]);
  const [command, ...rest] = fx.helperCli(['run', '--json']);
  rest[rest.indexOf('--state-dir') + 1] = oldState;
  const run = shResult(command, rest);
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true, kind: 'full' }] });
  // The computer is lost: the fresh install has no configuration.
  rmSync(fx.configPath);
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
    const newKey = readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim();
    expect(newKey).not.toBe(readFileSync(path.join(oldState, 'ssh/id_ed25519.pub'), 'utf8').trim());
    expect(r.stderr).toContain(`did not accept this computer’s key for the user ${user}`);
    const shown = /with: (echo '.*' \| .* --read-only) \(ROOT/.exec(r.stderr.replace(/\n/g, ' '));
    expect(shown?.[1]).toBe(`echo '${newKey}' | sudo -u ${user} /usr/libexec/rewind-helper accept-key --root ROOT --host COMPUTER --read-only`);
    refusedCommand = shown![1];
    // The app gets the same as an answer, not an error.
    const overBus = callOverBus('DiscoverServerBackups', busRequest());
    expect(overBus.error).toBeUndefined();
    expect(overBus.result).toMatchObject({ found: [], keyNotAccepted: { publicKey: newKey, acceptKeyCommand: refusedCommand } });
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
    const overBus = callOverBus('DiscoverServerBackups', busRequest());
    expect(overBus.result?.keyNotAccepted).toBeUndefined();
    expect(overBus.result?.found).toEqual(discovery.found);
    expect(serverState()).toEqual(before);
  });
});

describe('discover --host on a server that answers what it likes', () => {
  test('names that are not a computer, a folder or a restore point, sizes that are not sizes and a list of backups too large are left out or said, not believed', () => {
    // In place of serve: a script that answers each request with hostile JSON, for this key only.
    const script = path.join(fx.dir, 'hostile-serve');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'while IFS= read -r line; do',
        '  case "$line" in',
        `    *'"op":"hello"'*) echo '{"ok":true,"version":1,"host":"lost-laptop","btrfs":true,"totalBytes":-5,"freeBytes":"x"}' ;;`,
        `    *'"op":"folders"'*) echo '{"ok":true,"folders":["home","../etc",7,"a/b",null]}' ;;`,
        `    *'"op":"list"'*) echo '{"ok":true,"backups":[{"name":"20260101T080000Z","complete":true},{"name":"../../x","complete":true},{"name":"20260102T080000Z","complete":false},{"name":7,"complete":true},null]}' ;;`,
        `    *'"op":"file-list"'*) echo '{"ok":true,"files":[{"name":"manifest.json","size":999999999999}]}' ;;`,
        `    *) echo '{"ok":false,"error":{"code":"InvalidArgs","message":"no"}}' ;;`,
        '  esac',
        'done',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const hostileState = path.join(fx.dir, 'hostile-state');
    mkdirSync(path.join(hostileState, 'ssh'), { recursive: true, mode: 0o700 });
    cpSync(path.join(fx.stateDir, 'ssh/known_hosts'), path.join(hostileState, 'ssh/known_hosts'));
    const hostile = (args: string[]) => {
      const [command, ...rest] = fx.helperCli(args);
      rest[rest.indexOf('--state-dir') + 1] = hostileState;
      return shResult(command, rest);
    };
    // The first look makes the key, which the server does not know yet.
    expect(hostile(discoverArgs()).status).not.toBe(0);
    const key = readFileSync(path.join(hostileState, 'ssh/id_ed25519.pub'), 'utf8').trim();
    appendFileSync(path.join(serverHome, '.ssh/authorized_keys'), `command="${script}",restrict ${key}\n`);

    const r = hostile([...discoverArgs(), '--json']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const discovery = JSON.parse(r.stdout) as Discovery;
    expect(discovery.found).toHaveLength(1);
    const [found] = discovery.found;
    expect(found).toMatchObject({ host: 'lost-laptop', kind: 'btrfs', disk: { name: '127.0.0.1', sizeBytes: 0 } });
    expect(found.folders.map((f) => [f.dirName, f.points])).toEqual([['home', ['20260101T080000Z']]]);
    expect(found.diskUsedBytes).toBeUndefined();
    expect(discovery.problems).toEqual(['The list of backups of lost-laptop (home) on 127.0.0.1 could not be read: its size (999999999999) is not that of a list of backups.']);
  });
});
