import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '../../src/core/drill';
import { runBackup } from '../../src/helper/engine/engine';
import { drillDestinations } from '../../src/helper/drill/drill';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { changeReceivedBackup } from '../support/disk-damage';
import { sh } from '../support/exec';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, type ServeFixture } from '../support/serve-fixture';
import { startSshd, type Sshd } from '../support/sshd';

/**
 * A restore drill of an SSH server: sshd on 127.0.0.1 runs `rewind-helper
 * serve` as the forced command of the helper's key. A healthy backup on the
 * server drills clean; a file in the server's copy changed in place (its
 * size and time kept, the backup left read-only with its Received UUID, as
 * nothing but a restore would notice) is named, and the backup is marked
 * damaged. The drill only reads: the server's folder holds the same backups
 * after it as before.
 */
jest.setTimeout(300_000);

const HOST = 'alice-laptop';
let fx: ServeFixture;
let sshd: Sshd;
let paths: { configPath: string; stateDir: string; runtimeDir: string };
let snapshot: string;

beforeAll(async () => {
  fx = createServeFixture('rewind-drill-ssh');
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  const configPath = path.join(fx.dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      hostName: HOST,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: fx.root, label: 'Home server' }],
    }),
  );
  paths = { configPath, stateDir: path.join(fx.dir, 'state'), runtimeDir: path.join(fx.dir, 'client-run') };
  const context = { configPath, stateDir: paths.stateDir };
  const { publicKey } = await setup(context, { path: fx.root });
  const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', fx.root, '--host', HOST, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
    input: `${publicKey}\n`,
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  const shown = await probe(context, { host: '127.0.0.1', port: sshd.port, user: 'root' });
  await trust(context, { host: '127.0.0.1', port: sshd.port, fingerprint: shown.fingerprint });
  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'notes\n'.repeat(10_000));
  writeRandomFile(path.join(fx.home, 'alice/photo.bin'), 2);
  sh('setfattr', ['-n', 'user.rewind.tag', '-v', 'kept', path.join(fx.home, 'alice/notes.txt')]);
  const run = await runBackup(paths);
  expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'server', kind: 'full', ok: true }] });
  snapshot = run.transfers[0].snapshot!;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

async function drill(): Promise<DrillRecord> {
  const result = await drillDestinations(paths);
  if (!('drills' in result)) throw new Error(`the drill did not start: ${result.skipped}`);
  expect(result.drills).toHaveLength(1);
  return result.drills[0];
}

/** The server's folder of backups, each with its Received UUID and whether it is read-only. */
function serverBackups(): string {
  return sh('btrfs', ['subvolume', 'list', '-R', '-o', path.join(fx.root, HOST, 'home')]).replace(/gen \d+ /g, '');
}

test('a healthy backup on an SSH server drills clean, through serve, leaving the server as it was', async () => {
  const before = serverBackups();
  const record = await drill();
  expect(record).toMatchObject({ destination: 'server', destinationName: 'Home server', outcome: 'identical' });
  expect(record.sources).toEqual([expect.objectContaining({ source: fx.home, backup: snapshot, compared: 2, problems: [] })]);
  expect(serverBackups()).toBe(before);
});

test('a file changed in place in the server’s copy is named, and the backup is marked damaged', async () => {
  const file = path.join(fx.root, HOST, 'home', snapshot, 'alice/notes.txt');
  const size = statSync(file).size;
  changeReceivedBackup(path.dirname(path.dirname(file)), () => {
    const bytes = readFileSync(file);
    bytes[1000] ^= 0x20;
    writeFileSync(file, bytes);
    sh('touch', ['-r', path.join(fx.clientMount, '.rewind/home', snapshot, 'alice/notes.txt'), file]);
  });
  expect(statSync(file).size).toBe(size);
  const record = await drill();
  expect(record).toMatchObject({ destination: 'server', outcome: 'damaged' });
  expect(record.sources).toEqual([
    expect.objectContaining({
      backup: snapshot,
      damaged: true,
      compared: 1,
      affected: [snapshot],
      problems: ["alice/notes.txt: its content differs from this computer's snapshot from byte 1000 on"],
    }),
  ]);
  const marks = JSON.parse(readFileSync(path.join(paths.stateDir, 'damaged-backups.json'), 'utf8')) as unknown;
  expect(JSON.stringify(marks)).toContain(snapshot);
});
