import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { writeFixtureConfig } from '../support/backup-fixture';
import { buildChain, damageFixture, expectRecovery, flipByte, manifestIn } from '../support/stream-damage';

/**
 * Stream-file backups damaged on the disk, each in a folder of its own:
 * a flipped byte in the newest stream, the newest stream cut short, the
 * chain's full stream deleted. Every time, the next run must not build on
 * the damaged chain: it starts a new full chain and says so, the run after
 * it is incremental on the new chain, and the newest point restores.
 */
const fixture = damageFixture();

/** A folder destination `id` of its own, the only one configured; returns its subvolume folder. */
function useFolder(id: string): string {
  const folder = path.join(fixture().dir, `dest-${id}`);
  // A hand-written folder destination without "mountPoint" is used only when its folder exists.
  mkdirSync(folder, { recursive: true });
  writeFixtureConfig(fixture(), [{ id, kind: 'files', path: folder }], { retention: { local: { preset: 'keep-all' } } });
  return path.join(folder, fixture().hostName, 'home');
}

describe('a damaged chain is never extended', () => {
  test('a flipped byte in the newest stream', () => {
    const folder = useFolder('flipped');
    const chain = buildChain(fixture(), 2);
    const newest = manifestIn(folder).streams.at(-1)!;
    flipByte(path.join(folder, newest.parts[0].file));
    expectRecovery(fixture(), 'flipped');
    // The damaged chain is kept for what it still holds: retention's rules keep recent backups.
    expect(manifestIn(folder).streams.map((s) => s.name)).toEqual(expect.arrayContaining(chain.map((t) => t.snapshot)));
  });

  test('the newest stream cut short', () => {
    const folder = useFolder('truncated');
    buildChain(fixture(), 2);
    const newest = manifestIn(folder).streams.at(-1)!;
    truncateSync(path.join(folder, newest.parts[0].file), Math.floor(newest.parts[0].size / 2));
    expectRecovery(fixture(), 'truncated');
  });

  test('the full stream of the chain deleted', () => {
    const folder = useFolder('no-full');
    buildChain(fixture(), 2);
    for (const part of manifestIn(folder).streams[0].parts) rmSync(path.join(folder, part.file));
    expectRecovery(fixture(), 'no-full');
  });
});

describe('a damaged list of backups never stops the runs after it', () => {
  for (const [what, bytes] of [
    ['garbage', Buffer.from('{"version": 1, "streams": [{"na\u0000\xff garbage')],
    ['empty', Buffer.alloc(0)],
  ] as Array<[string, Buffer]>) {
    test(`a manifest.json that is ${what}: set aside, a new chain, the old files kept`, () => {
      const folder = useFolder(`manifest-${what}`);
      buildChain(fixture(), 1);
      const oldParts = manifestIn(folder).streams.flatMap((s) => s.parts.map((p) => p.file));
      writeFileSync(path.join(folder, 'manifest.json'), bytes);
      expectRecovery(fixture(), `manifest-${what}`);
      const names = readdirSync(folder);
      // The damaged list is kept byte for byte under another name, and the files it named are still there.
      const kept = names.filter((n) => /^damaged-\d{8}T\d{6}Z\.manifest\.json$/.test(n));
      expect(kept).toHaveLength(1);
      expect(readFileSync(path.join(folder, kept[0]))).toEqual(bytes);
      expect(names).toEqual(expect.arrayContaining(oldParts));
      expect(manifestIn(folder).keptAside).toEqual(expect.arrayContaining([kept[0], ...oldParts]));
    });
  }
});
