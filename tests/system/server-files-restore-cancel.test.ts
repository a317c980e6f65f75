import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startReadThrottle, type ReadThrottle } from '../support/read-throttle';
import { sh } from '../support/exec';
import { withTopLevel } from '../support/inspection';
import { mountLoop } from '../support/loop-btrfs';
import { serverHelper } from '../support/server-account';
import { startSshd, type Sshd } from '../support/sshd';
import { writeRandomFile } from '../support/random-file';

/**
 * A whole restore from encrypted backup files on a server, stopped while
 * the backup file is coming (Ctrl+C to the helper alone, as CancelRestore
 * stops the D-Bus helper's): the helper says it was cancelled at once, not
 * once the server has sent the rest of the file, and nothing of the restore
 * is left. The server's disk is read slowly (a block-I/O throttle for sshd
 * and what it starts, the page cache dropped while the files are checked,
 * so that reading them again is slow too).
 */
jest.setTimeout(180_000);

/** Bytes a second the server's disk gives: the 48 MiB home then takes about twelve seconds to come. */
const SLOW_READ = 4_000_000;

let fx: BackupFixture;
let sshd: Sshd;
let throttle: ReadThrottle | undefined;
let newest: string;

function helper(args: string[]): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dropCaches = () => writeFileSync('/proc/sys/vm/drop_caches', '1');

function throttleReads(on: boolean): void {
  throttle!.slow(fx.destination.device, on);
}

beforeAll(async () => {
  // This process and all it starts (sshd, and through it serve) read the server's disk through the throttle, off until the test turns it on.
  throttle = startReadThrottle(SLOW_READ, '1');
  fx = await createBackupFixture();
  for (let i = 0; i < 3; i++) writeRandomFile(path.join(fx.home, `alice/Videos-${i}.bin`), 16);
  const serverDisk = path.join(fx.dir, 'server-disk');
  mountLoop(fx.cleanup, fx.destination, serverDisk);
  const root = path.join(serverDisk, 'backup-files');
  mkdirSync(root, { mode: 0o700 });
  sshd = await startSshd(fx.cleanup, fx.dir);
  const setup = helper(['ssh-setup', '--path', root, '--user', 'root', '--json']);
  expect(setup.status).toBe(0);
  const accepted = spawnSync(process.execPath, [path.join(fx.dist, 'helper/rewind-helper.cjs'), 'accept-key', '--root', root, '--host', fx.hostName, '--authorized-keys', sshd.authorizedKeys, '--helper', serverHelper(fx)], {
    input: `${(JSON.parse(setup.stdout) as { publicKey: string }).publicKey}\n`,
    encoding: 'utf8',
  });
  expect({ status: accepted.status, stderr: accepted.stderr }).toEqual({ status: 0, stderr: '' });
  const probe = JSON.parse(helper(['ssh-probe', '--host', '127.0.0.1', '--port', String(sshd.port), '--json']).stdout) as { fingerprint: string };
  expect(helper(['ssh-trust', '--host', '127.0.0.1', '--port', String(sshd.port), '--fingerprint', probe.fingerprint]).status).toBe(0);
  writeFixtureConfig(fx, [{ kind: 'ssh', host: '127.0.0.1', port: sshd.port, id: 'nas', user: 'root', path: root, store: 'files', encrypt: true, label: 'nas' }]);
  expect(helper(['new-key', '--json', '--destination', 'nas']).status).toBe(0);
  const run = helper(['run', '--json']);
  expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, transfers: [{ destination: 'nas', ok: true }] });
  newest = (JSON.parse(run.stdout) as { transfers: Array<{ snapshot: string }> }).transfers[0].snapshot;
  // The computer's own snapshot is gone (as after a disk failure): the restore receives it anew.
  await withTopLevel(fx, fx.source, (top) => sh('btrfs', ['subvolume', 'delete', path.join(top, '.rewind/home', newest)]));
});

afterAll(async () => {
  await fx?.cleanup.run();
  throttle?.remove();
});

test('a whole restore from encrypted backup files on a server, stopped while the file comes, is cancelled at once and leaves nothing', async () => {
  const subvolumes = () => sh('btrfs', ['subvolume', 'list', fx.home]);
  const before = subvolumes();
  throttleReads(true);
  const [file, ...args] = fx.helperCli(['restore-subvolume', '--progress', '--into', fx.home, '--destination', 'nas', '--snapshot', newest]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  // The file is checked on the server first (read whole); what that read stays out of the cache, so it comes slowly again.
  const started = Date.now();
  while (!/"bytes":[1-9]/.test(stderr)) {
    if (Date.now() - started > 60_000 || child.exitCode !== null) throw new Error(`no progress: ${stderr}`);
    dropCaches();
    await new Promise((r) => setTimeout(r, 100));
  }
  dropCaches();
  const cancelledAt = Date.now();
  child.kill('SIGINT');
  const status = await exited;
  const took = Date.now() - cancelledAt;
  throttleReads(false);
  expect({ status, signal: child.signalCode, stdout }).toEqual({ status: 1, signal: null, stdout: '' });
  expect(stderr).toContain('The restore was cancelled; what was received so far was deleted and nothing was replaced.');
  // At once: the rest of the file would take about ten more seconds to come, and nothing else is waited for.
  expect(took).toBeLessThan(1500);
  expect(subvolumes()).toBe(before);
});
