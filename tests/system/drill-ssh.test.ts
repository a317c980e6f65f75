import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '../../src/core/drill';
import { runBackup } from '../../src/helper/engine/engine';
import { changeReceivedBackup } from '../support/disk-damage';
import { sh } from '../support/exec';
import { createServeFixture, type ServeFixture } from '../support/serve-fixture';
import { drillServer, serverClient } from '../support/drill-server';

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
let paths: { configPath: string; stateDir: string; runtimeDir: string };
let snapshot: string;

beforeAll(async () => {
  fx = createServeFixture('rewind-drill-ssh');
  ({ paths } = await serverClient(fx, HOST));
  const run = await runBackup(paths);
  expect(run).toMatchObject({ ok: true, transfers: [{ destination: 'server', kind: 'full', ok: true }] });
  snapshot = run.transfers[0].snapshot!;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

const drill = (): Promise<DrillRecord> => drillServer(paths);

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
