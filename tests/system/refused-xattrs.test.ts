import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/core/status';
import { describeRun } from '../../src/helper/cli/format/backup';
import { runBackup } from '../../src/helper/engine/engine';
import { restorePath } from '../../src/helper/restore/restore';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh, shResult } from '../support/exec';
import { corruptCapabilityOnDisk, setValidCapability } from '../support/invalid-capability';
import { unmount } from '../support/loop-btrfs';
import { mountLoopExt4 } from '../support/loop-ext4';
import { createServeFixture, sendToBuffer, type ServeFixture } from '../support/serve-fixture';
import { startSshd, type Sshd } from '../support/sshd';
import { compareTrees } from '../support/tree-compare';

/**
 * A source whose send stream carries an xattr every kernel refuses (an invalid
 * security.capability: the stand-in, on a machine without SELinux, for a label
 * the receiving policy does not know). A plain `btrfs send | btrfs receive`
 * of it fails and leaves a backup without a Received UUID; Rewind's runs to a
 * server whose folder is on btrfs (serve leaves it out) and to one whose
 * folder is on ext4 (stream files keep the stream as it is) complete, the
 * next run is incremental, and a restore is the snapshot but for that xattr.
 * The local disk's retry is in codec-cli.test.ts.
 */
jest.setTimeout(300_000);

/** accept-key keeps one key per host name: each client is a host of its own. */
const HOSTS = { btrfs: 'bob-desktop', ext4: 'bob-laptop' } as const;
const TOOL = 'alice/bin/tool';
let fx: ServeFixture;
let sshd: Sshd;
let ext4Root: string;

interface Client {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
  root: string;
}
const clients: Record<'btrfs' | 'ext4', Client> = {} as never;
const runs: Record<'btrfs' | 'ext4', RunRecord[]> = { btrfs: [], ext4: [] };

const getfattr = (file: string, name: string) => shResult('getfattr', ['--absolute-names', '-e', 'hex', '-n', name, file]);
const snapshotPath = (name: string) => path.join(fx.clientMount, '.rewind/home', name);

/** A client of its own (its own key, so each reaches its own server folder) whose destination names no store. */
async function client(name: 'btrfs' | 'ext4', root: string, helper: string): Promise<Client> {
  const c = { configPath: path.join(fx.dir, `${name}.json`), stateDir: path.join(fx.dir, `${name}-state`), runtimeDir: path.join(fx.dir, `${name}-run`), root };
  writeFileSync(
    c.configPath,
    JSON.stringify({
      version: 1,
      hostName: HOSTS[name],
      sources: [{ path: fx.home }],
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: root }],
      retention: { local: { preset: 'keep-all' } },
    }),
  );
  const context = { configPath: c.configPath, stateDir: c.stateDir };
  const { publicKey } = await setup(context, { path: root });
  const accepted = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', root, '--host', HOSTS[name], '--authorized-keys', sshd.authorizedKeys, '--helper', helper], { input: `${publicKey}\n`, encoding: 'utf8' });
  expect(accepted.stderr).toBe('');
  const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
  await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  return c;
}

async function backUp(which: 'btrfs' | 'ext4'): Promise<RunRecord> {
  // Snapshot names have a one-second resolution.
  await new Promise((r) => setTimeout(r, 1100));
  const run = await runBackup(clients[which]);
  runs[which].push(run);
  return run;
}

beforeAll(async () => {
  fx = createServeFixture('rewind-refused-xattrs');
  ext4Root = path.join(fx.dir, 'ext4', 'backups');
  mountLoopExt4(fx.cleanup, fx.dir, 'server-ext4', 256, path.dirname(ext4Root));
  mkdirSync(ext4Root, { mode: 0o700 });

  const tool = path.join(fx.home, TOOL);
  mkdirSync(path.dirname(tool), { recursive: true });
  writeFileSync(tool, '#!/bin/sh\necho tool\n', { mode: 0o755 });
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'notes\n'.repeat(1000));
  sh('setfattr', ['-n', 'user.note', '-v', 'kept', tool]);
  setValidCapability(tool);
  // No kernel lets anyone set an invalid capability (setfattr: EINVAL), so it is written on the unmounted disk.
  unmount(fx.clientMount);
  expect(corruptCapabilityOnDisk(fx.client.device)).toBeGreaterThan(0);
  sh('mount', [fx.client.device, fx.clientMount]);
  expect(getfattr(tool, 'security.capability').stderr).toMatch(/Invalid argument/);

  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  clients.btrfs = await client('btrfs', fx.root, helper);
  clients.ext4 = await client('ext4', ext4Root, helper);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test('the same stream through a plain btrfs send | btrfs receive fails, and its backup never gets a Received UUID', () => {
  const snapshot = fx.snapshot('20250101T000000Z');
  const into = path.join(fx.serverMount, 'plain');
  mkdirSync(into);
  const received = spawnSync('btrfs', ['receive', into], { input: sendToBuffer(snapshot), encoding: 'utf8' });
  expect(received.status).not.toBe(0);
  expect(received.stderr).toMatch(/security\.capability.*Invalid argument/);
  expect(sh('btrfs', ['subvolume', 'show', path.join(into, '20250101T000000Z')])).toMatch(/Received UUID:\s+-/);
  sh('btrfs', ['subvolume', 'delete', path.join(into, '20250101T000000Z')]);
  sh('btrfs', ['subvolume', 'delete', snapshot]);
});

describe.each(['btrfs', 'ext4'] as const)('a server whose folder is on %s', (which) => {
  test('the run completes; on btrfs serve left the xattr out and the run says so in words', async () => {
    const run = await backUp(which);
    expect(run.transfers.map((t) => t.error)).toEqual([undefined]);
    const [t] = run.transfers;
    expect(t).toMatchObject({ ok: true, kind: 'full' });
    const folder = path.join(clients[which].root, HOSTS[which], 'home');
    if (which === 'btrfs') {
      expect(t.leftOut).toEqual({ count: 1, names: { 'security.capability': 1 }, files: [TOOL] });
      expect(describeRun(run)).toContain('1 invalid file capability was left out of the backup.');
      expect(sh('btrfs', ['subvolume', 'show', path.join(folder, t.snapshot)])).toMatch(new RegExp(`Received UUID:\\s+${t.snapshotUuid}`));
      expect(getfattr(path.join(folder, t.snapshot, TOOL), 'security.capability').stderr).toMatch(/No such attribute/);
      expect(getfattr(path.join(folder, t.snapshot, TOOL), 'user.note').stdout).toContain('user.note=0x6b657074');
    } else {
      // Stream files keep the stream as btrfs send made it: nothing is left out until a restore.
      expect(t.leftOut).toBeUndefined();
      expect(JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'))).toMatchObject({ streams: [{ name: t.snapshot }] });
    }
  });

  test('the next run is incremental', async () => {
    writeFileSync(path.join(fx.home, 'alice/notes.txt'), `changed for ${which}\n`);
    const run = await backUp(which);
    expect(run.transfers.map((t) => t.error)).toEqual([undefined]);
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'incremental', parent: runs[which][0].transfers[0].snapshot });
    expect(run.transfers[0].leftOut).toBeUndefined();
  });

  test('a restore is the snapshot, byte for byte, but for the xattr left out', async () => {
    const name = runs[which][1].transfers[0].snapshot;
    const to = path.join(fx.dir, `restored-${which}`);
    const target = await restorePath({ ...clients[which], destination: 'server', snapshot: name, path: 'alice', targetDir: to });
    expect(compareTrees(path.join(snapshotPath(name), 'alice'), target, { skipUnreadableXattrs: true })).toEqual([]);
    expect(readFileSync(path.join(target, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho tool\n');
    expect(getfattr(path.join(target, 'bin/tool'), 'security.capability').stderr).toMatch(/No such attribute/);
  });
});
