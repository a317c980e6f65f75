import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RewindError } from '../../src/core/errors';
import type { RunRecord } from '../../src/core/status';
import type { StreamManifest } from '../../src/core/stream-manifest';
import { runBackup } from '../../src/helper/engine/engine';
import { restorePath } from '../../src/helper/restore/restore';
import { restoreSubvolume } from '../../src/helper/restore/restore-subvolume';
import { SshDestination } from '../../src/helper/destinations/ssh-destination';
import { withRunContext } from '../../src/helper/engine/run-context';
import { sshPaths } from '../../src/helper/destinations/ssh/identity';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { verifyDestinations } from '../../src/helper/destinations/stream-files/verify';
import { sh, waitFor } from '../support/exec';
import { findProcesses } from '../support/helper-run';
import { createLoopBtrfs, mountLoop } from '../support/loop-btrfs';
import { switchToRestoredHome } from '../support/restored-home';
import { mountLoopExt4 } from '../support/loop-ext4';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, startServe, stopServes, type ServeFixture } from '../support/serve-fixture';
import { connectionProcesses, startSshd, type Sshd } from '../support/sshd';
import { compareTrees } from '../support/tree-compare';

/**
 * Stream files on a server without btrfs: a real sshd on 127.0.0.1
 * runs `rewind-helper serve` as the forced command of the helper's key, and
 * ROOT is a folder on an ext4 loop filesystem. A full stream and incrementals
 * land there as files with a manifest; a chosen point restores byte for byte
 * with its metadata; verify reads every stream back; a connection cut in the
 * middle of a file leaves no manifest entry and no file, and the next run
 * continues the chain.
 */
jest.setTimeout(600_000);

const HOST = 'bob-desktop';
let fx: ServeFixture;
let sshd: Sshd;
let root: string;
let options: { configPath: string; stateDir: string; runtimeDir: string };
const runs: RunRecord[] = [];

function folder(): string {
  return path.join(root, HOST, 'home');
}

function manifest(): StreamManifest {
  return JSON.parse(readFileSync(path.join(folder(), 'manifest.json'), 'utf8')) as StreamManifest;
}

function snapshotPath(name: string): string {
  return path.join(fx.clientMount, '.rewind/home', name);
}

async function backUp(): Promise<RunRecord> {
  // Snapshot names have a one-second resolution.
  await new Promise((r) => setTimeout(r, 1100));
  const run = await runBackup(options);
  if (!run.ok) throw new Error(`backup failed: ${JSON.stringify(run.error ?? run.transfers.map((t) => t.error))}`);
  return run;
}

function change(round: number): void {
  writeFileSync(path.join(fx.home, 'alice/Documents', `round-${round}.txt`), `round ${round}\n`.repeat(2000 * round));
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), `# Notes, round ${round}\n`);
  sh('setfattr', ['-n', 'user.round', '-v', String(round), path.join(fx.home, 'alice/Documents/notes.md')]);
  chmodSync(path.join(fx.home, 'alice/Documents/notes.md'), round % 2 ? 0o600 : 0o644);
}

beforeAll(async () => {
  fx = createServeFixture('rewind-ssh-files');
  root = path.join(fx.dir, 'ext4', 'backups');
  mountLoopExt4(fx.cleanup, fx.dir, 'server-ext4', 512, path.dirname(root));
  mkdirSync(root, { mode: 0o700 });
  expect(sh('findmnt', ['-n', '-o', 'FSTYPE', '-T', root]).trim()).toBe('ext4');

  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  options = { configPath: path.join(fx.dir, 'config.json'), stateDir: path.join(fx.dir, 'state'), runtimeDir: path.join(fx.dir, 'client-run') };
  writeFileSync(
    options.configPath,
    JSON.stringify({
      version: 1,
      hostName: HOST,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: root, store: 'files', chain: { maxIncrementals: 10, maxDays: 30 }, partSizeMiB: 4 }],
      retention: { local: { preset: 'keep-all' } },
    }),
  );
  const context = { configPath: options.configPath, stateDir: options.stateDir };
  const { publicKey } = await setup(context, { path: root });
  const accepted = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', root, '--host', HOST, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect(accepted.stderr).toBe('');
  const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
  await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  expect(readFileSync(sshPaths(options.stateDir).knownHosts, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} `);

  mkdirSync(path.join(fx.home, 'alice/Documents'), { recursive: true });
  writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '# Notes\n');
  writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'Quarterly report\n'.repeat(5000));
  sh('setfattr', ['-n', 'user.origin', '-v', 'laptop', path.join(fx.home, 'alice/Documents/report.txt')]);
  symlinkSync('Documents/report.txt', path.join(fx.home, 'alice/latest'));
  writeRandomFile(path.join(fx.home, 'alice/photo.bin'), 10);
  sh('chown', ['-R', '1234:1234', path.join(fx.home, 'alice')]);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a server folder without btrfs', () => {
  test('serve says so in its hello and refuses to receive subvolumes; a destination set to "btrfs" is told to leave the choice to Rewind', async () => {
    const serve = startServe(fx, HOST, {}, root);
    expect(await serve.client.hello()).toMatchObject({ host: HOST, btrfs: false, filesystem: 'ext4', canReceive: false });
    const error = await serve.client.list('home').then(
      () => undefined,
      (e: unknown) => e as RewindError,
    );
    expect(error?.detail).toBe(`The server's backup folder ${root} is not on btrfs, so it keeps stream files only; remove "store": "btrfs" from this destination, and Rewind uses them.`);
    await stopServes(fx);

    const asBtrfs = { id: 'server', kind: 'ssh' as const, host: '127.0.0.1', port: sshd.port, user: 'root', path: root, compression: 'auto' as const, enabled: true, store: 'btrfs' as const };
    await expect(SshDestination.open(asBtrfs, sshPaths(options.stateDir))).rejects.toThrow(`remove "store": "btrfs" from this destination`);
  });
});

describe('stream files over SSH on ext4', () => {
  test('a full stream and three incrementals, each listed in the manifest after its files', async () => {
    for (let round = 0; round <= 3; round++) {
      if (round > 0) change(round);
      const run = await backUp();
      const [transfer] = run.transfers;
      expect(transfer).toMatchObject({ destination: 'server', ok: true, kind: round === 0 ? 'full' : 'incremental' });
      if (round > 0) expect(transfer.parent).toBe(runs[round - 1].transfers[0].snapshot);
      runs.push(run);
    }
    const listed = manifest();
    expect(listed.host).toBe(HOST);
    expect(listed.streams.map((s) => [s.name, s.kind])).toEqual(runs.map((r, i) => [r.transfers[0].snapshot, i === 0 ? 'full' : 'incremental']));
    for (let i = 1; i < listed.streams.length; i++) expect(listed.streams[i].parentUuid).toBe(listed.streams[i - 1].receivedUuid);
    // The 10 MiB of random data does not compress: the full stream is in parts of at most 4 MiB.
    expect(listed.streams[0].parts.length).toBeGreaterThan(2);
    const files = readdirSync(folder()).sort();
    expect(files).toEqual(['manifest.json', ...listed.streams.flatMap((s) => s.parts.map((p) => p.file))].sort());
    for (const file of files) expect(readFileSync(path.join(folder(), file)).includes('Quarterly report')).toBe(false);
  });

  test('the 2nd incremental restores byte for byte, with owners, modes, times and xattrs', async () => {
    const name = runs[2].transfers[0].snapshot;
    const to = path.join(fx.dir, 'restored-2');
    const target = await restorePath({ ...options, destination: 'server', snapshot: name, path: 'alice', targetDir: to });
    expect(target).toBe(path.join(to, 'alice'));
    expect(compareTrees(path.join(snapshotPath(name), 'alice'), target)).toEqual([]);
    // The replay's scratch subvolumes are gone again.
    expect(readdirSync(path.join(fx.clientMount, '.rewind')).filter((n) => n.startsWith('.restore-'))).toEqual([]);
  });

  test('verify reads every stream back through the server and finds nothing wrong; a flipped byte is named', async () => {
    const clean = await withRunContext(options, true, (context) => verifyDestinations(context));
    expect(clean).toEqual([{ destination: 'server', connected: true, streams: 4 }]);

    const damaged = manifest().streams[1].parts[0];
    const file = path.join(folder(), damaged.file);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(file, bytes);
    const found = await withRunContext(options, true, (context) => verifyDestinations(context));
    expect(found[0].problem).toBe(`home/${damaged.file} does not match its checksum (the data changed since it was written)`);
    await expect(restorePath({ ...options, destination: 'server', snapshot: runs[3].transfers[0].snapshot, path: 'alice', targetDir: path.join(fx.dir, 'refused') })).rejects.toThrow(
      `The backup file ${damaged.file}`,
    );
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(file, bytes);
  });

  test('a connection cut in the middle of a file leaves no manifest entry and no file; the next run continues the chain', async () => {
    writeRandomFile(path.join(fx.home, 'alice/big.bin'), 48);
    const before = manifest();
    await new Promise((r) => setTimeout(r, 1100));
    let cut = false;
    const cutRun = await runBackup({
      ...options,
      onProgress: (p) => {
        if (!cut && p.phase === 'send' && p.bytes > 16 * 1024 * 1024) {
          cut = true;
          for (const pid of connectionProcesses(sshd)) process.kill(pid, 'SIGKILL');
        }
      },
    });
    expect(cut).toBe(true);
    expect(cutRun.transfers[0]).toMatchObject({ kind: 'incremental', ok: false, error: { code: 'ConnectionLost' } });
    await waitFor('the cut serve to exit', () => findProcesses(process.execPath, `${fx.bundle} serve`).length === 0 || undefined, 30_000);
    expect(manifest()).toEqual(before);
    const listedFiles = ['manifest.json', ...before.streams.flatMap((s) => s.parts.map((p) => p.file))].sort();
    // The server removed the file it was writing when the connection went.
    const leftovers = readdirSync(folder()).filter((n) => !listedFiles.includes(n));
    expect(leftovers.filter((n) => n.endsWith('.partial'))).toEqual([]);

    const next = await backUp();
    expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: runs[3].transfers[0].snapshot });
    // Parts finished before the cut (if the cut came that late) are not listed, and the next run removes them.
    expect((next.transfers[0].removedIncomplete ?? []).sort()).toEqual(leftovers.sort());
    expect(manifest().streams.map((s) => s.name)).toEqual([...before.streams.map((s) => s.name), next.transfers[0].snapshot]);
    // Nothing unlisted is left. (The next run backs up the snapshot the cut run took, since nothing changed after it: its files have the names the leftovers had, written anew.)
    const listedNow = ['manifest.json', ...manifest().streams.flatMap((s) => s.parts.map((p) => p.file))];
    expect(readdirSync(folder()).filter((n) => !listedNow.includes(n))).toEqual([]);
    expect(next.transfers[0].snapshot).toBe(cutRun.transfers[0].snapshot);
    const to = path.join(fx.dir, 'restored-next');
    const target = await restorePath({ ...options, destination: 'server', snapshot: next.transfers[0].snapshot, path: 'alice', targetDir: to });
    expect(compareTrees(path.join(snapshotPath(next.transfers[0].snapshot), 'alice'), target)).toEqual([]);
  });

  test('a server disk that is full: the run says "not enough space", and neither a file nor a manifest entry of it stays', async () => {
    const before = manifest();
    // Leave 24 MiB free on the server's disk, then change 48 MiB of incompressible data.
    const filler = path.join(path.dirname(root), 'filler');
    const { bavail, bsize } = statfsSync(root);
    sh('fallocate', ['-l', String(bavail * bsize - 24 * 1024 * 1024), filler]);
    try {
      writeRandomFile(path.join(fx.home, 'alice/big.bin'), 48);
      await new Promise((r) => setTimeout(r, 1100));
      const run = await runBackup(options);
      expect(run.transfers[0]).toMatchObject({ ok: false, kind: 'incremental', error: { code: 'DestinationFull' } });
      // Every stream is in the chain of the next parent, so none may go.
      // Said of a server: with the space left there, and who can free more.
      expect(run.transfers[0].error?.message).toMatch(/^This backup does not fit in the [\d.]+ MB free on the backup server server, and no older backup there may be removed to make room: whoever looks after the server can free space/);
      expect(run.transfers[0].removedForSpace).toBeUndefined();
      expect(manifest()).toEqual(before);
      expect(readdirSync(folder()).sort()).toEqual(['manifest.json', ...before.streams.flatMap((s) => s.parts.map((p) => p.file))].sort());
    } finally {
      rmSync(filler, { force: true });
    }
  });

  test('a whole subvolume comes back from the server onto a new disk (restore-subvolume), and the chain goes on from it', async () => {
    const last = manifest().streams.at(-1)!;
    const newDisk = createLoopBtrfs(fx.cleanup, fx.dir, 'new-disk', 512);
    const newTop = path.join(fx.dir, 'new-top');
    mountLoop(fx.cleanup, newDisk, newTop);
    sh('btrfs', ['subvolume', 'create', path.join(newTop, 'home')]);

    const result = await restoreSubvolume({ ...options, into: newTop, subvolume: 'home', destination: 'server', snapshot: last.name });
    expect(result.snapshot).toBe(`.rewind/home/${last.name}`);
    expect(sh('btrfs', ['subvolume', 'show', path.join(newTop, result.snapshot)])).toMatch(new RegExp(`Received UUID:\\s+${last.receivedUuid}`));
    expect(compareTrees(snapshotPath(last.name), path.join(newTop, result.newPath))).toEqual([]);
    // Only the chosen point is left of the replayed chain.
    expect(readdirSync(path.join(newTop, '.rewind/home'))).toEqual([last.name]);

    // The switch as the printed steps say; this machine's source is now the restored home.
    const newHome = switchToRestoredHome(fx.cleanup, newDisk, newTop, result.newPath, options.configPath);
    writeFileSync(path.join(newHome, 'alice/after-restore.txt'), 'written after the restore\n');

    const next = await backUp();
    expect(next.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: last.name });
    expect(next.transfers[0].bytes).toBeLessThan(1024 * 1024);
    expect(manifest().streams.at(-1)).toMatchObject({ name: next.transfers[0].snapshot, parentUuid: last.receivedUuid });
  });
});
