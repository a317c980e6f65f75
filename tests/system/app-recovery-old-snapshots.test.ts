import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { startApp, type AppDriver } from '../support/app-driver';
import { sh, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { mountLoop, unmount } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';

/**
 * "I reinstalled; the old disk is plugged in", in the app: the old system
 * disk keeps the snapshots two backup runs took of its home, and its
 * installation calls itself "oldbox". Restore from a Backup lists them by
 * that name, says in words that they are snapshots kept on the old
 * computer's disk, and offers to restore from them but not to keep backing
 * up there.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let found: FoundBackups;
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  fx = await createBackupFixture();
  const top = path.join(fx.dir, 'old-top');
  mountLoop(fx.cleanup, fx.source, top);
  sh('btrfs', ['subvolume', 'create', path.join(top, 'root')]);
  mkdirSync(path.join(top, 'root/etc'));
  writeFileSync(path.join(top, 'root/etc/hostname'), 'oldbox\n');
  unmount(top);
  writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, path: 'rewind', label: 'Blue disk' }], {
    retention: { local: { preset: 'keep-all' }, destinations: { preset: 'keep-all' } },
  });
  for (let i = 0; i < 2; i++) {
    writeFileSync(path.join(fx.home, `alice/Documents/day-${i}.txt`), `day ${i}\n`);
    expect(runBackupCli(fx).ok).toBe(true);
  }
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  unmount(fx.home);

  const [file, ...args] = fx.helperCli(['discover', '--json']);
  const discovery = JSON.parse(spawnSync(file, args, { encoding: 'utf8' }).stdout) as Discovery;
  found = discovery.found.find((f) => f.disk.uuid === fx.source.uuid)!;
  expect(found).toMatchObject({ kind: 'snapshots', host: 'oldbox' });
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

async function texts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).flatMap((w) => w.texts);
}

test("the old disk's snapshots are listed by the old computer's name, and restored from, not backed up to", async () => {
  const app = startApp(fx, userEnv, display, shots, 'light');
  try {
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    await app.step('recover', undefined, 'rewind: recover found');
    await app.shoot('recover-found-old-disk');
    const listed = await texts(app);
    expect(listed).toContain('oldbox');
    expect(listed).toContain('On source');
    // No size: the space the old system takes says nothing of its snapshots.
    expect(listed.some((t) => /^Snapshots kept on the old computer’s disk · Home folders · 2 restore points, from .+ to [^·]+$/.test(t))).toBe(true);

    await app.step('recover.choose', found.id, 'rewind: recover page point');
    await app.shoot('recover-point-old-disk');
    const point = await texts(app);
    expect(point).toContain('Snapshots kept on the old computer’s disk');
    expect(point).toContain('Restore everything');
    expect(point).toContain('Choose files and folders');
    expect(point).not.toContain('Keep backing up to this disk');

    await app.step('recover.restore-all', undefined, 'rewind: recover page confirm');
    await app.shoot('recover-confirm-old-disk');
    expect((await texts(app)).some((t) => t.startsWith('Replace /home with the files of the time you chose?'))).toBe(true);
  } finally {
    await app.stop();
  }
});
