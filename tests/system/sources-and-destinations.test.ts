import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createLoopBtrfs, type LoopBtrfs } from '../support/loop-btrfs';
import { compareTrees } from '../support/tree-compare';

/**
 * "Every subvolume of a filesystem" as a source, and several destinations,
 * each enabled or not on its own.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let second: LoopBtrfs;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  second = createLoopBtrfs(fx.cleanup, fx.dir, 'second-disk');
  await withTopLevel(fx, fx.source, (top) => {
    sh('btrfs', ['subvolume', 'create', path.join(top, 'projects')]);
    writeFileSync(path.join(top, 'projects/plan.txt'), 'the plan\n');
    sh('btrfs', ['subvolume', 'create', path.join(top, 'projects/cache')]);
    writeFileSync(path.join(top, 'projects/cache/blob'), 'cached\n');
    // Not the user's own data: a read-only snapshot and snapper's folder.
    sh('btrfs', ['subvolume', 'snapshot', '-r', path.join(top, 'projects'), path.join(top, 'projects-old')]);
    mkdirSync(path.join(top, 'home/.snapshots'));
    sh('btrfs', ['subvolume', 'create', path.join(top, 'home/.snapshots/1')]);
  });
  writeFileSync(
    fx.configPath,
    JSON.stringify({
      version: 1,
      hostName: fx.hostName,
      sources: [{ allSubvolumesOf: fx.home }],
      destinations: [
        { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid },
        { id: 'spare', kind: 'btrfs', filesystem: second.uuid, path: 'rewind', enabled: false },
      ],
    }),
  );
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('every subvolume of a filesystem', () => {
  test('backs up each of the user\'s subvolumes, not snapshots or snapper\'s', async () => {
    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    expect(run.transfers.map((t) => [t.source, t.destination, t.kind]).sort()).toEqual([
      [`${fx.home}: home`, 'usb', 'full'],
      [`${fx.home}: projects`, 'usb', 'full'],
      [`${fx.home}: projects/cache`, 'usb', 'full'],
    ]);
    await withTopLevel(fx, fx.source, (sourceTop) =>
      withTopLevel(fx, fx.destination, (destTop) => {
        // A snapshot shows a nested subvolume as an empty stub folder, which
        // btrfs send leaves out: "cache" travels as a backup of its own.
        const expected: Record<string, string[]> = { projects: ['missing: "cache"'], 'projects/cache': [] };
        for (const [sub, dir] of [['projects', 'projects'], ['projects/cache', 'projects%2Fcache']]) {
          const t = run.transfers.find((x) => x.source.endsWith(`: ${sub}`))!;
          expect(compareTrees(path.join(sourceTop, '.rewind', dir, t.snapshot), path.join(destTop, fx.hostName, dir, t.snapshot))).toEqual(expected[sub]);
        }
      }),
    );
  });

  test('a disabled destination is left alone; enabled, it gets its own full backup', async () => {
    await withTopLevel(fx, second, (top) => expect(sh('btrfs', ['subvolume', 'list', top])).toBe(''));
    const config = JSON.parse(sh('cat', [fx.configPath])) as { destinations: Array<{ enabled?: boolean }> };
    config.destinations[1].enabled = true;
    writeFileSync(fx.configPath, JSON.stringify(config));
    const run = runBackupCli(fx);
    expect(run.error).toBeUndefined();
    const bySide = (id: string) => run.transfers.filter((t) => t.destination === id).map((t) => t.kind);
    // Nothing changed since the last run: the disk that has those snapshots gets nothing, the new one gets them in full.
    expect(bySide('usb')).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(bySide('spare')).toEqual(['full', 'full', 'full']);
    expect(new Set(run.transfers.filter((t) => t.destination === 'spare').map((t) => t.snapshot))).toEqual(
      new Set(run.transfers.filter((t) => t.destination === 'usb').map((t) => t.snapshot)),
    );
    await withTopLevel(fx, second, (top) => expect(sh('ls', [path.join(top, 'rewind', fx.hostName)]).split('\n').filter(Boolean).sort()).toEqual(['home', 'projects', 'projects%2Fcache']));
  });

  test('leaves out the folders the configuration excludes, and what they hold', () => {
    // A folder left out (docs/what-to-back-up.md): a subvolume of its own, inside the mounted home, holding another.
    const cache = path.join(fx.home, 'alice', '.cache');
    sh('btrfs', ['subvolume', 'create', cache]);
    sh('btrfs', ['subvolume', 'create', path.join(cache, 'inner')]);
    const config = JSON.parse(sh('cat', [fx.configPath])) as Record<string, unknown>;
    const sources = (run: ReturnType<typeof runBackupCli>) => [...new Set(run.transfers.map((t) => t.source))].sort();
    const everything = runBackupCli(fx);
    expect(sources(everything)).toEqual([`${fx.home}: home`, `${fx.home}: home/alice/.cache`, `${fx.home}: home/alice/.cache/inner`, `${fx.home}: projects`, `${fx.home}: projects/cache`]);
    writeFileSync(fx.configPath, JSON.stringify({ ...config, exclude: [cache] }));
    const left = runBackupCli(fx);
    expect(left.error).toBeUndefined();
    expect(sources(left)).toEqual([`${fx.home}: home`, `${fx.home}: projects`, `${fx.home}: projects/cache`]);
  });
});
