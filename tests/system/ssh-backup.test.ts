import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/core/status';
import { runBackup } from '../../src/helper/engine/engine';
import { fetchedPoints, whatChanged } from '../../src/helper/restore/browse';
import { restorePath } from '../../src/helper/restore/restore';
import { restoreSubvolume } from '../../src/helper/restore/restore-subvolume';
import { sshPaths } from '../../src/helper/destinations/ssh/identity';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh, waitFor } from '../support/exec';
import { findProcesses } from '../support/helper-run';
import { createLoopBtrfs, mountLoop } from '../support/loop-btrfs';
import { switchToRestoredHome } from '../support/restored-home';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, listDir, type ServeFixture } from '../support/serve-fixture';
import { connectionProcesses, startSshd, type Sshd } from '../support/sshd';
import { compareTrees } from '../support/tree-compare';

/**
 * The engine backing up over SSH: a real sshd on 127.0.0.1 runs
 * `rewind-helper serve` as the forced command of the helper's own key, the
 * host key pinned the way the app does it (probe, then trust). A full and an
 * incremental run are each checked against their snapshots; a run whose
 * connection is cut mid-stream (the sshd child killed) loses nothing, and the
 * next run is incremental again.
 */
jest.setTimeout(300_000);

const HOST = 'alice-laptop';
let fx: ServeFixture;
let sshd: Sshd;
let options: { configPath: string; stateDir: string; runtimeDir: string };
let latest: RunRecord;

function snapshotPath(run: RunRecord): string {
  return path.join(fx.clientMount, '.rewind/home', run.transfers[0].snapshot);
}

function backupPath(run: RunRecord): string {
  return path.join(fx.root, HOST, 'home', run.transfers[0].snapshot);
}

beforeAll(async () => {
  fx = createServeFixture('rewind-ssh-backup');
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  const stateDir = path.join(fx.dir, 'state');
  const runtimeDir = path.join(fx.dir, 'client-run');
  const configPath = path.join(fx.dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      hostName: HOST,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: fx.root, compression: 'zstd' }],
    }),
  );
  options = { configPath, stateDir, runtimeDir };
  const context = { configPath, stateDir };
  const { publicKey } = await setup(context, { path: fx.root });
  const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', fx.root, '--host', HOST, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
  await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  expect(readFileSync(sshPaths(stateDir).knownHosts, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'notes\n'.repeat(10_000));
  writeRandomFile(path.join(fx.home, 'alice/photo.bin'), 8);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('backups over SSH', () => {
  let first: RunRecord;
  let second: RunRecord;

  test('a full and then an incremental backup, each the same as its snapshot', async () => {
    first = await runBackup(options);
    expect(first).toMatchObject({ ok: true, transfers: [{ destination: 'server', kind: 'full', ok: true }] });
    expect(first.transfers[0].wireBytes).toBeLessThan(first.transfers[0].bytes);
    expect(compareTrees(snapshotPath(first), backupPath(first))).toEqual([]);

    writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'changed\n');
    writeFileSync(path.join(fx.home, 'alice/new.txt'), 'new\n');
    await new Promise((r) => setTimeout(r, 1100));
    second = await runBackup(options);
    expect(second).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: first.transfers[0].snapshot, ok: true }] });
    expect(second.transfers[0].bytes).toBeLessThan(first.transfers[0].bytes / 10);
    expect(compareTrees(snapshotPath(second), backupPath(second))).toEqual([]);
  });

  test('what changed between the two backups is listed from the server, for the restore browser', async () => {
    const request = { from: 'server', snapshot: second.transfers[0].snapshot };
    try {
      const answer = await whatChanged({ ...options }, request, { uid: 0, gid: 0 });
      expect(answer.previous).toBe(first.transfers[0].snapshot);
      expect(answer.changes.map((c) => `${c.kind} ${c.path}`).sort()).toEqual(['created alice/new.txt', 'modified alice/notes.txt']);
      expect(answer.hidden).toBe(0);
      // The first backup on the server has nothing before it.
      expect(await whatChanged({ ...options }, { from: 'server', snapshot: first.transfers[0].snapshot }, { uid: 0, gid: 0 })).toEqual({ changes: [], hidden: 0 });
    } finally {
      // Both points were fetched for the check of what may be read; put away, nothing stays.
      await fetchedPoints.putAwayAll();
    }
    expect(listDir(path.join(fx.clientMount, '.rewind')).filter((n) => n.startsWith('.restore-'))).toEqual([]);
  });

  test('a connection cut mid-stream loses nothing; the next run is incremental and complete', async () => {
    writeRandomFile(path.join(fx.home, 'alice/big.bin'), 64);
    await new Promise((r) => setTimeout(r, 1100));
    let cut = false;
    const cutRun = await runBackup({
      ...options,
      onProgress: (p) => {
        if (!cut && p.phase === 'send' && p.bytes > 8 * 1024 * 1024) {
          cut = true;
          for (const pid of connectionProcesses(sshd)) process.kill(pid, 'SIGKILL');
        }
      },
    });
    expect(cut).toBe(true);
    expect(cutRun.ok).toBe(false);
    expect(cutRun.transfers[0]).toMatchObject({ kind: 'incremental', ok: false, error: { code: 'ConnectionLost' } });
    await waitFor('the cut serve to exit', () => findProcesses(process.execPath, `${fx.bundle} serve`).length === 0 || undefined, 30_000);
    // The earlier backups are all there and whole.
    const names = listDir(path.join(fx.root, HOST, 'home'));
    expect(names).toEqual(expect.arrayContaining([first.transfers[0].snapshot, second.transfers[0].snapshot]));
    expect(compareTrees(snapshotPath(second), backupPath(second))).toEqual([]);

    await new Promise((r) => setTimeout(r, 1100));
    const next = await runBackup(options);
    expect(next).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', ok: true }] });
    expect(compareTrees(snapshotPath(next), backupPath(next))).toEqual([]);
    const show = sh('btrfs', ['subvolume', 'show', backupPath(next)]);
    expect(show).toMatch(/Flags:\s+readonly/);
    latest = next;
  });

  test('a folder comes back from the server (restore), the same as in its snapshot with its metadata; nothing is left of the scratch copy', async () => {
    const name = latest.transfers[0].snapshot;
    const targetDir = path.join(fx.dir, 'restored-from-server');
    const target = await restorePath({ ...options, destination: 'server', snapshot: name, path: 'alice', targetDir });
    expect(target).toBe(path.join(targetDir, 'alice'));
    expect(compareTrees(path.join(snapshotPath(latest), 'alice'), target)).toEqual([]);
    // The backup was received into a scratch folder beside the snapshots, and deleted afterwards.
    expect(listDir(path.join(fx.clientMount, '.rewind')).filter((n) => n.startsWith('.restore-'))).toEqual([]);
    await expect(restorePath({ ...options, destination: 'server', snapshot: name, path: 'alice/not-there', targetDir })).rejects.toThrow('There is no alice/not-there in the backup of ');
  });

  test('a whole subvolume comes back from the server onto a new disk (restore-subvolume), and the next backup is incremental from it', async () => {
    const name = latest.transfers[0].snapshot;
    const newDisk = createLoopBtrfs(fx.cleanup, fx.dir, 'new-disk', 512);
    const newTop = path.join(fx.dir, 'new-top');
    mountLoop(fx.cleanup, newDisk, newTop);
    sh('btrfs', ['subvolume', 'create', path.join(newTop, 'home')]);

    const result = await restoreSubvolume({ ...options, into: newTop, subvolume: 'home', destination: 'server', snapshot: name });
    expect(result.snapshot).toBe(`.rewind/home/${name}`);
    // The restored snapshot keeps the identity the backup had: the source snapshot's UUID.
    const sourceUuid = /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', ['subvolume', 'show', snapshotPath(latest)]))![1];
    expect(sh('btrfs', ['subvolume', 'show', path.join(newTop, result.snapshot)])).toMatch(new RegExp(`Received UUID:\\s+${sourceUuid}`));
    expect(compareTrees(snapshotPath(latest), path.join(newTop, result.newPath))).toEqual([]);

    const newHome = switchToRestoredHome(fx.cleanup, newDisk, newTop, result.newPath, options.configPath);
    writeFileSync(path.join(newHome, 'alice/after-restore.txt'), 'written after the restore\n');

    await new Promise((r) => setTimeout(r, 1100));
    const after = await runBackup(options);
    expect(after).toMatchObject({ ok: true, transfers: [{ kind: 'incremental', parent: name, ok: true }] });
    expect(after.transfers[0].bytes).toBeLessThan(1024 * 1024);
    expect(compareTrees(path.join(newTop, '.rewind/home', after.transfers[0].snapshot), backupPath(after))).toEqual([]);
  });

  test('a backup that is not on the server is named; nothing is left on the target', async () => {
    const newTop = path.join(fx.dir, 'new-top');
    await expect(restoreSubvolume({ ...options, into: newTop, subvolume: 'home', destination: 'server', snapshot: '20200101T000000Z' })).rejects.toThrow(
      'There is no complete backup 20200101T000000Z of home on 127.0.0.1.',
    );
    expect(listDir(path.join(newTop, '.rewind/home')).includes('20200101T000000Z')).toBe(false);
  });
});
