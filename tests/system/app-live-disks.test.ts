import { chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { waitFor } from '../support/exec';
import { createLoopBtrfs, detachLoop, mountLoop } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';

/**
 * The list of disks in setup follows disks as they come and go, with no
 * refresh button: a disk plugged in while the list is shown (a loop device,
 * mounted where the desktop mounts a USB disk, /run/media/USER/LABEL) joins
 * the backup disks, and leaves when it is taken out. The real app in Xvfb as
 * an ordinary user and the real helper's ListDisks; nothing but the disk
 * itself tells the app to look again.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  fx = await createBackupFixture();
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('live disk list', () => {
  for (const style of ['light', 'dark'] as const) {
    test(`${style}: a disk plugged in while Add Destination shows the disks appears, and goes when taken out`, async () => {
      const driver = (app = startApp(fx, userEnv, display, shots, style));
      await waitFor('the main page', () => driver.output().includes('rewind: page ready') || undefined, 30_000);
      const lists = () => driver.output().split('\n').filter((l) => l.startsWith('rewind: setup disks'));
      driver.activate('add-destination');
      await waitFor('the disks', () => lists().length > 0 || undefined, 60_000);
      await settle();
      const first = lists().length;

      const label = `plugged-${style}`;
      const disk = createLoopBtrfs(fx.cleanup, fx.dir, label, 128);
      expect(lists().at(-1)).not.toContain(disk.device);
      // As the desktop mounts a USB disk for the person.
      const media = path.join('/run/media', fx.allowed.name);
      mkdirSync(media, { recursive: true });
      chownSync(media, fx.allowed.uid, fx.allowed.uid);
      mountLoop(fx.cleanup, disk, path.join(media, label));
      await waitFor('the plugged disk in the list', () => (lists().length > first && lists().at(-1)!.includes(`${disk.device}=btrfs`)) || undefined, 30_000);
      await settle();
      const texts = (await driver.texts()).find((w) => w.window === 'Add Destination')?.texts ?? [];
      expect(texts).toContain(label);
      await driver.shoot(`live-disks-plugged`);

      const before = lists().length;
      detachLoop(disk.device);
      await waitFor('the disk gone from the list', () => (lists().length > before && !lists().at(-1)!.includes(disk.device)) || undefined, 30_000);
      await settle();
      expect((await driver.texts()).find((w) => w.window === 'Add Destination')?.texts ?? []).not.toContain(label);
    });
  }
});
