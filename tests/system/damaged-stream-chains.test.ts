import { rmSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { buildChain, expectRecovery, flipByte, manifestIn } from '../support/stream-damage';

/**
 * Stream-file backups damaged on the disk, each in a folder of its own:
 * a flipped byte in the newest stream, the newest stream cut short, the
 * chain's full stream deleted. Every time, the next run must not build on
 * the damaged chain: it starts a new full chain and says so, the run after
 * it is incremental on the new chain, and the newest point restores.
 */
jest.setTimeout(600_000);

let fx: BackupFixture;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 512 });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** A folder destination `id` of its own, the only one configured; returns its subvolume folder. */
function useFolder(id: string): string {
  const folder = path.join(fx.dir, `dest-${id}`);
  writeFixtureConfig(fx, [{ id, kind: 'files', path: folder }], { retention: { local: { preset: 'keep-all' } } });
  return path.join(folder, fx.hostName, 'home');
}

describe('a damaged chain is never extended', () => {
  test('a flipped byte in the newest stream', () => {
    const folder = useFolder('flipped');
    const chain = buildChain(fx, 2);
    const newest = manifestIn(folder).streams.at(-1)!;
    flipByte(path.join(folder, newest.parts[0].file));
    expectRecovery(fx, 'flipped');
    // The damaged chain is kept for what it still holds: retention's rules keep recent backups.
    expect(manifestIn(folder).streams.map((s) => s.name)).toEqual(expect.arrayContaining(chain.map((t) => t.snapshot)));
  });

  test('the newest stream cut short', () => {
    const folder = useFolder('truncated');
    buildChain(fx, 2);
    const newest = manifestIn(folder).streams.at(-1)!;
    truncateSync(path.join(folder, newest.parts[0].file), Math.floor(newest.parts[0].size / 2));
    expectRecovery(fx, 'truncated');
  });

  test('the full stream of the chain deleted', () => {
    const folder = useFolder('no-full');
    buildChain(fx, 2);
    for (const part of manifestIn(folder).streams[0].parts) rmSync(path.join(folder, part.file));
    expectRecovery(fx, 'no-full');
  });
});
