import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RewindError } from '../../src/core/errors';
import type { RunRecord } from '../../src/core/status';
import { runBackup } from '../../src/helper/engine/engine';
import { sshPaths } from '../../src/helper/destinations/ssh/identity';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh } from '../support/exec';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, listDir, startServeProcess, stopServes, type ServeFixture } from '../support/serve-fixture';
import { runSsh, startSshd, type Sshd } from '../support/sshd';
import { compareTrees } from '../support/tree-compare';

/**
 * Two machines backing each other up over SSH, each a "host" of its own:
 * its own btrfs filesystem holding its home and the serve root that receives
 * the other's backups, its own sshd (own host key), its own helper state (own
 * key, own pinned known_hosts), and its key installed on the other with
 * `accept-key --host <its name>`. Host A backs up to B and B to A with the
 * real engine, a full run and then an incremental one; each backup must equal
 * its snapshot, land in ROOT/<its host>/home/ only, and A's key must not be
 * able to list or delete B's backups by any route.
 */
jest.setTimeout(300_000);

interface Host {
  name: 'machine-a' | 'machine-b';
  /** The top level of this host's filesystem: home, .rewind snapshots, and backups/ (the serve root for the other host). */
  mount: string;
  home: string;
  root: string;
  sshd: Sshd;
  options: { configPath: string; stateDir: string; runtimeDir: string };
  runs: RunRecord[];
}

let fx: ServeFixture;
let a: Host;
let b: Host;

function snapshotPath(host: Host, run: RunRecord): string {
  return path.join(host.mount, '.rewind/home', run.transfers[0].snapshot);
}

/** Where `host`'s backup of `run` lands: in the other host's serve root, in host's own folder. */
function backupPath(host: Host, other: Host, run: RunRecord): string {
  return path.join(other.root, host.name, 'home', run.transfers[0].snapshot);
}

async function makeHost(name: Host['name'], mount: string, home: string): Promise<Host> {
  const dir = path.join(fx.dir, name);
  mkdirSync(dir);
  const root = path.join(mount, 'backups');
  mkdirSync(root, { mode: 0o700, recursive: true });
  const sshd = await startSshd(fx.cleanup, dir);
  return {
    name,
    mount,
    home,
    root,
    sshd,
    options: { configPath: path.join(dir, 'config.json'), stateDir: path.join(dir, 'state'), runtimeDir: path.join(dir, 'run') },
    runs: [],
  };
}

/** Points `host` at `server`: its config, its key accepted there for its own name, and the server's host key pinned. */
async function pair(host: Host, server: Host): Promise<void> {
  writeFileSync(
    host.options.configPath,
    JSON.stringify({
      version: 1,
      hostName: host.name,
      sources: [{ path: host.home }],
      destinations: [{ id: 'other', kind: 'ssh', host: '127.0.0.1', port: server.sshd.port, path: server.root, compression: 'zstd' }],
    }),
  );
  const context = { configPath: host.options.configPath, stateDir: host.options.stateDir };
  const { publicKey, host: shownName } = await setup(context, { path: server.root });
  expect(shownName).toBe(host.name);
  // The server's own helper, with its own runtime directory (serve's locks).
  const helper = path.join(fx.dir, server.name, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${path.join(fx.dir, server.name, 'serve-run')}'\n`);
  chmodSync(helper, 0o755);
  const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', server.root, '--host', host.name, '--authorized-keys', server.sshd.authorizedKeys, '--helper', helper], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const shown = await probe(context, { host: '127.0.0.1', port: server.sshd.port, user: 'root' });
  expect(shown.state).toBe('unknown');
  await trust(context, { host: '127.0.0.1', port: server.sshd.port, fingerprint: shown.fingerprint });
}

beforeAll(async () => {
  fx = createServeFixture('rewind-ssh-mutual');
  // The fixture's two filesystems become the two machines: "client" is A, "server" is B.
  const homeB = path.join(fx.serverMount, 'home');
  sh('btrfs', ['subvolume', 'create', homeB]);
  a = await makeHost('machine-a', fx.clientMount, fx.home);
  b = await makeHost('machine-b', fx.serverMount, homeB);
  await pair(a, b);
  await pair(b, a);
  for (const host of [a, b]) {
    // The same paths on both sides, so a mix-up could not go unnoticed by name alone.
    mkdirSync(path.join(host.home, 'me'));
    writeFileSync(path.join(host.home, 'me/who.txt'), `${host.name}\n`.repeat(5000));
    writeRandomFile(path.join(host.home, 'me/data.bin'), 4);
  }
});

afterAll(async () => {
  if (fx) await stopServes(fx);
  await fx?.cleanup.run();
});

describe('two machines backing each other up', () => {
  test('full, then incremental, each way: every backup equals its snapshot, in its own host folder', async () => {
    for (const round of ['full', 'incremental'] as const) {
      if (round === 'incremental') {
        for (const host of [a, b]) writeFileSync(path.join(host.home, 'me/changed.txt'), `${host.name} changed\n`);
        // Snapshot names have a resolution of one second.
        await new Promise((r) => setTimeout(r, 1100));
      }
      // Both runs at once: each machine is client and server at the same time.
      const [runA, runB] = await Promise.all([runBackup(a.options), runBackup(b.options)]);
      for (const [host, run] of [[a, runA], [b, runB]] as const) {
        const parent = round === 'incremental' ? { parent: host.runs[0].transfers[0].snapshot } : {};
        // A failed run shows its error and outcome in the diff.
        expect({ ok: run.ok, error: run.error, outcome: run.outcome, sourceProblems: run.sourceProblems }).toEqual({ ok: true });
        expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'other', kind: round, ok: true, ...parent }] });
        host.runs.push(run);
      }
    }
    for (const [host, other] of [[a, b], [b, a]] as const) {
      // Only this host's folder on the other machine, and in it only its own backups.
      expect(listDir(other.root)).toEqual([host.name]);
      expect(listDir(path.join(other.root, host.name))).toEqual(['home']);
      expect(listDir(path.join(other.root, host.name, 'home'))).toEqual(host.runs.map((r) => r.transfers[0].snapshot).sort());
      for (const run of host.runs) {
        expect(compareTrees(snapshotPath(host, run), backupPath(host, other, run))).toEqual([]);
        expect(sh('cat', [path.join(backupPath(host, other, run), 'me/who.txt')]).split('\n')[0]).toBe(host.name);
      }
    }
  });

  test('A’s key can neither list nor delete B’s backups', async () => {
    const bBackups = b.runs.map((r) => backupPath(b, a, r));
    const keyA = sshPaths(a.options.stateDir).key;

    // B's backups are on A's machine, whose sshd does not know A's key at all.
    const denied = runSsh(a.sshd, keyA, ['rewind-helper', 'serve']);
    expect(denied.status).toBe(255);
    expect(denied.stderr).toMatch(/Permission denied/);

    // On B's machine A's key runs serve confined to ROOT/machine-a.
    const serve = startServeProcess(fx, 'ssh', [...b.sshd.sshArgs(keyA), 'rewind-helper', 'serve']);
    expect(await serve.client.hello()).toMatchObject({ host: 'machine-a' });
    expect(await serve.client.folders()).toEqual(['home']);
    const own = await serve.client.list('home');
    expect(own.map((x) => x.name)).toEqual(a.runs.map((r) => r.transfers[0].snapshot).sort());

    const refusals: Array<[string, unknown]> = [];
    for (const name of b.runs.map((r) => r.transfers[0].snapshot)) {
      for (const subvolume of ['../machine-b/home', '..', `${b.root}/machine-b/home`, 'machine-b']) {
        refusals.push([`delete ${subvolume}/${name}`, await serve.client.rawLine(JSON.stringify({ op: 'delete', subvolume, name }))]);
      }
      refusals.push(['delete with a host field', await serve.client.rawLine(JSON.stringify({ op: 'delete', subvolume: 'home', name, host: 'machine-b' }))]);
    }
    for (const subvolume of ['../machine-b/home', 'machine-b']) {
      refusals.push([`list ${subvolume}`, await serve.client.rawLine(JSON.stringify({ op: 'list', subvolume }))]);
    }
    for (const [what, answer] of refusals) {
      const ok = (answer as { ok?: boolean }).ok;
      const code = (answer as { error?: { code?: string } }).error?.code;
      // "list machine-b" is a valid folder name: it is A's own (empty) folder of that name, never B's.
      if (what === 'list machine-b') expect([what, answer]).toEqual([what, { ok: true, backups: [] }]);
      else expect([what, ok, code]).toEqual([what, false, 'InvalidArgs']);
    }
    // A name that is B's backup's is looked up in A's own folder only.
    const sameName = b.runs[0].transfers[0].snapshot;
    if (!a.runs.some((r) => r.transfers[0].snapshot === sameName)) {
      const error = await serve.client.delete('home', sameName).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RewindError);
    }
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);

    // Nothing of B's moved, and A's own backups are all still there too.
    for (const [i, run] of b.runs.entries()) {
      expect(compareTrees(snapshotPath(b, run), bBackups[i])).toEqual([]);
    }
    expect(listDir(path.join(b.root, 'machine-a', 'home'))).toEqual(a.runs.map((r) => r.transfers[0].snapshot).sort());
  });
});
