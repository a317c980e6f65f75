import { chownSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, jest, test } from '@jest/globals';
import { MAX_OTHERS } from '../../src/core/subvolume-size';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, fakeInput, startXvfb } from '../support/display';
import { sh, shResult, waitFor } from '../support/exec';
import { mountLoop, unmount } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * A folder that shares its subvolume with more entries than the listing
 * names (MAX_OTHERS): setup offers to keep the others apart with their
 * whole count on the button, and doing so keeps every one of them apart,
 * asking for the listing again as the named ones drop out of it, until the
 * folder can be backed up. The folder itself stays a plain folder with its
 * files.
 */
jest.setTimeout(300_000);

const OTHERS = MAX_OTHERS + 6;
let fx: BackupFixture;
let app: AppDriver | undefined;
let shared: string;
let srv: string;
const shots = artifactsDir(REPO, 'screenshots');
const isSubvolume = (folder: string) => shResult('stat', ['-c', '%i', folder]).stdout.trim() === '256';
const team = (i: number) => path.join(srv, `team-${String(i).padStart(2, '0')}`);

afterAll(async () => {
  await app?.stop();
  await fx?.cleanup.run();
});

test('Keep the others apart, when they are more than the listing names', async () => {
  fx = await createBackupFixture();
  rmSync(fx.configPath);
  // /srv, a subvolume of the disk, holding the folder to back up and many others beside it.
  const top = path.join(fx.dir, 'srv-top');
  mountLoop(fx.cleanup, fx.source, top);
  sh('btrfs', ['subvolume', 'create', path.join(top, 'srv')]);
  unmount(top);
  srv = path.join(fx.dir, 'srv');
  mountLoop(fx.cleanup, fx.source, srv, 'srv');
  shared = path.join(srv, 'shared');
  mkdirSync(shared);
  writeFileSync(path.join(shared, 'minutes.txt'), 'Monday: nothing decided\n');
  for (let i = 1; i <= OTHERS; i++) {
    mkdirSync(team(i));
    writeFileSync(path.join(team(i), 'notes.txt'), `team ${i}\n`);
  }
  // Files beside it, which cannot be kept apart: they stay in /srv's backup, and the page says so.
  writeFileSync(path.join(srv, 'README.txt'), 'Shared folders of the office\n');
  writeFileSync(path.join(srv, 'budget.ods'), 'numbers\n');
  symlinkSync('shared', path.join(srv, 'latest'));
  const display = await startXvfb(fx.cleanup);
  const home = path.join(fx.home, fx.allowed.name);
  mkdirSync(home);
  chownSync(home, fx.allowed.uid, fx.allowed.uid);
  const userEnv = await startUserSession(fx, display, ['TZ=UTC', `HOME=${home}`]);

  app = startApp(fx, userEnv, display, shots, 'light');
  const { step } = app;
  await waitFor('the welcome page', () => app!.output().includes('rewind: page not-configured') || undefined, 30_000);
  await step('setup', undefined, 'rewind: setup page what');
  await waitFor('the sizes', () => app!.output().includes('rewind: setup sources ') || undefined, 60_000);
  await step('setup.add-source', shared, 'rewind: setup sources  blocked folders');
  await waitFor('the folder measured', async () => (await app!.texts()).some((w) => w.texts.some((t) => t.replace(/_/g, '') === `Keep the ${OTHERS} Others Apart`)) || undefined, 30_000);
  await settle();
  await app.shoot('keep-others-1-offered');
  const texts = async () => (await app!.texts()).flatMap((w) => w.texts);
  expect((await texts()).some((t) => t.endsWith('Keeping the others apart backs up the 3 files beside it too: files cannot be kept apart.'))).toBe(true);
  // The sentence is further down the page: scrolled into view with the mouse wheel.
  for (let i = 0; i < 15; i++) fakeInput(display, { click: [300, 400, 5] });
  await settle();
  await app.shoot('keep-others-1b-files-beside');

  await step('setup.keep-others-apart', shared, `rewind: setup sources ${srv} ready folders`, 240_000);
  for (let i = 1; i <= OTHERS; i++) expect([team(i), isSubvolume(team(i))]).toEqual([team(i), true]);
  expect(isSubvolume(shared)).toBe(false);
  expect(sh('cat', [path.join(shared, 'minutes.txt')])).toBe('Monday: nothing decided\n');
  expect(sh('cat', [path.join(team(OTHERS), 'notes.txt')])).toBe(`team ${OTHERS}\n`);
  // The files are as they were, plain files still, and the choice says they are backed up with the folder.
  expect([sh('cat', [path.join(srv, 'README.txt')]), readlinkSync(path.join(srv, 'latest'))]).toEqual(['Shared folders of the office\n', 'shared']);
  await settle();
  expect((await texts()).filter((t) => t.endsWith('3 files beside it are backed up too'))).toEqual([expect.stringMatching(new RegExp('^1 folder · .+ · 3 files beside it are backed up too$'))]);
  await app.shoot('keep-others-2-ready');

  // The same page, dark: the folder can be backed up as it is now, files and all.
  await app.stop();
  app = startApp(fx, userEnv, display, shots, 'dark');
  await waitFor('the welcome page', () => app!.output().includes('rewind: page not-configured') || undefined, 30_000);
  await app.step('setup', undefined, 'rewind: setup page what');
  await waitFor('the sizes', () => app!.output().includes('rewind: setup sources ') || undefined, 60_000);
  await app.step('setup.add-source', shared, `rewind: setup sources ${srv} ready folders`);
  await settle();
  await app.shoot('keep-others-3-files-beside');
});
