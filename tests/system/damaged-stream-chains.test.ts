import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { writeFixtureConfig } from '../support/backup-fixture';
import { helperCommand } from '../support/helper-run';
import type { StreamEntry } from '../../src/core/stream-manifest';
import { buildChain, change, damageFixture, expectPointRestores, expectRecovery, flipByte, manifestIn, run } from '../support/stream-damage';

/**
 * Stream-file backups damaged on the disk, each in a folder of its own:
 * a flipped byte in the newest stream, the newest stream cut short, the
 * chain's full stream deleted. Every time, the next run must not build on
 * the damaged chain: it starts a new full chain and says so, the run after
 * it is incremental on the new chain, and the newest point restores.
 */
const fixture = damageFixture();

/** A folder destination `id` of its own, the only one configured; returns its subvolume folder. */
function useFolder(id: string, options: { encrypt?: boolean } = {}): string {
  const folder = path.join(fixture().dir, `dest-${id}`);
  // A hand-written folder destination without "mountPoint" is used only when its folder exists.
  mkdirSync(folder, { recursive: true });
  writeFixtureConfig(fixture(), [{ id, kind: 'files', path: folder, ...options }], { retention: { local: { preset: 'keep-all' } } });
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
    test(`a manifest.json that is ${what}: set aside, the backups listed again from the files themselves`, () => {
      const folder = useFolder(`manifest-${what}`);
      const chain = buildChain(fixture(), 1);
      const before = manifestIn(folder).streams;
      writeFileSync(path.join(folder, 'manifest.json'), bytes);

      change(fixture());
      const first = run(fixture());
      expect(first.damagedParent).toMatch(/2 of the backups were recovered from the backup files themselves/);
      // The recovered chain is whole again: the next backup builds on it.
      expect(first).toMatchObject({ kind: 'incremental', parent: chain[1].snapshot });
      const names = readdirSync(folder);
      // The damaged list is kept byte for byte under another name; the files it named are listed again as they were.
      const kept = names.filter((n) => /^damaged-\d{8}T\d{6}Z\.manifest\.json$/.test(n));
      expect(kept).toHaveLength(1);
      expect(readFileSync(path.join(folder, kept[0]))).toEqual(bytes);
      const after = manifestIn(folder);
      expect(after.keptAside).toEqual([kept[0]]);
      const strip = (s: StreamEntry) => ({ ...s, created: undefined });
      expect(after.streams.slice(0, 2).map(strip)).toEqual(before.map(strip));
      expectPointRestores(fixture(), `manifest-${what}`, chain[0].snapshot);
    });
  }

  test('a garbage manifest.json and a damaged stream: only what reads whole is listed again', () => {
    const folder = useFolder('manifest-and-stream');
    const chain = buildChain(fixture(), 1);
    const [full, incremental] = manifestIn(folder).streams;
    flipByte(path.join(folder, incremental.parts[0].file));
    writeFileSync(path.join(folder, 'manifest.json'), 'not a list at all');

    change(fixture());
    const first = run(fixture());
    expect(first.damagedParent).toMatch(/1 of the backups were recovered/);
    expect(first).toMatchObject({ kind: 'incremental', parent: chain[0].snapshot });
    const after = manifestIn(folder);
    expect(after.streams.map((s) => s.name)).toEqual([full.name, first.snapshot]);
    // The damaged stream is never read as a backup again, and never deleted either.
    expect(after.keptAside).toEqual(expect.arrayContaining(incremental.parts.map((p) => p.file)));
    expect(readdirSync(folder)).toEqual(expect.arrayContaining(incremental.parts.map((p) => p.file)));
    expectPointRestores(fixture(), 'manifest-and-stream', first.snapshot);
  });
});

describe('a damaged list of encrypted backups', () => {
  test("is rebuilt with this computer's key; without it, a new chain starts and the files are kept", () => {
    const folder = useFolder('sealed', { encrypt: true });
    expect(helperCommand(fixture(), ['new-key', '--destination', 'sealed']).status).toBe(0);
    const chain = buildChain(fixture(), 1);
    writeFileSync(path.join(folder, 'manifest.json'), '{');
    change(fixture());
    const first = run(fixture());
    expect(first.damagedParent).toMatch(/2 of the backups were recovered/);
    expect(first).toMatchObject({ kind: 'incremental', parent: chain[1].snapshot });
    expect(manifestIn(folder).recipient).toMatch(/^age1/);
    expectPointRestores(fixture(), 'sealed', chain[0].snapshot);

    // The key gone (a fresh install before the recovery key is put back): nothing encrypted can be read.
    const key = path.join(fixture().stateDir, 'keys', 'sealed.agekey');
    const saved = readFileSync(key);
    writeFileSync(path.join(folder, 'manifest.json'), '{');
    rmSync(key);
    expect(helperCommand(fixture(), ['new-key', '--destination', 'sealed']).status).toBe(0);
    change(fixture());
    const second = run(fixture());
    expect(second.kind).toBe('full');
    expect(second.damagedParent).toMatch(/No backup could be recovered.*Some encrypted backup files cannot be opened with the key this computer has/s);
    // The three streams written with the old key are kept aside, untouched, for when the recovery key is put back.
    expect(manifestIn(folder).keptAside!.filter((f) => f.endsWith('.age.000'))).toHaveLength(3);
    writeFileSync(key, saved, { mode: 0o600 });
  });
});

describe('a damaged newest backup of an unchanged home', () => {
  test('is backed up again as a new chain, not reported up to date', () => {
    const folder = useFolder('unchanged');
    const chain = buildChain(fixture(), 1);
    flipByte(path.join(folder, manifestIn(folder).streams.at(-1)!.parts[0].file));
    // No change: the same snapshot is the newest, and its only backup is damaged.
    const again = run(fixture());
    expect(again).toMatchObject({ kind: 'full', snapshot: chain[1].snapshot });
    expect(again.damagedParent).toMatch(/damaged/);
    change(fixture());
    const next = run(fixture());
    expect(next).toMatchObject({ kind: 'incremental', parent: again.snapshot });
    expectPointRestores(fixture(), 'unchanged', next.snapshot);
  });
});
