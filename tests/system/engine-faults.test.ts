import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sh, shResult, startProcess, stopProcess, waitFor } from '../support/exec';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isCompleteBackup } from '../../src/core/parent';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { mountLoop } from '../support/loop-btrfs';
import { backupState } from '../support/inspection';
import { freezeTransfer, liveBackupDir, resume, runBackupCli, startBackupCli, transferPids, waitForNewEntry } from '../support/helper-run';
import { writeRandomFile } from '../support/random-file';

/**
 * Faults caused for real: processes killed with SIGKILL at several points of
 * a run. After each, the next run must succeed incrementally from the last
 * good backup, with every earlier backup still there and the new one equal
 * to its snapshot.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let lastGood: RunRecord;
const bigFile = () => path.join(fx.home, 'alice/big.bin');

/** Names of the backups on the destination now (the helper's own mount is gone between runs). */
async function backupNames(): Promise<string[]> {
  return (await backupState(fx)).backups.map((b) => path.basename(b.path));
}

function snapshotOf(run: RunRecord): string {
  return run.transfers[0].snapshot;
}

/** The next run after a fault: incremental from the last good backup, nothing lost. */
async function expectRecovery(expectRemovedIncomplete: boolean): Promise<void> {
  const before = await backupState(fx);
  const kept = before.backups.filter(isCompleteBackup).map((b) => b.uuid);
  const run = runBackupCli(fx);
  expect(run.error).toBeUndefined();
  expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: snapshotOf(lastGood) });
  if (expectRemovedIncomplete) expect(run.transfers[0].removedIncomplete?.length).toBe(1);
  const after = await backupState(fx);
  expect(after.backups.every(isCompleteBackup)).toBe(true);
  expect(after.backups.map((b) => b.uuid)).toEqual(expect.arrayContaining(kept));
  expect(path.basename(after.backups.at(-1)!.path)).toBe(snapshotOf(run));
  expect(after.newestDiffers).toEqual([]);
  expect(after.homeDiffers).toEqual([]);
  lastGood = run;
}

/** Sets (or, with undefined, removes) the destination's xattr filter in the configuration. */
function filterXattrs(drop: string[] | undefined): void {
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<Record<string, unknown>> };
  if (drop) config.destinations[0].xattrs = { drop };
  else delete config.destinations[0].xattrs;
  writeFileSync(fx.configPath, JSON.stringify(config));
}

/** A large change, so that the next send takes long enough to be interrupted. */
function changeALot(): void {
  rmSync(bigFile(), { force: true });
  writeRandomFile(bigFile(), 96);
}

async function waitForExit(pids: number[]): Promise<void> {
  await waitFor('the interrupted transfer to end', () => pids.every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) || undefined);
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 1024, destinationMiB: 2048 });
  lastGood = runBackupCli(fx);
  expect(lastGood).toMatchObject({ ok: true, transfers: [{ kind: 'full' }] });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('the run lock', () => {
  test('refuses a second run while one is going, and is taken over once its owner died', async () => {
    changeALot();
    const known = await backupNames();
    const first = startBackupCli(fx);
    const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
    const second = runBackupCli(fx);
    expect(second.ok).toBe(false);
    expect(second.error).toEqual({
      code: 'Busy',
      message: `A backup is already running (process ${first.child.pid}). Wait for the running backup to finish, or cancel it.`,
    });
    first.child.kill('SIGKILL');
    await first.done;
    resume(frozen.receive);
    await waitForExit(transferPids(frozen));
    // The lock file still names the dead process; the next run takes it over.
    expect(readFileSync(path.join(fx.stateDir, 'run.lock'), 'utf8').trim()).toBe(String(first.child.pid));
    await expectRecovery(true);
  });

  test("takes over what a dead helper left mounted, and leaves a live reader's mounts alone", async () => {
    // A reader in a live process (a restore browser left open, a `list` beside the run)
    // and one whose process died, each with the backup disk mounted in its own folder.
    const reader = startProcess('sleep', ['600']);
    const gone = startProcess('true', []);
    await new Promise((resolve) => gone.child.once('exit', resolve));
    const live = path.join(fx.runtimeDir, `browse-${reader.child.pid}-0a1b2c`, fx.destination.uuid);
    const dead = path.join(fx.runtimeDir, `read-${gone.child.pid}-3d4e5f`, fx.destination.uuid);
    try {
      mountLoop(fx.cleanup, fx.destination, live);
      mountLoop(fx.cleanup, fx.destination, dead);
      changeALot();
      const run = runBackupCli(fx);
      expect(run).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: snapshotOf(lastGood) }] });
      lastGood = run;
      const mounted = (target: string) => shResult('findmnt', ['-rn', '--mountpoint', target]).status === 0;
      expect(mounted(live)).toBe(true);
      expect(mounted(dead)).toBe(false);
      // The reader's mount still works: the new backup is seen through it.
      expect(sh('ls', [path.join(live, fx.hostName, 'home')])).toContain(snapshotOf(run));
    } finally {
      await stopProcess(reader.child);
    }
  });
});

describe('a run interrupted by SIGKILL', () => {
  test('of the helper right after its snapshot: the next run sends both changes', async () => {
    changeALot();
    const snapshots = path.join(fx.runtimeDir, fx.source.uuid, '.rewind/home');
    const known = (await backupState(fx)).snapshots.map((s) => path.basename(s.path));
    const run = startBackupCli(fx);
    await waitForNewEntry(snapshots, known);
    run.child.kill('SIGKILL');
    await run.done;
    await expectRecovery(false);
  });

  test('of the helper in the middle of the stream: the partial backup is removed and reported', async () => {
    changeALot();
    const known = await backupNames();
    const run = startBackupCli(fx);
    const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
    run.child.kill('SIGKILL');
    resume(frozen.receive);
    await waitForExit(transferPids(frozen));
    const state = await backupState(fx);
    expect(state.backups.filter((b) => !isCompleteBackup(b))).toHaveLength(1);
    await expectRecovery(true);
  });

  test.each([
    ['btrfs send', 'send'],
    ['the stream codec', 'codec'],
    ['btrfs receive', 'receive'],
  ] as const)('of %s in the middle of the stream: the run fails cleanly', async (what, which) => {
    // The codec is in the pipe only for a destination that filters xattrs.
    if (which === 'codec') filterXattrs(['user.rewind-test-never-set']);
    changeALot();
    const known = await backupNames();
    const run = startBackupCli(fx);
    const frozen = await freezeTransfer(fx, liveBackupDir(fx), known);
    if (which === 'codec') expect(frozen.codec).toBeDefined();
    else expect(frozen.codec).toBeUndefined();
    process.kill(frozen[which]!, 'SIGKILL');
    if (which !== 'receive') resume(frozen.receive);
    const result = JSON.parse(await run.done) as RunRecord;
    expect(result.ok).toBe(false);
    expect(result.transfers[0].error?.code).toBe('TransferFailed');
    expect(result.transfers[0].error?.message).toMatch(new RegExp(`^The transfer stopped because ${what} was killed \\(SIGKILL\\)\\. `));
    // The helper removed its partial backup itself.
    expect((await backupState(fx)).backups.every(isCompleteBackup)).toBe(true);
    if (which === 'codec') filterXattrs(undefined);
    await expectRecovery(false);
  });
});
