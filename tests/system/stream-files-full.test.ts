import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunRecord } from '../../src/core/status';
import type { StreamManifest } from '../../src/core/stream-manifest';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { runBackupCli } from '../support/helper-run';
import { mountLoopExt4 } from '../support/loop-ext4';
import { writeRandomFile } from '../support/random-file';

/**
 * Stream files on a disk that fills up for real: a 64 MiB ext4 loop
 * filesystem, chains of a full stream and one incremental, and changes of
 * incompressible data sized so that four streams fit and a fifth does not.
 * The oldest chain that may go makes room (never the next parent's chain,
 * never the newest); when nothing more may go, the run fails with "not
 * enough space" and leaves no file and no manifest entry of the attempt.
 */
jest.setTimeout(600_000);

let fx: BackupFixture;
let disk: string;
let unitMiB: number;
const names: string[] = [];

function folder(): string {
  return path.join(disk, 'rewind', fx.hostName, 'home');
}

function manifest(): StreamManifest {
  return JSON.parse(readFileSync(path.join(folder(), 'manifest.json'), 'utf8')) as StreamManifest;
}

function listedFiles(): string[] {
  return ['manifest.json', ...manifest().streams.flatMap((s) => s.parts.map((p) => p.file))].sort();
}

/** Replaces the big file with `mib` MiB of new random data, then backs up. */
function backUpChange(mib: number): RunRecord {
  rmSync(path.join(fx.home, 'alice/data.bin'), { force: true });
  writeRandomFile(path.join(fx.home, 'alice/data.bin'), mib);
  return runBackupCli(fx);
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 512 });
  disk = path.join(fx.dir, 'small-ext4');
  mountLoopExt4(fx.cleanup, fx.dir, 'small-ext4', 64, disk);
  const fs = statfsSync(disk);
  const freeMiB = (fs.bavail * fs.bsize) / 1024 / 1024;
  unitMiB = Math.floor(freeMiB / 4.6);
  writeFileSync(
    fx.configPath,
    JSON.stringify({
      version: 1,
      hostName: fx.hostName,
      sources: [{ path: fx.home }],
      destinations: [{ id: 'small', kind: 'files', path: path.join(disk, 'rewind'), mountPoint: disk, chain: { maxIncrementals: 1, maxDays: 30 } }],
      retention: { local: { preset: 'keep-all' } },
    }),
  );
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('stream files on a disk that fills up', () => {
  test('four streams in two chains fill most of the disk', () => {
    for (const kind of ['full', 'incremental', 'full', 'incremental']) {
      const run = backUpChange(unitMiB);
      expect(run.transfers[0]).toMatchObject({ ok: true, kind });
      names.push(run.transfers[0].snapshot);
    }
    expect(manifest().streams.map((s) => s.name)).toEqual(names);
  });

  test('a fifth makes room by removing the oldest whole chain, never the newest one, and completes', () => {
    const run = backUpChange(unitMiB);
    expect(run.error).toBeUndefined();
    expect(run.transfers[0]).toMatchObject({ ok: true, kind: 'full' });
    expect(run.transfers[0].removedForSpace).toEqual([`home/${names[0]}`, `home/${names[1]}`]);
    expect(run.spaceFreed?.map((f) => f.message)).toEqual(['To make room on small, the 2 oldest backups were removed.']);
    names.push(run.transfers[0].snapshot);
    expect(manifest().streams.map((s) => s.name)).toEqual(names.slice(2));
    expect(readdirSync(folder()).sort()).toEqual(listedFiles());
  });

  test('when even that is not enough, the run says so and leaves no file and no manifest entry of the attempt', () => {
    const run = backUpChange(unitMiB * 4);
    expect(run.ok).toBe(false);
    expect(run.transfers[0]).toMatchObject({ ok: false, kind: 'incremental', parent: names[4] });
    expect(run.transfers[0].error?.code).toBe('DestinationFull');
    expect(run.transfers[0].error?.message).toBe(
      'This backup does not fit on small, even after the 2 oldest backups were removed to make room, and the backups left are needed for the next one: delete other files from the disk, or use a larger one.',
    );
    // The chain of the next incremental's parent stays whole.
    expect(manifest().streams.map((s) => s.name)).toEqual([names[4]]);
    expect(readdirSync(folder()).sort()).toEqual(listedFiles());
  });
});
