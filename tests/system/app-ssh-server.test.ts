import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { acceptKeyOnServer } from '../support/accept-key';
import { startSshd, type Sshd } from '../support/sshd';
import { startApp, type AppDriver } from '../support/app-driver';
import { addServer as addServerSteps, backUpNow as backUpNowSteps, expectServerOnMainPage as expectServer, history as runHistory, serverId as firstId, sshStep } from '../support/server-dialog';
import { mountLoopXfs } from '../support/loop-xfs';
import { REPO } from '../support/system-bus';

/**
 * A backup server as a person adds and uses it, end to end through the app:
 * the real app in Xvfb, the real D-Bus activated helper, a real sshd on
 * 127.0.0.1 whose forced command is the real `rewind-helper serve` over an
 * XFS folder (a default Fedora Server's disk). Add Backup Server → the
 * connection test passes → Add → Back Up Now → the main page names the
 * server and its free space → the next backup (in the dark style) is
 * incremental → one file comes back from the server in the restore browser,
 * byte-identical. Every step is photographed in the light and the dark style
 * and no screen shows technical words.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let sshd: Sshd;
let display: string;
let userEnv: string[];
/** The backup folder on the server's XFS disk. */
let serverRoot: string;
const shots = artifactsDir(REPO, 'screenshots');
/** The id Add Server gave the server (the only destination). */
const serverId = () => firstId(fx);
const history = () => runHistory(fx);
const addServer = (a: AppDriver, folder: string) => addServerSteps(a, { host: '127.0.0.1', port: sshd.port, user: 'root', path: folder });
const backUpNow = (a: AppDriver, name: string) => backUpNowSteps(fx, a, name);
const expectServerOnMainPage = (a: AppDriver) => expectServer(a, '127.0.0.1');
let app: AppDriver | undefined;

beforeAll(async () => {
  fx = await createBackupFixture();
  sshd = await startSshd(fx.cleanup, fx.dir);
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display);
  const disk = path.join(fx.dir, 'server-disk');
  mountLoopXfs(fx.cleanup, fx.dir, 'server-xfs', 300, disk);
  serverRoot = path.join(disk, 'backups');
  // No destination yet: the server is the first.
  writeFixtureConfig(fx, []);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe('a backup server on an XFS disk, through the app', () => {
  test('light: added after a connection test, backed up to, shown with its free space', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    expect(await addServer(app, serverRoot)).toBe('key-not-accepted');
    await app.shoot('ssh-server-4-key-not-accepted');
    acceptKeyOnServer(fx, sshd, serverRoot);
    await sshStep(app, 'ssh.test', 'rewind: ssh checked ok files');
    await app.shoot('ssh-server-5-test-passed');
    const words = (await app.texts()).flatMap((w) => w.texts).join('\n');
    expect(words).toMatch(/“127\.0\.0\.1” — [\d.,]+\s[kMGT]?B free — stores backups as compressed files/);
    await sshStep(app, 'ssh.use', 'rewind: ssh added to config');
    const first = await backUpNow(app, 'ssh-server-6-backed-up');
    expect(first.transfers).toMatchObject([{ destination: serverId(), ok: true, kind: 'full', serverSpace: { freeBytes: expect.any(Number), sizeBytes: expect.any(Number) } }]);
    await expectServerOnMainPage(app);
  });

  test('dark: added again, the next backup is incremental, and a file comes back from the server', async () => {
    // As on another day: the dialog again, for the same server and folder (its key is known and accepted now).
    writeFixtureConfig(fx, []);
    writeFileSync(path.join(fx.home, 'alice/Documents/new idea.txt'), 'written after the first backup\n');
    app = startApp(fx, userEnv, display, shots, 'dark');
    expect(await addServer(app, serverRoot)).toBe('ok files');
    await app.shoot('ssh-server-5-test-passed');
    await sshStep(app, 'ssh.use', 'rewind: ssh added to config');
    const second = await backUpNow(app, 'ssh-server-6-backed-up');
    const full = history().at(-2)!.transfers[0].snapshot;
    expect(second.transfers).toMatchObject([{ destination: serverId(), ok: true, kind: 'incremental', parent: full }]);
    await expectServerOnMainPage(app);

    const file = path.join(fx.home, 'alice/Documents/notes.md');
    const original = readFileSync(file);
    rmSync(file);
    await app.step('restore-points', undefined, 'rewind: restore points ');
    await app.shoot('ssh-server-7-restore-points');
    const point = JSON.stringify({ from: serverId(), snapshot: second.transfers[0].snapshot, source: fx.home, where: '127.0.0.1' });
    await app.step('browse-point', point, 'rewind: browser folder ');
    await app.step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents ');
    await app.shoot('ssh-server-8-browser');
    await app.step('browser.select', 'alice/Documents/notes.md', 'rewind: browser selection 1');
    await app.step('browser.restore', undefined, 'rewind: browser restored 1 ');
    await app.shoot('ssh-server-9-restored');
    expect(readFileSync(file).equals(original)).toBe(true);
  });
});
