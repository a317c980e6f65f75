import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startReadThrottle, type ReadThrottle } from '../support/read-throttle';
import { freshInstall, type FreshInstall, type TopLook } from '../support/fresh-install';
import { mountLoop } from '../support/loop-btrfs';
import { serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { writeRandomFile } from '../support/random-file';

/**
 * A whole restore from received backups found on a server, stopped half-way
 * the way the D-Bus helper stops one (its watch's signal, here the command
 * line's Ctrl+C sent to the helper alone, so the ssh it started is not
 * killed by the terminal): the helper says it was cancelled at once, not
 * once the server has sent the rest of the backup, and the fresh install is
 * left as it was. The server's disk is read slowly (a block-I/O
 * throttle on its device for sshd and what it starts, the page cache
 * dropped), so the whole backup takes many seconds to come.
 */
jest.setTimeout(300_000);

/** Bytes a second the server's disk gives: the 48 MiB home then takes about twelve seconds to send. */
const SLOW_READ = 4_000_000;

let fx: BackupFixture;
let sshd: Sshd;
let target: string;
let home: FreshInstall;
let found: FoundBackups;
let newest: string;
let throttle: ReadThrottle | undefined;
let pristine: TopLook;

function helper(args: string[], state?: string): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  if (state) rest[rest.indexOf('--state-dir') + 1] = state;
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 180_000, env: { ...process.env, REWIND_TARGET_ROOT: target } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function throttleReads(on: boolean): void {
  throttle!.slow(fx.destination.device, on);
}

beforeAll(async () => {
  // This process and all it starts (sshd, and through it serve's btrfs send) read the server's disk through the throttle, off until the test turns it on.
  throttle = startReadThrottle(SLOW_READ);
  target = mkdtempSync(path.join(os.tmpdir(), 'rewind-sysimage-'));
  fx = await createBackupFixture({ helperEnv: [`REWIND_TARGET_ROOT=${target}`] });
  fx.cleanup.add(`remove ${target}`, () => rmSync(target, { recursive: true, force: true }));
  for (let i = 0; i < 3; i++) writeRandomFile(path.join(fx.home, `alice/Videos-${i}.bin`), 16);
  const serverDisk = path.join(fx.dir, 'server-disk');
  mountLoop(fx.cleanup, fx.destination, serverDisk);
  const receivedRoot = path.join(serverDisk, 'backups');
  mkdirSync(receivedRoot, { mode: 0o700 });
  sshd = await startSshd(fx.cleanup, fx.dir);
  const acceptKey = (publicKey: string, readOnly: boolean) => {
    const r = spawnSync(process.execPath, [path.join(fx.dist, 'helper/rewind-helper.cjs'), 'accept-key', '--root', receivedRoot, '--host', fx.hostName, '--authorized-keys', sshd.authorizedKeys, '--helper', serverHelper(fx), ...(readOnly ? ['--read-only'] : [])], {
      input: `${publicKey}\n`,
      encoding: 'utf8',
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  };
  const trust = (state?: string) => {
    const probe = JSON.parse(helper(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json'], state).stdout) as { fingerprint: string };
    expect(helper(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint], state).status).toBe(0);
  };

  // The lost computer backs up to the server.
  const oldState = path.join(fx.dir, 'old-state');
  mkdirSync(oldState);
  const setup = helper(['ssh-setup', '--path', receivedRoot, '--user', 'root', '--json'], oldState);
  expect(setup.status).toBe(0);
  acceptKey((JSON.parse(setup.stdout) as { publicKey: string }).publicKey, false);
  trust(oldState);
  writeFixtureConfig(fx, [{ kind: 'ssh', host: '127.0.0.1', port: sshd.port, id: 'nas', user: 'root', path: receivedRoot, store: 'btrfs', label: 'nas' }]);
  const run = helper(['run', '--json'], oldState);
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true }] });
  newest = (JSON.parse(run.stdout) as { transfers: Array<{ snapshot: string }> }).transfers[0].snapshot;

  // A fresh install with no configuration, its new key accepted read-only, finds them.
  rmSync(fx.configPath);
  home = freshInstall(fx, target);
  trust();
  expect(helper(['discover', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', 'root']).status).not.toBe(0);
  acceptKey(readFileSync(path.join(fx.stateDir, 'ssh/id_ed25519.pub'), 'utf8').trim(), true);
  const discovered = helper(['discover', '--json', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', 'root']);
  expect(discovered.status).toBe(0);
  [found] = (JSON.parse(discovered.stdout) as Discovery).found;
  expect(found.folders[0].points).toEqual([newest]);
  pristine = home.look();
});

afterAll(async () => {
  await fx?.cleanup.run();
  throttle?.remove();
});

test('a whole restore from a server stopped half-way is cancelled at once, and the fresh install is as it was', async () => {
  throttleReads(true);
  const [file, ...args] = fx.helperCli(['restore-subvolume', '--progress', '--into', home.home, '--destination', found.id, '--snapshot', newest, '--replace']);
  const child = spawn(file, args, { env: { ...process.env, REWIND_TARGET_ROOT: target }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  // Some of the backup has come (a progress line with bytes), far from all of it.
  const started = Date.now();
  while (!/"bytes":[1-9]/.test(stderr)) {
    if (Date.now() - started > 60_000 || child.exitCode !== null) throw new Error(`no progress: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cancelledAt = Date.now();
  // To the helper alone, as CancelRestore stops a restore the D-Bus helper runs: the processes it started are not signalled.
  child.kill('SIGINT');
  const status = await exited;
  const took = Date.now() - cancelledAt;
  throttleReads(false);
  // Not killed by the signal: it deleted what it received and said so.
  expect({ status, signal: child.signalCode, stdout }).toEqual({ status: 1, signal: null, stdout: '' });
  expect(stderr).toContain('The restore was cancelled; what was received so far was deleted and nothing was replaced.');
  // At once: the rest of the backup would take about ten more seconds to come.
  expect(took).toBeLessThan(4000);
  expect(readdirSync(home.home).sort()).toEqual(['made-by-the-installer.txt']);
  expect(home.look()).toEqual(pristine);
});
