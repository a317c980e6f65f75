import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/core/status';
import { runBackup } from '../../src/helper/engine/engine';
import { restorePath } from '../../src/helper/restore/restore';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { longPath } from '../support/long-path';
import { createServeFixture, type ServeFixture } from '../support/serve-fixture';
import { startSshd, type Sshd } from '../support/sshd';

/**
 * A 4,050-byte path (under PATH_MAX, but not once a mount point is put before
 * it) backed up over SSH and restored, for both ways a server keeps backups:
 * received by `btrfs receive` on the server's btrfs, and as stream files
 * (restored by extraction, without a replay). Each gets a full backup with
 * the path and an incremental after it, and the path restores from the
 * incremental, its content and times as backed up. A real sshd on 127.0.0.1
 * runs `rewind-helper serve` as the forced command of each configuration's
 * own key and host name (accept-key keeps one line per host).
 * tests/system/restore-cli.test.ts does the same for a btrfs disk and a
 * folder of stream files.
 */
jest.setTimeout(300_000);

const REL = longPath(4050);
let fx: ServeFixture;
let sshd: Sshd;
const stores = ['btrfs', 'files'] as const;
const options = new Map<(typeof stores)[number], { configPath: string; stateDir: string; runtimeDir: string }>();

async function backUp(store: (typeof stores)[number]): Promise<RunRecord> {
  // Snapshot names have a one-second resolution, and both configurations take theirs from the same home.
  await new Promise((r) => setTimeout(r, 1100));
  return runBackup(options.get(store)!);
}

beforeAll(async () => {
  // A short folder: the restored path is read back by its full name, which must stay under PATH_MAX.
  fx = createServeFixture('rwl');
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  for (const store of stores) {
    const root = store === 'btrfs' ? fx.root : path.join(fx.serverMount, 'files');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const configPath = path.join(fx.dir, `config-${store}.json`);
    const stateDir = path.join(fx.dir, `state-${store}`);
    writeFileSync(
      configPath,
      JSON.stringify({
        version: 1,
        hostName: `long-${store}`,
        sources: [{ path: fx.home }],
        destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: root, store }],
        retention: { local: { preset: 'keep-all' } },
      }),
    );
    options.set(store, { configPath, stateDir, runtimeDir: path.join(fx.dir, `run-${store}`) });
    const context = { configPath, stateDir };
    const { publicKey } = await setup(context, { path: root });
    const accepted = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', root, '--host', `long-${store}`, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
      input: `${publicKey}\n`,
      encoding: 'utf8',
    });
    expect({ status: accepted.status, stderr: accepted.stderr }).toEqual({ status: 0, stderr: '' });
    const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
    await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  }
  expect(REL.length).toBe(4050);
  mkdirSync(path.dirname(path.join(fx.home, REL)), { recursive: true });
  writeFileSync(path.join(fx.home, REL), 'deep\n');
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'notes\n');
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe.each(stores)('a 4,050-byte path over SSH, kept on the server as %s', (store) => {
  test('is backed up, an incremental goes on from it, and it is restored from the incremental', async () => {
    const full = await backUp(store);
    expect(full.transfers.map((t) => [t.kind, t.ok, t.error?.message])).toEqual([['full', true, undefined]]);
    writeFileSync(path.join(fx.home, 'alice/notes.txt'), `notes, after the ${store} backup\n`);
    const next = await backUp(store);
    expect(next.transfers.map((t) => [t.kind, t.ok, t.error?.message])).toEqual([['incremental', true, undefined]]);

    const to = path.join(fx.dir, `r-${store}`);
    const top = REL.split('/').slice(0, 2).join('/');
    const target = await restorePath({ ...options.get(store)!, destination: 'server', snapshot: next.transfers[0].snapshot, path: top, targetDir: to });
    expect(target).toBe(path.join(to, path.basename(top)));
    const restored = path.join(to, REL.split('/').slice(1).join('/'));
    const times = (p: string) => {
      const st = lstatSync(p, { bigint: true });
      return { mode: st.mode, mtime: st.mtimeNs, atime: st.atimeNs };
    };
    // Before reading it, which may change its access time.
    expect(times(restored)).toEqual(times(path.join(fx.home, REL)));
    expect(readFileSync(restored, 'utf8')).toBe('deep\n');
  });
});
