import { existsSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import type { SshSetup } from '../../src/core/ssh';
import { check } from '../../src/helper/destinations/ssh/setup';
import { createBackupFixture, localSnapshot, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh, shResult } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { mountLoopXfs } from '../support/loop-xfs';
import { writeRandomFile } from '../support/random-file';
import { makeServerAccount, runShownCommand, serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';

/**
 * What goes wrong with a backup server between runs, for real: an ordinary
 * account on the server (this machine, through a real sshd on 127.0.0.1)
 * set up with the commands `rewind-helper ssh-setup` prints, its backup
 * folder on a small XFS disk. The folder fills up; the key is removed from
 * the account's authorized_keys. Each time the connection test names the
 * cause, the run fails with a sentence that names the cause and who can fix
 * it, nothing on the server changes, the run's snapshot stays here, and once
 * the cause is gone the next run is incremental from the last backup.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let sshd: Sshd;
let setupShown: SshSetup;
let helper: string;
let serverHome: string;
let root: string;
let user: string;
const runs: RunRecord[] = [];

const folder = () => path.join(root, fx.hostName, 'home');
/** Everything in the server's folder for this computer, by name and size. */
const serverFiles = () => readdirSync(folder()).sort().map((name) => `${name} ${readFileSync(path.join(folder(), name)).length}`);
/** rewind-helper with the fixture's paths; its output, whatever its exit status (ssh-probe's is 1 for a key not trusted yet). */
const cli = (args: string[]) => {
  const [command, ...rest] = fx.helperCli(args);
  return shResult(command, rest);
};
const connectionTest = () => check({ configPath: fx.configPath, stateDir: fx.stateDir }, { host: '127.0.0.1', port: sshd.port, user });

async function backUp(): Promise<RunRecord> {
  // Snapshot names have a one-second resolution.
  await new Promise((r) => setTimeout(r, 1100));
  const run = runBackupCli(fx);
  runs.push(run);
  return run;
}

/** The last backup that reached the server. */
const lastGood = () => runs.filter((r) => r.ok).at(-1)!.transfers[0].snapshot;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  user = fx.allowed.name;
  serverHome = makeServerAccount(fx, fx.allowed);
  sshd = await startSshd(fx.cleanup, fx.dir, { users: [user] });
  helper = serverHelper(fx);
  const disk = path.join(fx.dir, 'server-disk');
  mountLoopXfs(fx.cleanup, fx.dir, 'server-xfs', 300, disk);
  root = path.join(disk, 'backups');

  // What a person does: ssh-setup for that account, its commands on the server, then the server's key confirmed.
  setupShown = JSON.parse(cli(['ssh-setup', '--path', root, '--user', user, '--json']).stdout) as SshSetup;
  for (const command of [setupShown.folderCommand, setupShown.acceptKeyCommand]) expect(runShownCommand(command, helper)).toMatchObject({ status: 0, stderr: '' });
  const probe = JSON.parse(cli(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string };
  expect(cli(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
  writeFixtureConfig(fx, [{ id: 'nas', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user, path: root, label: 'nas' }], { retention: { local: { preset: 'keep-all' } } });

  expect(await connectionTest()).toMatchObject({ ok: true, store: 'files' });
  const first = await backUp();
  expect(first.transfers).toMatchObject([{ destination: 'nas', ok: true, kind: 'full' }]);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a backup server reached as an ordinary account', () => {
  test('its folder fills up: the connection test and the run say so and who can free space; nothing is lost, and the next run goes on incrementally', async () => {
    const before = serverFiles();
    // Leave 24 MiB on the server's disk, then change 48 MiB of data that does not compress.
    const filler = path.join(path.dirname(root), 'filler');
    const { bavail, bsize } = statfsSync(root);
    sh('fallocate', ['-l', String(bavail * bsize - 24 * 1024 * 1024), filler]);
    try {
      expect(await connectionTest()).toMatchObject({ ok: false, problem: 'full' });
      writeRandomFile(path.join(fx.home, 'alice/big.bin'), 48);
      const full = await backUp();
      expect(full.transfers).toMatchObject([{ ok: false, kind: 'incremental', error: { code: 'DestinationFull' } }]);
      const message = full.transfers[0].error!.message;
      expect(message).toMatch(/^This backup does not fit in the [\d.]+ MB free on the backup server nas, and no older backup there may be removed to make room: whoever looks after the server can free space on the disk that holds its backup folder/);
      expect(message).toContain('The backups already there are kept.');
      // Nothing changed on the server (no part of the new stream, no entry in the manifest), and the snapshot waits here.
      expect(serverFiles()).toEqual(before);
      expect(existsSync(localSnapshot(fx, full.transfers[0].snapshot))).toBe(true);
    } finally {
      rmSync(filler, { force: true });
    }
    const parent = lastGood();
    const next = await backUp();
    expect(next.transfers).toMatchObject([{ ok: true, kind: 'incremental', parent }]);
    // Every stream on the server reads back whole.
    expect(cli(['verify', '--destination', 'nas'])).toMatchObject({ status: 0, stderr: '' });
  });

  test('its key is removed between runs: the connection test and the run name the account and who can accept it again; nothing is lost', async () => {
    const keys = path.join(serverHome, '.ssh/authorized_keys');
    const line = readFileSync(keys, 'utf8');
    writeFileSync(keys, '');
    const before = serverFiles();
    expect(await connectionTest()).toMatchObject({ ok: false, problem: 'key-not-accepted' });
    writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '# Notes\n- written while the key was gone\n');
    const refused = await backUp();
    expect(refused).toMatchObject({ ok: false });
    const error = refused.transfers[0]?.error ?? refused.error;
    expect(error?.code).toBe('KeyNotAccepted');
    expect(error?.message).toContain(`did not accept this computer’s key for the user ${user}: it is not, or no longer, among the keys ${user} may sign in with there`);
    expect(error?.message).toContain(`An administrator of the server can accept it again with rewind-helper accept-key, as ${user}: the command Rewind showed when the server was added, which rewind-helper ssh-setup on this computer prints again.`);
    expect(error?.message).toContain('Nothing was sent, and the backups already there are kept.');
    expect(serverFiles()).toEqual(before);

    // Accepted again, with the same command as the first time: the line is back as it was, and the next run goes on from the last backup.
    expect(runShownCommand(setupShown.acceptKeyCommand, helper)).toMatchObject({ status: 0, stderr: '' });
    expect(readFileSync(keys, 'utf8')).toBe(line);
    expect(await connectionTest()).toMatchObject({ ok: true });
    const parent = lastGood();
    const next = await backUp();
    expect(next.transfers).toMatchObject([{ ok: true, kind: 'incremental', parent }]);
  });
});
