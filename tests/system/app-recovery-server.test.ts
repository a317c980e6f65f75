import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import type { SshSetup } from '../../src/core/ssh';
import { startApp as startDriver, type AppDriver } from '../support/app-driver';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, startXvfb } from '../support/display';
import { shResult, waitFor } from '../support/exec';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * Restore from a Backup → Backups on a Server…, through the real app under
 * Xvfb, the helper on the system bus and a real sshd on 127.0.0.1: a lost
 * computer's backups on a server account, a fresh install with no
 * configuration and a new key. The person names the server, compares and
 * trusts its fingerprint, is shown the command for the server with this
 * computer's new key, and once it was run there, sees the lost computer's
 * backups in words.
 */
jest.setTimeout(300_000);

const shots = artifactsDir(REPO, 'screenshots');
let fx: BackupFixture;
let sshd: Sshd;
let helper: string;
let root: string;
let user: string;
let display: string;
let userEnv: string[];

/** The lost computer's helper: a state folder of its own, so its own key. */
function oldComputer(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, ...rest] = fx.helperCli(args);
  rest[rest.indexOf('--state-dir') + 1] = path.join(fx.dir, 'old-state');
  return shResult(command, rest);
}

beforeAll(async () => {
  fx = await createBackupFixture();
  user = fx.allowed.name;
  makeServerAccount(fx, fx.allowed);
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [user] });
  helper = serverHelper(fx);
  root = path.join(fx.dir, 'server-backups');
  mkdirSync(path.join(fx.dir, 'old-state'));
  const setup = JSON.parse(oldComputer(['ssh-setup', '--path', root, '--user', user, '--json']).stdout) as SshSetup;
  for (const command of [setup.folderCommand, setup.acceptKeyCommand]) expect(runShownCommand(command, helper)).toMatchObject({ status: 0, stderr: '' });
  const probe = JSON.parse(oldComputer(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string };
  expect(oldComputer(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
  writeFixtureConfig(fx, [{ id: 'nas', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user, path: root, label: 'nas' }]);
  expect(JSON.parse(oldComputer(['run', '--json']).stdout)).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true }] });
  // The computer is lost: the fresh install has no configuration.
  rmSync(fx.configPath);
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

let current: AppDriver | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function texts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).flatMap((w) => w.texts);
}

test('welcome → Backups on a Server… → the fingerprint → the command for the server → the lost computer’s backups', async () => {
  const app = startDriver(fx, userEnv, display, shots, 'light');
  current = app;
  await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
  await app.step('recover', undefined, 'rewind: recover found');
  await app.step('recover.server', undefined, 'rewind: recover page server-ask');
  app.activate('recover.server-host', '127.0.0.1');
  app.activate('recover.server-port', String(sshd.port));
  await app.shoot('recover-server-ask');
  expect(await texts(app)).toContain(user);

  await app.step('recover.server-continue', undefined, 'rewind: recover page server-trust');
  await app.shoot('recover-server-trust');
  const fingerprint = shResult('ssh-keygen', ['-lf', path.join(fx.dir, 'sshd/ssh_host_ed25519_key.pub')]).stdout.split(' ')[1];
  expect(await texts(app)).toContain(fingerprint);

  await app.step('recover.server-trust', undefined, 'rewind: recover page server-accept');
  await app.shoot('recover-server-accept');
  const newKey = readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim();
  const command = `echo '${newKey}' | sudo -u ${user} /usr/libexec/rewind-helper accept-key --root ROOT --host COMPUTER --read-only`;
  expect(await texts(app)).toContain(command);

  // Looking again before the administrator ran it: the same page.
  const accepts = app.count('rewind: recover page server-accept');
  app.activate('recover.server-look');
  await waitFor('the page again', () => app.count('rewind: recover page server-accept') > accepts || undefined, 60_000);

  expect(runShownCommand(command.replace('ROOT', root).replace('COMPUTER', fx.hostName), helper)).toMatchObject({ status: 0, stderr: '' });
  await app.step('recover.server-look', undefined, 'rewind: recover page server-found');
  await app.shoot('recover-server-found');
  const shown = await texts(app);
  expect(shown).toContain(fx.hostName);
  expect(shown.some((t) => t.startsWith('Home folders · 1 restore point'))).toBe(true);
  expect(shown).toContain('On 127.0.0.1');
});
