import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { sh } from '../support/exec';
import { startSshd, type Sshd } from '../support/sshd';
import { startApp, type AppDriver } from '../support/app-driver';
import { backUpNow, expectServerOnMainPage, history, openServerDialog, serverId, sshStep, trustAndTest } from '../support/server-dialog';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { mountLoopXfs } from '../support/loop-xfs';
import { mountLoop } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';

/**
 * A backup server reached as the person's own account, not root, end to end
 * through the app: the dialog's user is the person's user name, unchanged;
 * the key page's commands, run on the server as shown (as an administrator),
 * make the folder that account's and put the key line into that account's
 * own ~/.ssh/authorized_keys; `serve` then runs as that account, says it
 * cannot keep snapshots, and keeps stream files in the folder; Back Up Now
 * works, nothing on the server belongs to root, and a file comes back from
 * the server in the restore browser. The same account on a folder that
 * could keep snapshots (btrfs) still gets stream files, and the dialog says
 * why; there the backups are encrypted: the recovery key is shown once,
 * saved by the person, and only encrypted files reach the server, from which
 * a file still comes back. Real sshd on 127.0.0.1, real account (made and
 * deleted by the test), real app in Xvfb, light and dark.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let sshd: Sshd;
let display: string;
let userEnv: string[];
let helper: string;
let serverHome: string;
const shots = artifactsDir(REPO, 'screenshots');
let app: AppDriver | undefined;

beforeAll(async () => {
  fx = await createBackupFixture();
  // The person (the app's user) has an account of the same name on the server.
  serverHome = makeServerAccount(fx, fx.allowed);
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [fx.allowed.name] });
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display);
  helper = serverHelper(fx);
  writeFixtureConfig(fx, []);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

const onScreen = async (a: AppDriver) => (await a.texts()).flatMap((w) => w.texts);

/** The key page's commands, run on the server as an administrator would, in order; the install is skipped (the helper is this build). */
async function setUpServer(a: AppDriver, folder: string): Promise<void> {
  const texts = await onScreen(a);
  const user = fx.allowed.name;
  expect(texts).toContain('sudo dnf install rewind-helper');
  const folderCommand = texts.find((t) => t.startsWith('sudo mkdir'));
  expect(folderCommand).toBe(`sudo mkdir -p -m 0700 ${folder} && sudo chown ${user}: ${folder}`);
  const acceptCommand = texts.find((t) => t.includes(' accept-key '));
  expect(acceptCommand).toMatch(new RegExp(`^echo 'ssh-ed25519 \\S+ rewind@${fx.hostName}' \\| sudo -u ${user} /usr/libexec/rewind-helper accept-key --root ${folder} --host ${fx.hostName}$`));
  expect(texts.join('\n')).toContain(`~${user}/.ssh/authorized_keys`);
  for (const command of [folderCommand!, acceptCommand!]) {
    const r = runShownCommand(command, helper);
    expect({ command, ...r, stdout: '' }).toEqual({ command, status: 0, stdout: '', stderr: '' });
  }
}

/** Everything in the server's folder for this computer belongs to the account: nothing there is root's. */
function expectOwnedByAccount(folder: string): void {
  expect(sh('find', [folder, '-not', '-user', fx.allowed.name])).toBe('');
  expect(sh('find', [path.join(folder, fx.hostName), '-type', 'f', '-name', 'manifest.json']).trim()).not.toBe('');
}

describe('a backup server reached as the person’s own account', () => {
  test('light: XFS folder, the shown commands, a backup as stream files, and a file restored from it', async () => {
    const disk = path.join(fx.dir, 'server-xfs');
    mountLoopXfs(fx.cleanup, fx.dir, 'server-xfs', 300, disk);
    const folder = path.join(disk, 'backups');
    app = startApp(fx, userEnv, display, shots, 'light');
    // The user is left as the dialog fills it in.
    await openServerDialog(app, { host: '127.0.0.1', port: sshd.port, path: folder }, 'ssh-user');
    expect(await trustAndTest(app, 'ssh-user')).toBe('key-not-accepted');
    await app.shoot('ssh-user-4-key-not-accepted');
    expect((await onScreen(app)).join('\n')).toContain(`for the user ${fx.allowed.name}`);

    // Back to the commands, which were not run yet.
    await sshStep(app, 'ssh.back', 'rewind: ssh page key');
    await setUpServer(app, folder);
    // The line is in the account's own file; root's is untouched.
    const line = readFileSync(path.join(serverHome, '.ssh/authorized_keys'), 'utf8');
    expect(line).toMatch(new RegExp(`^command="${helper} serve --root ${folder} --host ${fx.hostName}",restrict ssh-ed25519 `));
    expect(statSync(path.join(serverHome, '.ssh/authorized_keys')).uid).toBe(fx.allowed.uid);
    expect(readFileSync(sshd.authorizedKeys, 'utf8')).toBe('');

    expect(await trustAndTest(app, 'ssh-user')).toBe('ok files');
    await app.shoot('ssh-user-5-test-passed');
    const words = (await onScreen(app)).join('\n');
    expect(words).toMatch(/“127\.0\.0\.1” — [\d.,]+\s[kMGT]?B free — stores backups as compressed files/);
    await sshStep(app, 'ssh.use', 'rewind: ssh added to config');
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<Record<string, unknown>> };
    expect(config.destinations[0]).toMatchObject({ kind: 'ssh', user: fx.allowed.name, path: folder });

    const first = await backUpNow(fx, app, 'ssh-user-6-backed-up');
    expect(first.transfers).toMatchObject([{ destination: serverId(fx), ok: true, kind: 'full' }]);
    expectOwnedByAccount(folder);
    // serve kept its locks where an ordinary account may (no runtime folder without a PAM session): in its home.
    expect(statSync(path.join(serverHome, '.cache/rewind/serve')).uid).toBe(fx.allowed.uid);
    await expectServerOnMainPage(app, '127.0.0.1');

    const file = path.join(fx.home, 'alice/Documents/notes.md');
    const original = readFileSync(file);
    rmSync(file);
    await app.step('restore-points', undefined, 'rewind: restore points ');
    const point = JSON.stringify({ from: serverId(fx), snapshot: first.transfers[0].snapshot, source: fx.home, where: '127.0.0.1' });
    await app.step('browse-point', point, 'rewind: browser folder ');
    await app.step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents ');
    await app.shoot('ssh-user-7-browser');
    await app.step('browser.select', 'alice/Documents/notes.md', 'rewind: browser selection 1');
    await app.step('browser.restore', undefined, 'rewind: browser restored 1 ');
    await app.shoot('ssh-user-8-restored');
    expect(readFileSync(file).equals(original)).toBe(true);
  });

  test('dark: a folder that could keep snapshots still gets stream files for this account, the dialog says why, and they are encrypted with a recovery key the person keeps', async () => {
    // (A name without the filesystem's: the folder is on screen.)
    const disk = path.join(fx.dir, 'server-disk2');
    mountLoop(fx.cleanup, fx.destination, disk);
    const folder = path.join(disk, 'backups');
    writeFixtureConfig(fx, []);
    app = startApp(fx, userEnv, display, shots, 'dark');
    await openServerDialog(app, { host: '127.0.0.1', port: sshd.port, path: folder }, 'ssh-user-btrfs');
    await setUpServer(app, folder);
    expect(await trustAndTest(app, 'ssh-user-btrfs')).toBe('ok files');
    expect((await onScreen(app)).join('\n')).toContain(`Backups that arrive as ${fx.allowed.name} are kept as compressed backup files; only the user root can keep snapshots on this server.`);
    expect(await onScreen(app)).toContain('Encrypt backups');
    await sshStep(app, 'ssh.encrypt', 'rewind: ssh encrypt true');
    await app.shoot('ssh-user-btrfs-5-encrypt');
    await sshStep(app, 'ssh.use', 'rewind: recovery key shown');
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<Record<string, unknown>> };
    expect(config.destinations[0]).toMatchObject({ kind: 'ssh', user: fx.allowed.name, store: 'files', encrypt: true });
    const id = serverId(fx);
    // The key was made before the configuration named it, and is the one on screen.
    const identity = readFileSync(path.join(fx.stateDir, 'keys', `${id}.agekey`), 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    expect(await onScreen(app)).toContain(identity);
    await app.shoot('ssh-user-btrfs-6-recovery-key');
    // Saved where the person chose, readable only by them.
    const saved = path.join(fx.dir, 'user-home', 'Rewind recovery key.txt');
    await app.step('key.save', saved, 'rewind: recovery key saved');
    await app.shoot('ssh-user-btrfs-7-recovery-key-saved');
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(statSync(saved).uid).toBe(fx.allowed.uid);
    expect(readFileSync(saved, 'utf8').split('\n')).toContain(identity);
    await app.step('key.done', undefined, 'rewind: recovery key closed');

    const run = await backUpNow(fx, app, 'ssh-user-btrfs-8-backed-up');
    expect(run.transfers).toMatchObject([{ destination: id, ok: true, kind: 'full', serverSpace: { freeBytes: expect.any(Number) } }]);
    expectOwnedByAccount(folder);
    // Only encrypted streams on the server: no file there holds the backed-up text.
    const kept = path.join(folder, fx.hostName, 'home');
    const streams = readdirSync(kept).filter((n) => n !== 'manifest.json');
    expect(streams.length).toBeGreaterThan(0);
    for (const name of streams) {
      expect(name).toMatch(/\.btrfs\.zst\.age\.\d{3}$/);
      expect(readFileSync(path.join(kept, name)).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    }
    expect(history(fx).length).toBe(2);

    // And a file comes back from the encrypted backups.
    const file = path.join(fx.home, 'alice/Documents/report.txt');
    const original = readFileSync(file);
    rmSync(file);
    await app.step('restore-points', undefined, 'rewind: restore points ');
    const point = JSON.stringify({ from: id, snapshot: run.transfers[0].snapshot, source: fx.home, where: '127.0.0.1' });
    await app.step('browse-point', point, 'rewind: browser folder ');
    await app.step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents ');
    await app.step('browser.select', 'alice/Documents/report.txt', 'rewind: browser selection 1');
    await app.step('browser.restore', undefined, 'rewind: browser restored 1 ');
    expect(readFileSync(file).equals(original)).toBe(true);
  });
});
