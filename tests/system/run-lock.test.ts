import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startProcess, stopProcess, waitFor } from '../support/exec';
import { freezeTransfer, helperCommand, liveBackupDir, resume, transferPids } from '../support/helper-run';
import { backupState } from '../support/inspection';
import { writeRandomFile } from '../support/random-file';
import { spawn, spawnSync } from 'node:child_process';

/**
 * The run lock is a flock the kernel releases (src/helper/system/file-lock.ts):
 * whatever PID the lock file names, only a live holder of the lock blocks a
 * run. Each fault is followed by two ordinary runs: both succeed, the second
 * incremental.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
const lockFile = () => path.join(fx.stateDir, 'run.lock');
const bigFile = () => path.join(fx.home, 'alice/big.bin');

function run(): RunRecord {
  const r = helperCommand(fx, ['run', '--json']);
  try {
    return JSON.parse(r.stdout) as RunRecord;
  } catch {
    throw new Error(`rewind-helper run printed no record (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
}

function changeHome(): void {
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), `# Notes\n- changed at ${process.hrtime.bigint()}\n`);
}

/** Two ordinary runs: both succeed, the second incremental from the first. */
function twoOrdinaryRuns(): [RunRecord, RunRecord] {
  changeHome();
  const first = run();
  expect(first).toMatchObject({ ok: true, transfers: [{ ok: true }] });
  changeHome();
  const second = run();
  expect(second).toMatchObject({ ok: true, transfers: [{ ok: true, kind: 'incremental', parent: first.transfers[0].snapshot }] });
  return [first, second];
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 1024, destinationMiB: 2048 });
  expect(run()).toMatchObject({ ok: true, transfers: [{ kind: 'full' }] });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('a lock file naming an unrelated live process blocks nothing', async () => {
  const unrelated = startProcess('sleep', ['600']);
  try {
    writeFileSync(lockFile(), `${unrelated.child.pid}\n`);
    twoOrdinaryRuns();
  } finally {
    await stopProcess(unrelated.child);
  }
});

test('a lock file naming PID 1 blocks nothing', () => {
  writeFileSync(lockFile(), '1\n');
  twoOrdinaryRuns();
});

test('a live holder of the lock is refused, whatever the file says', () => {
  // This process holds the flock (util-linux flock on a descriptor of ours); the file names nobody.
  const fd = openSync(lockFile(), 'w');
  try {
    expect(spawnSync('flock', ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] }).status).toBe(0);
    expect(run()).toMatchObject({ ok: false, error: { code: 'Busy', message: 'A backup is already running. Wait for the running backup to finish, or cancel it.' } });
  } finally {
    closeSync(fd);
  }
  twoOrdinaryRuns();
});

test('a run killed with SIGKILL while holding the lock, its PID from another PID namespace (as after a reboot)', async () => {
  rmSync(bigFile(), { force: true });
  writeRandomFile(bigFile(), 96);
  const known = (await backupState(fx)).backups.map((b) => path.basename(b.path));
  // In a PID namespace of its own the helper is PID 1 there: the lock names "1", a PID alive here too.
  const [file, ...args] = fx.helperCli(['run', '--json']);
  const child = spawn('unshare', ['--pid', '--fork', '--kill-child', file, ...args], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
  expect(readFileSync(lockFile(), 'utf8').trim()).toBe('1');
  child.kill('SIGKILL');
  await exited;
  resume(frozen.receive);
  await waitFor('the killed run to end', () => transferPids(frozen).every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) || undefined);
  // The file still names the dead run; the kernel released its lock.
  expect(readFileSync(lockFile(), 'utf8').trim()).toBe('1');
  const [first] = twoOrdinaryRuns();
  expect(first.transfers[0].removedIncomplete?.length).toBe(1);
});
