import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, jest, test } from '@jest/globals';
import type { ServerDiscovery } from '../../src/core/discovery';
import type { SshSetup } from '../../src/core/ssh';
import { startApp as startDriver, type AppDriver } from '../support/app-driver';
import { createBackupFixture, localSnapshot, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, moveWindow, narrowShot, startXvfb } from '../support/display';
import { shResult, waitFor } from '../support/exec';
import { freshInstall, type FreshInstall } from '../support/fresh-install';
import { unmount } from '../support/loop-btrfs';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';
import { compareTrees } from '../support/tree-compare';

/**
 * Restore from a Backup → Backups on a Server…, through the real app under
 * Xvfb, the helper on the system bus and a real sshd on 127.0.0.1: a lost
 * computer's backups on a server account, a fresh install with no
 * configuration and a new key. The person names the server, compares and
 * trusts its fingerprint, is shown the command for the server with this
 * computer's new key, and once it was run there, sees the lost computer's
 * backups in words; then goes on from there as from a disk's list: the
 * computer, a restore point, one file back through the restore browser, and
 * the whole home back, byte-identical to the snapshot it was backed up from.
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
/** The installed system's folders (the helper's REWIND_TARGET_ROOT), and its fresh home. */
let target: string;
let fresh: FreshInstall;
/** The old computer's only backup, and a file of it as it was. */
let newest: string;
let notes: Buffer;

/** The lost computer's helper: a state folder of its own, so its own key. */
function oldComputer(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [command, ...rest] = fx.helperCli(args);
  rest[rest.indexOf('--state-dir') + 1] = path.join(fx.dir, 'old-state');
  return shResult(command, rest);
}

beforeAll(async () => {
  target = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${target}`] });
  fx.cleanup.add(`remove ${target}`, () => rmSync(target, { recursive: true, force: true }));
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
  const run = JSON.parse(oldComputer(['run', '--json']).stdout) as { ok: boolean; transfers: Array<{ destination: string; ok: boolean; snapshot: string }> };
  expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true }] });
  newest = run.transfers[0].snapshot;
  notes = readFileSync(path.join(fx.home, 'alice/Documents/notes.md'));
  // The computer is lost: the fresh install has no configuration, and a home with only the person's empty folder.
  rmSync(fx.configPath);
  unmount(fx.home);
  fresh = freshInstall(fx, target);
  mkdirSync(path.join(fresh.home, 'alice'));
  chownSync(path.join(fresh.home, 'alice'), fx.allowed.uid, fx.allowed.uid);
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

/** The texts of the recovery window alone (the welcome page behind it speaks of disks). */
async function recoveryTexts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).filter((w) => w.window === 'Restore from a Backup').flatMap((w) => w.texts);
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
  await narrowShot(display, 'Restore from a Backup', path.join(shots, 'recover-server-found-narrow-light.png'));
  const shown = await texts(app);
  expect(shown).toContain(fx.hostName);
  expect(shown.some((t) => t.startsWith('Home folders · 1 restore point'))).toBe(true);
  expect(shown).toContain('On 127.0.0.1');
  expect(shown).toContain('Choose the computer whose files you want back.');
  expect(shown.join('\n')).not.toContain('not possible');

  // The row's id, as this computer's helper lists the server's backups on the command line.
  const [file, ...args] = fx.helperCli(['discover', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', user, '--json']);
  const listed = JSON.parse(shResult(file, args).stdout) as ServerDiscovery;
  expect(listed.found.map((f) => f.host)).toEqual([fx.hostName]);
  await app.step('recover.choose', listed.found[0].id, 'rewind: recover page point');
  await app.shoot('recover-server-point');
  await narrowShot(display, 'Restore from a Backup', path.join(shots, 'recover-server-point-narrow-light.png'));
  const points = await recoveryTexts(app);
  expect(points).toEqual(expect.arrayContaining([`Backups of ${fx.hostName}`, 'On 127.0.0.1. Choose the time to go back to.', 'Restore everything', 'Choose files and folders']));
  // Backups on a server are never spoken of as a disk's; keeping on backing up there is not offered, as the server lets this computer only read.
  expect(points.filter((t) => /\bdisk\b|^Keep backing up/i.test(t))).toEqual([]);

  // Back goes to the server's list, not the disks'.
  await app.step('recover.back', undefined, 'rewind: recover page server-found');
  await app.step('recover.choose', listed.found[0].id, 'rewind: recover page point');

  // One file, through the restore browser, to where it was in the fresh home.
  await app.step('recover.browse', undefined, 'rewind: browser folder ', 120_000);
  await app.step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents ');
  await app.step('browser.select', 'alice/Documents/notes.md', 'rewind: browser selection 1');
  await app.step('browser.restore', undefined, 'rewind: browser restored 1 ');
  await app.shoot('recover-server-browser-restored');
  expect(readFileSync(path.join(fresh.home, 'alice/Documents/notes.md')).equals(notes)).toBe(true);
  // Back to the recovery window, as a person does with a click (no window manager here to raise it).
  moveWindow(display, 'Files from', 1200, 0);

  // Everything, from the same page: after the restart, the home is the backed-up one.
  await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
  expect((await texts(app)).some((t) => t.startsWith(`Replace /home with the backup of ${fx.hostName}?`))).toBe(true);
  await app.step('recover.confirm', undefined, 'rewind: recover restored all', 120_000);
  await app.shoot('recover-server-done');
  const done = await recoveryTexts(app);
  expect(done).toContain('Your Files Are Back');
  expect(done).toContain('To keep backing up to this server, its administrator first lets this computer write there; then add the server when you set up backups.');
  // No button to keep backing up there, which the server would refuse.
  expect(done.filter((t) => /\bdisk\b/i.test(t) || t.includes('Keep Backing Up'))).toEqual([]);
  fresh.restart();
  expect(compareTrees(localSnapshot(fx, newest), fresh.home)).toEqual([]);
});
