import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups, ServerDiscovery } from '../../src/core/discovery';
import type { RestoreResult } from '../../src/core/restore-request';
import type { SshSetup } from '../../src/core/ssh';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { callAs } from '../support/browse-calls';
import { sh } from '../support/exec';
import { freshInstall, type FreshInstall } from '../support/fresh-install';
import { withTopLevel } from '../support/inspection';
import { mountLoop } from '../support/loop-btrfs';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { compareTrees, describeTree } from '../support/tree-compare';

/**
 * A lost computer backed up to a server twice over: as received backups to
 * root on a btrfs backup folder, and as encrypted stream files to an
 * ordinary account. A fresh install with no configuration and a new key,
 * accepted read-only there (accept-key --read-only), finds them with
 * `discover --host` and restores from them: the whole home from the received
 * backups with `restore-subvolume`, a command of its own (the helper asks
 * the server it remembers again), the same file by file as the old home;
 * one file from the stream files through RestoreFiles, as the restore
 * browser asks over D-Bus, with the recovery key, and the whole home again
 * through RestoreHome, as the app asks. Nothing on the server
 * changes; keeping on backing up there is refused in words that say what
 * the server's administrator runs; a server that no longer lists the
 * backups chosen says so, and one that cannot be reached is named.
 */
jest.setTimeout(240_000);

let fx: BackupFixture;
let sshd: Sshd;
let alice: string;
let target: string;
let home: FreshInstall;
let receivedRoot: string;
let filesRoot: string;
let recoveryKey: string;
let newest: string;
let serverSide: () => string[];

/** A helper command; `state` picks the lost computer's state folder (its own key) instead of the fresh install's. */
function helper(args: string[], options: { state?: string; env?: Record<string, string> } = {}): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  if (options.state) rest[rest.indexOf('--state-dir') + 1] = options.state;
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...options.env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const at = (user: string) => ['--host', '127.0.0.1', '--port', String(sshd.port), '--user', user];
const acceptKey = (publicKey: string, root: string, readOnly: boolean) => {
  const r = spawnSync(process.execPath, [path.join(fx.dist, 'helper/rewind-helper.cjs'), 'accept-key', '--root', root, '--host', fx.hostName, '--authorized-keys', sshd.authorizedKeys, '--helper', serverHelper(fx), ...(readOnly ? ['--read-only'] : [])], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
};
const trust = (state?: string) => {
  const probe = JSON.parse(helper(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json'], { state }).stdout) as { fingerprint: string };
  expect(helper(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint], { state }).status).toBe(0);
};
/** Every file on the server below both backup folders, with its size and time: what a change there would show. */
const listing = (root: string): string[] =>
  readdirSync(root, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => {
      const s = lstatSync(path.join(root, name));
      return `${name} ${s.size} ${s.mtimeMs}`;
    });

beforeAll(async () => {
  target = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${target}`] });
  fx.cleanup.add(`remove ${target}`, () => rmSync(target, { recursive: true, force: true }));
  alice = fx.allowed.name;
  sh('chown', ['-R', `${alice}:${alice}`, path.join(fx.home, 'alice')]);
  sh('chmod', ['0640', path.join(fx.home, 'alice/Documents/notes.md')]);
  // The server: root keeps received backups on a btrfs disk, alice stream files in her home.
  const serverDisk = path.join(fx.dir, 'server-disk');
  mountLoop(fx.cleanup, fx.destination, serverDisk);
  receivedRoot = path.join(serverDisk, 'backups');
  mkdirSync(receivedRoot, { mode: 0o700 });
  makeServerAccount(fx, fx.allowed);
  filesRoot = path.join(fx.dir, 'server-files');
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [alice] });
  serverSide = () => [...listing(path.join(receivedRoot, fx.hostName)), ...listing(path.join(filesRoot, fx.hostName))];

  // The lost computer, set up as a person does, backed up to both.
  const oldState = path.join(fx.dir, 'old-state');
  mkdirSync(oldState);
  const setup = JSON.parse(helper(['ssh-setup', '--path', filesRoot, '--user', alice, '--json'], { state: oldState }).stdout) as SshSetup;
  for (const command of [setup.folderCommand, setup.acceptKeyCommand]) expect(runShownCommand(command, serverHelper(fx))).toMatchObject({ status: 0, stderr: '' });
  acceptKey(setup.publicKey, receivedRoot, false);
  trust(oldState);
  const server = { kind: 'ssh', host: '127.0.0.1', port: sshd.port };
  writeFixtureConfig(fx, [
    { ...server, id: 'nas', user: 'root', path: receivedRoot, store: 'btrfs', label: 'nas' },
    { ...server, id: 'nas-files', user: alice, path: filesRoot, store: 'files', encrypt: true, label: 'nas files' },
  ]);
  const key = helper(['new-key', '--json', '--destination', 'nas-files'], { state: oldState });
  expect(key.status).toBe(0);
  recoveryKey = (JSON.parse(key.stdout) as { identity: string }).identity;
  const run = helper(['run', '--json'], { state: oldState });
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true }, { destination: 'nas-files', ok: true }] });
  newest = (JSON.parse(run.stdout) as { transfers: Array<{ snapshot: string }> }).transfers[0].snapshot;

  // The computer is lost: no configuration; the fresh install has a new key, which the administrator accepts read-only.
  rmSync(fx.configPath);
  home = freshInstall(fx, target);
  trust();
  expect(helper(['discover', ...at('root')]).stderr).toContain('did not accept this computer’s key');
  const newKey = readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim();
  acceptKey(newKey, receivedRoot, true);
  const refused = /with: (echo '.*' \| .* --read-only) \(ROOT/.exec(helper(['discover', ...at(alice)]).stderr.replace(/\n/g, ' '))![1];
  expect(runShownCommand(refused.replace('--root ROOT', `--root ${filesRoot}`).replace('--host COMPUTER', `--host ${fx.hostName}`), serverHelper(fx))).toMatchObject({ status: 0 });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

let received: FoundBackups;
let files: FoundBackups;

test('the whole home comes back from received backups found on the server, file by file as it was, and nothing there changed', async () => {
  const before = serverSide();
  const found = helper(['discover', '--json', ...at('root')]);
  expect({ status: found.status, stderr: found.stderr }).toEqual({ status: 0, stderr: '' });
  [received] = (JSON.parse(found.stdout) as Discovery).found;
  expect(received).toMatchObject({ kind: 'btrfs', host: fx.hostName, disk: { name: '127.0.0.1', server: { host: '127.0.0.1', port: sshd.port, user: 'root' } } });
  expect(received.folders[0].points).toEqual([newest]);
  expect(helper(['discover', ...at('root')]).stdout).toContain(`To bring a home back: rewind-helper restore-subvolume --into /home --destination ID --snapshot NAME`);
  // Remembered for the next command, in a file only root reads.
  const remembered = statSync(path.join(fx.runtimeDir, 'searched-servers.json'));
  expect({ mode: remembered.mode & 0o777, uid: remembered.uid }).toEqual({ mode: 0o600, uid: 0 });

  // Another command, another process: the helper asks the server it remembers.
  const r = helper(['restore-subvolume', '--json', '--into', home.home, '--destination', received.id, '--snapshot', newest, '--replace'], { env: { REWIND_TARGET_ROOT: target } });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(readFileSync(path.join(home.home, 'made-by-the-installer.txt'), 'utf8')).toBe('fresh\n');
  home.restart();
  await withTopLevel(fx, fx.source, (top) => {
    expect(compareTrees(path.join(top, '.rewind/home', newest), home.home)).toEqual([]);
  });
  expect(lstatSync(path.join(home.home, 'alice/Documents/notes.md')).mode & 0o777).toBe(0o640);
  expect(serverSide()).toEqual(before);
});

test('one file comes back from encrypted stream files found on the server, through RestoreFiles as the restore browser asks, with the recovery key', async () => {
  const before = serverSide();
  const discovery = callAs<ServerDiscovery>(fx, alice, 'DiscoverServerBackups', { host: '127.0.0.1', port: sshd.port, user: alice });
  expect(discovery.error).toBeUndefined();
  [files] = discovery.result!.found;
  expect(files).toMatchObject({ kind: 'files', encrypted: true, host: fx.hostName, disk: { server: { user: alice } } });
  const to = path.join(fx.dir, 'restored-file');
  mkdirSync(to);
  sh('chown', [`${alice}:${alice}`, to]);
  const request = { from: files.id, snapshot: newest, paths: ['alice/Documents/report.txt'], to: { folder: to } };
  const locked = callAs<RestoreResult>(fx, alice, 'RestoreFiles', request);
  expect(locked.error?.message).toMatch(/^These backups are encrypted: the recovery key you kept/);
  const restored = callAs<RestoreResult>(fx, alice, 'RestoreFiles', { ...request, recoveryKey });
  expect(restored.error).toBeUndefined();
  expect(restored.result).toMatchObject({ as: 'user' });
  await withTopLevel(fx, fx.source, (top) => {
    // As a person compares them: content, mode, owner, time and xattrs (not how the disk laid it out).
    const described = (folder: string) => {
      const entry = { ...describeTree(folder).get('report.txt')! };
      delete entry.allocated;
      return entry;
    };
    const original = described(path.join(top, '.rewind/home', newest, 'alice/Documents'));
    expect(original.xattrs).toContain('user.rewind.tag');
    expect(described(to)).toEqual(original);
  });
  expect(serverSide()).toEqual(before);
});

test('the whole home comes back through RestoreHome from the encrypted backup files on the server, as the app asks', async () => {
  // The home restored before steps aside again; its received snapshot is deleted, so this one is received anew.
  await withTopLevel(fx, home.fresh, (top) => sh('btrfs', ['subvolume', 'delete', path.join(top, '.rewind/home', newest)]));
  writeFileSync(path.join(home.home, 'made-since.txt'), 'not in the backup\n');
  const restored = callAs<{ folder: string; keptCurrent: boolean }>(fx, alice, 'RestoreHome', { from: files.id, snapshot: newest, recoveryKey });
  expect(restored.error).toBeUndefined();
  expect(restored.result).toMatchObject({ folder: home.home, keptCurrent: true });
  home.restart();
  await withTopLevel(fx, fx.source, (top) => {
    expect(compareTrees(path.join(top, '.rewind/home', newest), home.home)).toEqual([]);
  });
});

test('keeping on backing up to a server that lets this computer only read is refused, saying what its administrator runs', () => {
  const answer = callAs<unknown>(fx, alice, 'KeepBackingUp', { from: received.id });
  expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.KeyNotAccepted');
  expect(answer.error?.message).toContain('These backups are on the server 127.0.0.1, which lets this computer only read them');
  const newKey = readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim();
  expect(answer.error?.message).toContain(`echo '${newKey}' | sudo /usr/libexec/rewind-helper accept-key --root ROOT --host ${fx.hostName} (ROOT`);
  expect(existsSync(fx.configPath)).toBe(false);
});

test('a server that answers but no longer lists the backups chosen says so, not that it cannot be read', () => {
  // Its administrator moved this computer's received backups away.
  const hostFolder = path.join(receivedRoot, fx.hostName);
  const moved = path.join(path.dirname(receivedRoot), 'moved-away');
  renameSync(hostFolder, moved);
  const r = helper(['restore-subvolume', '--into', home.home, '--destination', received.id, '--snapshot', newest]);
  renameSync(moved, hostFolder);
  // The helper remembers what the server answered, without them now: found again, for the next test.
  expect(helper(['discover', ...at('root')]).status).toBe(0);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('The backups you chose are not on the server 127.0.0.1 any more: it answered, but no longer lists them.');
  expect(r.stderr).toContain('look for backups on the server again');
  expect(r.stderr).not.toContain('cannot be read now');
});

test('a server that cannot be reached any more is named', () => {
  process.kill(sshd.pid, 'SIGTERM');
  const r = helper(['restore-subvolume', '--into', home.home, '--destination', received.id, '--snapshot', newest]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('The backups you chose are on a server that cannot be read now: the server 127.0.0.1 could not be asked for them');
});
