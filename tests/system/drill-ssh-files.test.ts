import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '../../src/core/drill';
import type { StreamManifest } from '../../src/core/stream-manifest';
import { runBackup } from '../../src/helper/engine/engine';
import { drillDestinations } from '../../src/helper/drill/drill';
import { probe, setup, trust } from '../../src/helper/destinations/ssh/setup';
import { sh } from '../support/exec';
import { writeRandomFile } from '../support/random-file';
import { createServeFixture, type ServeFixture } from '../support/serve-fixture';
import { startSshd, type Sshd } from '../support/sshd';
import { flipByte } from '../support/stream-damage';

/**
 * A restore drill of stream files on an SSH server ("store": "files"):
 * sshd on 127.0.0.1 runs `rewind-helper serve` as the forced command of
 * the helper's key. A healthy chain drills clean through serve, reading
 * only; a byte flipped in the stored full stream on the server is found,
 * the file named, and the points that replay it (the full stream's and the
 * incremental on it) are the ones said to be not known to be good.
 */
jest.setTimeout(300_000);

const HOST = 'carol-laptop';
let fx: ServeFixture;
let sshd: Sshd;
let paths: { configPath: string; stateDir: string; runtimeDir: string };
const made: string[] = [];

function folder(): string {
  return path.join(fx.root, HOST, 'home');
}

beforeAll(async () => {
  fx = createServeFixture('rewind-drill-ssh-files');
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
      destinations: [{ id: 'server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, path: fx.root, store: 'files', label: 'Home server' }],
      retention: { local: { preset: 'keep-all' } },
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
  // A full stream, then an incremental on it.
  for (const kind of ['full', 'incremental']) {
    if (kind === 'incremental') {
      writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'changed notes\n'.repeat(10_000));
      // Snapshot names have a one-second resolution.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const run = await runBackup(paths);
    expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'server', kind, ok: true }] });
    made.push(run.transfers[0].snapshot!);
  }
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

/** The server's folder: each file with its size and time. */
function serverFiles(): string {
  return readdirSync(folder())
    .sort()
    .map((name) => {
      const info = statSync(path.join(folder(), name));
      return `${name} ${info.size} ${info.mtimeMs}`;
    })
    .join('\n');
}

test('stream files on an SSH server drill clean through serve, leaving the server as it was', async () => {
  const before = serverFiles();
  expect(before).toContain('manifest.json');
  const record = await drill();
  expect(record).toMatchObject({ destination: 'server', destinationName: 'Home server', outcome: 'identical' });
  expect(record.sources).toEqual([expect.objectContaining({ source: fx.home, backup: made[1], compared: 2, problems: [] })]);
  expect(serverFiles()).toBe(before);
});

test('a byte flipped in the stored full stream on the server is named, with the points that replay it', async () => {
  const manifest = JSON.parse(readFileSync(path.join(folder(), 'manifest.json'), 'utf8')) as StreamManifest;
  const part = manifest.streams.find((s) => s.name === made[0])!.parts[0].file;
  flipByte(path.join(folder(), part));
  const record = await drill();
  expect(record).toMatchObject({ destination: 'server', outcome: 'damaged' });
  expect(record.sources).toEqual([
    expect.objectContaining({
      backup: made[1],
      damaged: true,
      compared: 0,
      damagedStream: made[0],
      affected: made,
      problems: [expect.stringContaining(`home/${part}`)],
    }),
  ]);
  const marks = JSON.parse(readFileSync(path.join(paths.stateDir, 'damaged-backups.json'), 'utf8')) as unknown;
  expect(JSON.stringify(marks)).toContain(made[1]);
});
