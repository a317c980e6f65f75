import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { createBackupFixture, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, fakeInput, startXvfb } from '../support/display';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { waitFor } from '../support/exec';
import { REPO } from '../support/system-bus';

/**
 * How long each destination keeps its backups, chosen in Preferences (Old
 * Backups) rather than written in the configuration file: a backup disk and
 * a folder, one set to "Small disk" while the other stays like the others,
 * then set back; and the copies kept on this computer set to keep all of
 * them, then back. The real app in Xvfb as an ordinary user, the real helper's
 * SetConfig (the configuration file really changes); light and dark.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');
const config = () => JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;

beforeAll(async () => {
  fx = await createBackupFixture();
  const folder = path.join(fx.dir, 'folder-backups');
  mkdirSync(folder);
  writeFixtureConfig(fx, [
    { id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' },
    { id: 'shelf', kind: 'files', path: folder, label: 'Shelf folder' },
  ]);
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

describe('retention per destination', () => {
  for (const style of ['light', 'dark'] as const) {
    test(`${style}: a destination set to keep less than the others, then like them again`, async () => {
      const a = (app = startApp(fx, userEnv, display, shots, style, /\b(usb|shelf)\b/));
      await waitFor('the main page', () => a.output().includes('rewind: page ready') || undefined, 30_000);
      a.activate('preferences');
      await waitFor('Preferences', async () => ((await a.texts()).some((w) => w.window === 'Preferences') ? true : undefined), 30_000);
      a.activate('prefs.show-page', 'retention');
      await settle();
      const prefs = async () => (await a.texts()).find((w) => w.window === 'Preferences')?.texts ?? [];
      expect(await prefs()).toEqual(expect.arrayContaining(['Each destination', 'Test backup disk', 'Shelf folder', 'Like the other destinations']));

      expect((await prefs()).filter((t) => t === 'Small disk')).toHaveLength(1);
      const saved = 'rewind: config saved';
      await a.step('prefs.destination-retention', 'shelf=frugal', saved);
      expect(config().destinations.map((d) => [d.id, d.retention])).toEqual([
        ['usb', undefined],
        ['shelf', { preset: 'frugal' }],
      ]);
      // The folder's row says its choice, beside the named choice above of the same words.
      const smallDisk = async () => (await prefs()).filter((t) => t === 'Small disk').length;
      await waitFor('the choice on screen', async () => ((await smallDisk()) === 2 ? true : undefined), 10_000);
      await a.shoot('preferences-retention-each');

      await a.step('prefs.destination-retention', 'shelf=default', saved);
      expect(config().destinations.every((d) => d.retention === undefined)).toBe(true);

      // The copies kept on this computer: named choices, each with its line, the configuration's (or the default) chosen.
      expect(await prefs()).toEqual(expect.arrayContaining(['Copies kept on this computer', 'Half a year', 'Five years', 'All of them']));
      expect(await prefs()).toContain('Never delete copies on this computer, unless its disk runs low on space: then the oldest go first');
      expect(await prefs()).not.toContain('As set in the configuration file');
      expect(a.output()).toContain('rewind: prefs local retention shows frugal');
      const shown = a.count('rewind: prefs local retention shows keep-all');
      await a.step('prefs.local-retention', 'keep-all', saved);
      expect(config().retention?.local).toEqual({ preset: 'keep-all' });
      expect(config().retention?.destinations).toBeUndefined();
      await waitFor('the choice on screen', () => (a.count('rewind: prefs local retention shows keep-all') > shown ? true : undefined), 10_000);
      // The page's end, where the copies kept on this computer are: the wheel, over the page.
      for (let i = 0; i < 12; i++) fakeInput(display, { click: [300, 400, 5] });
      await settle();
      await a.shoot('preferences-retention-local');
      await a.step('prefs.local-retention', 'frugal', saved);
      expect(config().retention?.local).toEqual({ preset: 'frugal' });
      expect(a.output()).not.toMatch(/rewind: config failed/);
    });
  }
});
