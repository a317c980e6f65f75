import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DrillRecord } from '../../src/core/drill';
import type { StreamManifest } from '../../src/core/stream-manifest';
import { runBackup } from '../../src/helper/engine/engine';
import { createServeFixture, type ServeFixture } from '../support/serve-fixture';
import { drillServer, serverClient } from '../support/drill-server';
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
let paths: { configPath: string; stateDir: string; runtimeDir: string };
const made: string[] = [];

function folder(): string {
  return path.join(fx.root, HOST, 'home');
}

beforeAll(async () => {
  fx = createServeFixture('rewind-drill-ssh-files');
  ({ paths } = await serverClient(fx, HOST, { store: 'files' }, { retention: { local: { preset: 'keep-all' } } }));
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

const drill = (): Promise<DrillRecord> => drillServer(paths);

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
