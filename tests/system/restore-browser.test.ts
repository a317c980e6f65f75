import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ACTIONS, APP_ID } from '../../src/core/ids';
import { parseSnapshotName } from '../../src/core/snapshot-name';
import type { FolderListing, SearchResult, WhatChangedResult } from '../../src/core/browse-request';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { Cleanup } from '../support/cleanup';
import { createTestUser, type TestUser } from '../support/test-user';
import { artifactsDir, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { callAs, comparable, inSnapshot } from '../support/browse-calls';
import { withTopLevel } from '../support/inspection';
import { REPO } from '../support/system-bus';
import { screenDigest, stillScreen } from '../support/still-screen';
import { startUserSession } from '../support/user-session';
import { actionEnabled, actionObject, technicalTexts } from '../support/app-driver';

/**
 * The restore browser's helper methods over D-Bus: the real helper
 * on a private system bus with the real polkitd, two non-root users, two real
 * backups. What ListFolder, Search and WhatChanged answer is compared with
 * the snapshot itself (lstat as root), and what a user may not read in the
 * snapshot stays hidden from them. Then the real app in Xvfb, driven through
 * its actions over org.gtk.Actions as its buttons are: the timeline, a
 * point's files, a search, what changed, and a deleted file restored; Restore
 * from the main page, one moment once however many copies it has, stepping
 * to the earlier moment and back in the same folder; each page photographed
 * in the light and the dark style.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let first: string;
let second: string;
let userA: string;
let userB: string;
let outsider: TestUser;
const users = new Cleanup();

const call = <T>(user: string, method: string, request: object) => callAs<T>(fx, user, method, request);

beforeAll(async () => {
  // The second user may read its own files too (restore-own-files), nothing more; a third may not browse at all.
  outsider = createTestUser(users, 'rwo');
  fx = await createBackupFixture({
    extraRules: (_allowed, denied) => [
      { user: denied.name, action: ACTIONS.restoreOwnFiles, result: 'YES' },
      { user: outsider.name, action: ACTIONS.restoreOwnFiles, result: 'NO' },
    ],
  });
  userA = fx.allowed.name;
  userB = fx.denied.name;
  sh('chown', ['-R', `${userA}:${userA}`, path.join(fx.home, 'alice')]);
  mkdirSync(path.join(fx.home, 'bob'), { mode: 0o700 });
  writeFileSync(path.join(fx.home, 'bob/secret-report.txt'), 'only for bob\n', { mode: 0o600 });
  sh('chown', ['-R', `${userB}:${userB}`, path.join(fx.home, 'bob')]);
  sh('chmod', ['700', path.join(fx.home, 'bob')]);
  const one = runBackupCli(fx);
  expect(one.ok).toBe(true);
  first = one.transfers[0].snapshot;

  // Between the two points: one of each change, in alice's folder and in bob's.
  writeFileSync(path.join(fx.home, 'alice/Documents/new idea.txt'), 'a new idea\n');
  writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'edited\n');
  renameSync(path.join(fx.home, 'alice/Documents/notes.md'), path.join(fx.home, 'alice/Documents/notes-renamed.md'));
  rmSync(path.join(fx.home, 'alice/.bashrc'));
  writeFileSync(path.join(fx.home, 'bob/diary-report.txt'), 'private\n');
  // Snapshot names are to the second: the second point a second or more after the first (a backup often takes longer).
  const firstTaken = parseSnapshotName(first)!.getTime();
  while (Date.now() < firstTaken + 1000) await new Promise((r) => setTimeout(r, 50));
  const two = runBackupCli(fx);
  expect(two.ok).toBe(true);
  second = two.transfers[0].snapshot;
});

afterAll(async () => {
  await fx?.cleanup.run();
  await users.run();
});

describe('ListFolder', () => {
  test.each([
    ['local', ''],
    ['local', 'alice'],
    ['local', 'alice/Documents'],
    ['usb', 'alice/Pictures'],
  ])('from %s, %j: exactly what is in the snapshot, with sizes, modes and times', async (from, folder) => {
    const answer = call<FolderListing>(userA, 'ListFolder', { from, snapshot: second, path: folder });
    expect(answer.error).toBeUndefined();
    const expected = await inSnapshot(fx, second, folder);
    expect(expected.length).toBeGreaterThan(0);
    expect(comparable(answer.result!.entries)).toEqual(comparable(expected));
    // Folders first.
    const kinds = answer.result!.entries.map((e) => e.kind === 'folder');
    expect(kinds).toEqual([...kinds].sort((a, b) => Number(b) - Number(a)));
  });

  test('a link is shown as a link with its target, and is not a folder to open', () => {
    const answer = call<FolderListing>(userA, 'ListFolder', { from: 'local', snapshot: second, path: 'alice' });
    expect(answer.result!.entries.find((e) => e.name === 'latest-report')).toMatchObject({ kind: 'link', target: 'Documents/report.txt' });
    const open = call<FolderListing>(userA, 'ListFolder', { from: 'local', snapshot: second, path: 'alice/latest-report' });
    expect(open.error?.message).toContain('is a symbolic link in this restore point');
  });

  test("another user's private folder is refused, not shown as root sees it", () => {
    const answer = call<FolderListing>(userA, 'ListFolder', { from: 'local', snapshot: second, path: 'bob' });
    expect(answer.result).toBeUndefined();
    expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    expect(answer.error?.message).toContain('may not read “bob” in this restore point');
    // Its owner sees it.
    const own = call<FolderListing>(userB, 'ListFolder', { from: 'local', snapshot: second, path: 'bob' });
    expect(own.result?.entries.map((e) => e.name).sort()).toEqual(['diary-report.txt', 'secret-report.txt']);
  });

  test.each([
    ['../etc', /path: must not contain "\.\."/],
    ['alice/../../etc', /path: must not contain "\.\."/],
    ['/etc', /path: must be relative/],
  ])('refuses the path %j', (folder, message) => {
    const answer = call<FolderListing>(userA, 'ListFolder', { from: 'local', snapshot: second, path: folder });
    expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');
    expect(answer.error?.message).toMatch(message);
  });

  test('a caller polkit refuses is refused before its request is even read', () => {
    for (const method of ['ListFolder', 'Search', 'WhatChanged']) {
      const answer = call(outsider.name, method, { from: 'local', snapshot: second, path: '../etc' });
      expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    }
  });

  test('a folder that is not there, and a point that is not there', () => {
    expect(call(userA, 'ListFolder', { from: 'local', snapshot: second, path: 'alice/Nope' }).error?.message).toContain('There is no “alice/Nope” in this restore point');
    expect(call(userA, 'ListFolder', { from: 'local', snapshot: '20200101T000000Z', path: '' }).error?.message).toContain('There is no snapshot or backup 20200101T000000Z');
  });
});

describe('Search', () => {
  test('finds names containing the text, any case, only where the caller may read', () => {
    const answer = call<SearchResult>(userA, 'Search', { from: 'usb', snapshot: second, pattern: 'REPORT' });
    expect(answer.error).toBeUndefined();
    expect(answer.result!.entries.map((e) => e.path).sort()).toEqual(['alice/Documents/report.txt', 'alice/latest-report']);
    expect(answer.result!.truncated).toBe(false);
    expect(answer.result!.unreadable).toBe(1);
    const own = call<SearchResult>(userB, 'Search', { from: 'usb', snapshot: second, pattern: 'report' });
    expect(own.result!.entries.map((e) => e.path)).toEqual(expect.arrayContaining(['bob/secret-report.txt', 'bob/diary-report.txt']));
  });

  test('with a limit, says there were more; a wildcard is just a character', () => {
    const answer = call<SearchResult>(userA, 'Search', { from: 'local', snapshot: second, pattern: 'e', limit: 2 });
    expect(answer.result!.entries).toHaveLength(2);
    expect(answer.result!.truncated).toBe(true);
    expect(call<SearchResult>(userA, 'Search', { from: 'local', snapshot: second, pattern: '*' }).result!.entries).toEqual([]);
  });

  test('refuses a pattern with "/" and a start folder with ".."', () => {
    expect(call(userA, 'Search', { from: 'local', snapshot: second, pattern: '../x' }).error?.message).toMatch(/pattern: must be part of a name/);
    expect(call(userA, 'Search', { from: 'local', snapshot: second, pattern: 'x', path: '..' }).error?.message).toMatch(/path: must not contain "\.\."/);
  });
});

describe('WhatChanged', () => {
  test('lists what was created, modified, renamed and deleted since the previous point, without what the caller may not read', () => {
    for (const from of ['local', 'usb']) {
      const answer = call<WhatChangedResult>(userA, 'WhatChanged', { from, snapshot: second });
      expect(answer.error).toBeUndefined();
      const r = answer.result!;
      expect(r.previous).toBe(first);
      const list = r.changes.map((c) => `${c.kind} ${c.from ? `${c.from} -> ` : ''}${c.path}`);
      expect(list).toEqual(
        expect.arrayContaining([
          'created alice/Documents/new idea.txt',
          'modified alice/Documents/report.txt',
          'renamed alice/Documents/notes.md -> alice/Documents/notes-renamed.md',
          'deleted alice/.bashrc',
        ]),
      );
      expect(list.join('\n')).not.toContain('bob/');
      expect(r.hidden).toBe(1);
    }
    const bob = call<WhatChangedResult>(userB, 'WhatChanged', { from: 'local', snapshot: second });
    expect(bob.result!.changes.map((c) => c.path)).toContain('bob/diary-report.txt');
  });

  test('the first point has nothing to compare with', () => {
    const answer = call<WhatChangedResult>(userA, 'WhatChanged', { from: 'local', snapshot: first });
    expect(answer.result).toEqual({ changes: [], hidden: 0 });
  });
});

describe('the restore browser in the app', () => {
  let display: string;
  let userEnv: string[];
  const shots = artifactsDir(REPO, 'screenshots');
  let app: ReturnType<typeof startProcess> | undefined;

  beforeAll(async () => {
    display = await startXvfb(fx.cleanup);
    userEnv = await startUserSession(fx, display, ['TZ=UTC']);
  });

  afterEach(async () => {
    if (app && process.env.REWIND_SHOW_APP_OUTPUT) console.log(app.output());
    if (app) await stopProcess(app.child);
    app = undefined;
  });

  const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

  function activate(action: string, parameter?: string): void {
    const target = parameter === undefined ? '[]' : `[<'${parameter}'>]`;
    const { objectPath, name } = actionObject(action);
    sh('runuser', ['-u', userA, '--', 'env', ...userEnv, 'gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', 'org.gtk.Actions.Activate', name, target, '{}']);
  }

  function startApp(style: 'light' | 'dark', env: string[] = []) {
    const started = startProcess('runuser', ['-u', userA, '--', 'env', ...userEnv, ...env, ...(style === 'dark' ? ['ADW_DEBUG_COLOR_SCHEME=prefer-dark'] : []), 'gjs', '-m', path.join(fx.dist, 'app/rewind.js')]);
    fx.cleanup.add('stop the app', () => stopProcess(started.child));
    app = started;
    const count = (line: string) => started.output().split('\n').filter((l) => l.startsWith(line)).length;
    /** Activates an action and waits for a new line starting with `line`. */
    const step = async (action: string, parameter: string | undefined, line: string) => {
      const before = count(line);
      // An action activated while disabled does nothing: wait until it can be pressed.
      await waitFor(`${action} enabled`, () => actionEnabled(userA, userEnv, action) || undefined, 60_000);
      const screen = screenDigest(display);
      activate(action, parameter);
      await waitFor(line, () => count(line) > before || /rewind: browser \S+-failed .*/.exec(started.output())?.[0], 60_000);
      expect(started.output()).not.toMatch(/rewind: browser \S+-failed/);
      // Drawn: the screen changed and stopped changing.
      await stillScreen(display, 1500, screen);
    };
    const shoot = (name: string) => {
      const file = path.join(shots, `restore-browser-${name}-${style}.png`);
      screenshot(display, file);
      const { mean, spread } = windowBrightness(file);
      expect(spread).toBeGreaterThan(0.02);
      if (style === 'light') expect(mean).toBeGreaterThan(0.6);
      else expect(mean).toBeLessThan(0.35);
    };
    /** Every text on screen now, by window title (app.trace-texts). */
    const texts = async () => {
      const lines = () => started.output().split('\n').slice(0, -1).filter((l) => l.startsWith('rewind: texts '));
      const before = lines().length;
      activate('trace-texts');
      await waitFor('the texts on screen', () => lines().length > before || undefined, 10_000);
      return JSON.parse(lines().at(-1)!.slice('rewind: texts '.length)) as Array<{ window: string; texts: string[] }>;
    };
    return { app: started, step, shoot, texts };
  }

  async function browse(style: 'light' | 'dark') {
    const session = startApp(style);
    const { app: started, step, shoot } = session;
    await waitFor('the main page', () => started.output().includes('rewind: page ready') || undefined, 30_000);
    const main = screenDigest(display);
    activate('restore-points');
    await waitFor('the restore points', () => /rewind: restore points (\d+)/.exec(started.output())?.[1], 60_000);
    // Two snapshots here and two backups on the disk.
    expect(started.output()).toContain('rewind: restore points 4');
    await stillScreen(display, 1500, main);
    shoot('timeline');
    const point = JSON.stringify({ from: 'local', snapshot: second, source: fx.home, where: 'This computer' });
    await step('browse-point', point, 'rewind: browser folder . ');
    await step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents 3');
    shoot('files');
    await step('browser.open-folder', 'alice', 'rewind: browser folder alice ');
    shoot('breadcrumb');
    await step('browser.search', 'report', 'rewind: browser search 2');
    shoot('search');
    await step('browser.search', 'no such name', 'rewind: browser search 0');
    shoot('search-empty');
    await step('browser.search', '', 'rewind: browser search cleared');
    await step('browser.view', 'changes', 'rewind: browser changes ');
    expect(Number(/rewind: browser changes (\d+)/.exec(started.output())?.[1])).toBeGreaterThanOrEqual(4);
    shoot('changes');
    await step('browser.view', 'files', 'rewind: browser view files');
    return session;
  }

  test('in the dark style: the timeline, a point, a search and what changed', async () => {
    await browse('dark');
  });

  test('restores a deleted file to its place, as the user, equal to the snapshot', async () => {
    const live = path.join(fx.home, 'alice/Pictures/holiday.raw');
    rmSync(live);
    const { step, shoot } = await browse('light');
    await step('browser.open-folder', 'alice/Pictures', 'rewind: browser folder alice/Pictures 1');
    await step('browser.select', 'alice/Pictures/holiday.raw', 'rewind: browser selection 1');
    shoot('selected');
    await step('browser.restore', undefined, 'rewind: browser restored 1 user');
    shoot('restored');
    expect(existsSync(live)).toBe(true);
    const restored = statSync(live);
    expect(restored.uid).toBe(fx.allowed.uid);
    await withTopLevel(fx, fx.source, (top) => {
      const original = path.join(top, '.rewind/home', second, 'alice/Pictures/holiday.raw');
      expect(readFileSync(live).equals(readFileSync(original))).toBe(true);
      expect(restored.mode).toBe(statSync(original).mode);
      expect(restored.mtimeMs).toBe(statSync(original).mtimeMs);
    });

    // Into a folder the user chose (the file dialog's answer goes to the same action).
    const into = path.join(fx.home, 'alice/Restored');
    mkdirSync(into);
    sh('chown', [`${userA}:${userA}`, into]);
    await step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents 3');
    await step('browser.select', 'alice/Documents/new idea.txt', 'rewind: browser selection 1');
    await step('browser.restore-into', into, 'rewind: browser restored 1 user');
    shoot('restored-into');
    await withTopLevel(fx, fx.source, (top) => {
      expect(readFileSync(path.join(into, 'new idea.txt'))).toEqual(readFileSync(path.join(top, '.rewind/home', second, 'alice/Documents/new idea.txt')));
    });
    expect(statSync(path.join(into, 'new idea.txt')).uid).toBe(fx.allowed.uid);

    // What changed lists alice/.bashrc as deleted since the first point: Restore on its row brings it back from there.
    const bashrc = path.join(fx.home, 'alice/.bashrc');
    expect(existsSync(bashrc)).toBe(false);
    await step('browser.view', 'changes', 'rewind: browser view changes');
    shoot('changes-deleted');
    await step('browser.restore-deleted', 'alice/.bashrc', 'rewind: browser restored 1 user');
    await withTopLevel(fx, fx.source, (top) => {
      const original = path.join(top, '.rewind/home', first, 'alice/.bashrc');
      expect(readFileSync(bashrc).equals(readFileSync(original))).toBe(true);
      expect(statSync(bashrc).mtimeMs).toBe(statSync(original).mtimeMs);
    });
    expect(statSync(bashrc).uid).toBe(fx.allowed.uid);
    await step('browser.view', 'files', 'rewind: browser view files');

    // Restore to…: the folder chooser opens (GTK's own dialog; the app stops with it open).
    await step('browser.select', 'alice/Documents/report.txt', 'rewind: browser selection 1');
    await step('browser.restore-to', undefined, 'rewind: browser choosing a folder');
    shoot('choose-folder');
    console.log(`screenshots: ${shots}`);
  });

  /**
   * As a person finds it: Restore on the main page, the timeline where each
   * moment is listed once, the browser at their own home folder (HOME is
   * alice's folder in /home here), Earlier and Later in the same folder, a
   * folder that was not there then, and a file restored from the earlier moment.
   */
  test.each(['dark', 'light'] as const)('%s: Restore from the main page, one timeline, stepping in time in the same folder', async (style) => {
    const { app: started, step, shoot, texts } = startApp(style, [`HOME=${path.join(fx.home, 'alice')}`]);
    await waitFor('the main page', () => started.output().includes('rewind: page ready') || undefined, 30_000);
    const main = (await texts()).find((w) => w.window === 'Rewind')?.texts ?? [];
    expect(main).toContain('Restore…');
    // The main page's Restore button names this action.
    await step('restore-points', undefined, 'rewind: restore points ');
    // Two snapshots, each also on the disk: four copies, two moments.
    expect(started.output()).toContain('rewind: restore points 4 in 2 moments');
    const timeline = (await texts()).find((w) => w.window === 'Restore Points')?.texts ?? [];
    expect(timeline).toContain('Today');
    expect(timeline.filter((t) => t === 'On this computer, Test backup disk')).toHaveLength(2);
    expect(timeline.join('\n')).not.toMatch(/ on this computer|\/home/);
    expect(technicalTexts(await texts(), /\busb\b/)).toEqual([]);
    shoot('timeline-merged');

    // Opened from the timeline's newest moment: at the person's home folder, not at everyone's.
    const point = JSON.stringify({ from: 'local', snapshot: second, source: fx.home, where: 'This computer' });
    await step('browse-point', point, 'rewind: browser timeline 2 at 0');
    await waitFor('the home folder', () => started.output().includes('rewind: browser folder alice ') || undefined, 30_000);
    expect(started.output()).not.toContain('rewind: browser folder . ');
    await step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents 3');
    const titles = async () => (await texts()).map((w) => w.window).filter((t) => t.startsWith('Files from'));
    const newest = await titles();
    expect(newest).toEqual([expect.stringMatching(/^Files from (Today|Yesterday) \d\d:\d\d$/)]);

    // Earlier: the same folder as it was then (no "new idea.txt", notes.md under its old name).
    await step('browser.older', undefined, 'rewind: browser folder alice/Documents 2');
    expect(started.output()).toContain(`rewind: browser moment 1 local ${first}`);
    const earlier = await titles();
    expect(earlier).toEqual([expect.stringMatching(/^Files from (Today|Yesterday) \d\d:\d\d$/)]);
    // Said when it was made: the title changes with the moment (the two were made a second or more apart, maybe in one minute).
    expect(technicalTexts(await texts(), /\busb\b/)).toEqual([]);
    shoot('earlier');
    // Nothing earlier than the first: the step is disabled and does nothing.
    activate('browser.older');
    await settle(1000);
    expect(started.output().split('rewind: browser moment ').length).toBe(2);
    await step('browser.newer', undefined, 'rewind: browser folder alice/Documents 3');
    expect(started.output()).toContain(`rewind: browser moment 0 local ${second}`);

    // A folder that is not in the moment shown: said so, not an empty page.
    await step('browser.open-folder', 'alice/Nope', 'rewind: browser folder-missing alice/Nope');
    const missing = (await texts()).flatMap((w) => w.texts);
    expect(missing).toContain('This folder did not exist then');
    shoot('not-there');
    if (style === 'dark') return;

    // notes.md was renamed after the first moment: restored from there, beside the renamed one.
    await step('browser.open-folder', 'alice/Documents', 'rewind: browser folder alice/Documents 3');
    await step('browser.older', undefined, 'rewind: browser folder alice/Documents 2');
    await step('browser.select', 'alice/Documents/notes.md', 'rewind: browser selection 1');
    await step('browser.restore', undefined, 'rewind: browser restored 1 user');
    shoot('restored-earlier');
    const restored = path.join(fx.home, 'alice/Documents/notes.md');
    expect(statSync(restored).uid).toBe(fx.allowed.uid);
    await withTopLevel(fx, fx.source, (top) => {
      expect(readFileSync(restored).equals(readFileSync(path.join(top, '.rewind/home', first, 'alice/Documents/notes.md')))).toBe(true);
    });
    expect(existsSync(path.join(fx.home, 'alice/Documents/notes-renamed.md'))).toBe(true);
  });
});
