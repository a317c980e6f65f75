import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { parseSnapshotName } from '../../src/core/snapshot-name';
import { createBackupFixture, localSnapshot, type BackupFixture } from '../support/backup-fixture';
import { settle, startApp, technicalTexts, type AppDriver } from '../support/app-driver';
import { artifactsDir, fakeInput, resizeWindow, screenshot, startXvfb } from '../support/display';
import { sh, shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * "Restore previous versions" as a person uses it: `rewind --restore PATH`
 * for a file that was made after the first backup, changed in three
 * backups, left as it was in one, and deleted now. The real app under
 * Xvfb lists its versions with their sizes and times, the unchanged moment
 * folded, the first moment saying it did not exist; the middle version is
 * restored and compared with the snapshot, bytes and metadata. A second
 * `rewind --restore` with a relative path reaches the running app: a path
 * outside the backed-up folder says so and offers Preferences; a path typed
 * with "~" that no moment had says that; a file in a folder set apart is
 * said to be left out of backups; a path through a link to the backed-up
 * folder finds the file where the link leads. In the restore browser, files show
 * their type's icon, a file's menu opens its previous versions, and Open a
 * Copy opens the file as it was, read-only, in the default app for its type
 * (the test's own, which writes down what it opened). Light and dark, and
 * 360 px wide.
 */
jest.setTimeout(300_000);

const DAY = 86_400;
let fx: BackupFixture;
let display: string;
let userEnv: string[];
/** The backups, oldest first; the file is in 1, 2 (changed), 3 (unchanged) and 4 (changed). */
const snapshots: string[] = [];
const shots = artifactsDir(REPO, 'screenshots');
let alice: string;
let file: string;
/** What the test's default app for text files was asked to open, a line each. */
let opened: string;
const version = (n: number) => Buffer.from(`version ${n}\n`.repeat(100 * n));
const NOW = Math.floor(Date.now() / 1000);
/** Each version modified a day apart, the last one a day and an hour ago. */
const mtimeOf = (n: number) => NOW - (4 - n) * DAY - 3600;

function backUp(): void {
  const run = runBackupCli(fx);
  expect(run.ok).toBe(true);
  snapshots.push(run.transfers[0].snapshot);
}

/** Snapshot names are to the second: waits until the clock has left the newest one's second (a backup often takes longer). */
async function nextSecond(): Promise<void> {
  const newest = parseSnapshotName(snapshots.at(-1)!)!.getTime();
  while (Date.now() < newest + 1000) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  fx = await createBackupFixture();
  alice = path.join(fx.home, 'alice');
  file = path.join(alice, 'Documents/plan.txt');
  sh('chown', ['-R', `${fx.allowed.name}:${fx.allowed.name}`, alice]);
  backUp();
  let last = 0;
  for (const n of [1, 2, 2, 3]) {
    await nextSecond();
    if (n !== last) {
      last = n;
      writeFileSync(file, version(n), { mode: 0o600 });
      sh('chown', [`${fx.allowed.name}:${fx.allowed.name}`, file]);
      // The second version: its own permissions and an extended attribute, to be restored with it.
      if (n === 2) {
        sh('chmod', ['640', file]);
        sh('setfattr', ['-n', 'user.rewind.note', '-v', 'second', file]);
      }
      utimesSync(file, mtimeOf(n), mtimeOf(n));
    } else {
      // Something else changed, so this backup is made (one with no change at all is not).
      writeFileSync(path.join(alice, 'Documents/other.txt'), 'something else\n');
    }
    backUp();
  }
  rmSync(file);
  display = await startXvfb(fx.cleanup);
  // A default app for text files that writes down what it was asked to open.
  const data = path.join(fx.dir, 'user-data');
  const config = path.join(fx.dir, 'user-config');
  opened = path.join(data, 'opened.txt');
  mkdirSync(path.join(data, 'applications'), { recursive: true });
  mkdirSync(config);
  writeFileSync(path.join(data, 'record-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> ${opened}\n`, { mode: 0o755 });
  writeFileSync(path.join(data, 'applications/rewind-test-viewer.desktop'), `[Desktop Entry]\nType=Application\nName=Test viewer\nExec=${data}/record-open %f\nMimeType=text/plain;\nNoDisplay=true\n`);
  writeFileSync(path.join(config, 'mimeapps.list'), '[Default Applications]\ntext/plain=rewind-test-viewer.desktop\n');
  sh('chown', ['-R', `${fx.allowed.name}:${fx.allowed.name}`, data, config]);
  userEnv = await startUserSession(fx, display, ['TZ=UTC', `HOME=${alice}`, `XDG_DATA_HOME=${data}`, `XDG_CONFIG_HOME=${config}`]);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** The versions window's texts. */
async function versionsTexts(app: AppDriver): Promise<string[]> {
  return (await app.texts()).filter((w) => w.window.startsWith('Versions of')).flatMap((w) => w.texts);
}

/** Runs `rewind --restore ARG` in `cwd` as the person, as a second process, and its exit status. */
function restoreAgain(arg: string, cwd: string): number {
  return shResult('runuser', ['-u', fx.allowed.name, '--', 'env', '-C', cwd, ...userEnv, 'gjs', '-m', path.join(fx.dist, 'app/rewind.js'), '--restore', arg]).status ?? -1;
}

describe('rewind --restore PATH', () => {
  test('light: the versions of a deleted file, the middle one restored; a second invocation with a path outside the backups', async () => {
    // Typed in quotes, so the "~" reaches Rewind, which takes it as the home folder.
    const app = startApp(fx, userEnv, display, shots, 'light', /\busb\b/, { args: ['--restore', '~/Documents/plan.txt'] });
    try {
      await waitFor('the versions', () => /rewind: versions done .*/.exec(app.output())?.[0], 90_000);
      expect(app.output()).toContain(`rewind: versions source ${fx.home} alice/Documents/plan.txt 5`);
      const [s0, s1, s2, s3, s4] = snapshots;
      // Newest first: the third version, the second (in two moments, folded), the first, and not there at first.
      expect(app.output()).toContain(`rewind: versions done 3 version:${s4}:1 version:${s3}:2 version:${s1}:1 absent:${s0}:1`);
      await new Promise((r) => setTimeout(r, 1500));
      const texts = await versionsTexts(app);
      expect(texts).toEqual(expect.arrayContaining(['Previous Versions', 'plan.txt', 'Now', 'It is not there now. Restore a version to bring it back.', 'It did not exist then']));
      // GLib puts a no-break space between a size and its unit (\s matches it).
      const sizes = texts.filter((t) => / · modified /.test(t));
      expect(sizes).toHaveLength(3);
      expect(sizes[0]).toMatch(/^3\.\d\skB · modified (Yesterday|\d+ \w+ \d{4}) at \d\d:\d\d$/);
      // Unchanged since the moment before: its time (UTC here), with seconds when another moment shares its minute.
      const since = `${s2.slice(9, 11)}:${s2.slice(11, 13)}`;
      expect(sizes[1]).toMatch(new RegExp(`^2\\.\\d\\skB · modified \\d+ \\w+ \\d{4} at \\d\\d:\\d\\d · unchanged since (Today|Yesterday) ${since}(:\\d\\d)?$`));
      expect(sizes[2]).toMatch(/^1\.\d\skB · modified /);
      expect(texts.filter((t) => /^(Today|Yesterday) \d\d:\d\d(:\d\d)?$/.test(t)).length).toBeGreaterThanOrEqual(4);
      expect(technicalTexts(await app.texts())).toEqual([]);
      await app.shoot('versions');

      // The middle version, restored where it was.
      await app.step('versions.select', s3, `rewind: versions selection ${s3}`);
      expect(await versionsTexts(app)).toEqual(expect.arrayContaining([expect.stringMatching(/^The version of (Today|Yesterday) /)]));
      await app.shoot('versions-chosen');
      await app.step('versions.restore', undefined, 'rewind: versions restored 1 user');
      const original = path.join(localSnapshot(fx, s3), 'alice/Documents/plan.txt');
      expect(readFileSync(file).equals(version(2))).toBe(true);
      expect(readFileSync(file).equals(readFileSync(original))).toBe(true);
      const restored = statSync(file);
      expect(restored.uid).toBe(fx.allowed.uid);
      expect(restored.mode & 0o7777).toBe(0o640);
      expect(restored.mtimeMs).toBe(statSync(original).mtimeMs);
      expect(Math.floor(restored.mtimeMs / 1000)).toBe(mtimeOf(2));
      expect(sh('getfattr', ['--only-values', '-n', 'user.rewind.note', file])).toBe('second');
      // Now it is there again, and the same as the version restored.
      const after = await versionsTexts(app);
      // Now that it is there again: the icon of its type, named.
      expect(after).toContain('Plain text document');
      expect(after).toEqual(expect.arrayContaining([expect.stringMatching(/^2\.\d\skB · modified .* · the same as now$/)]));
      expect(after.some((t) => t.startsWith('Restored “plan.txt”.'))).toBe(true);
      await app.shoot('versions-restored');
      // That version's moment in the restore browser: each file with its type's icon and its menu.
      await app.step('versions.browse', s3, 'rewind: browser folder alice/Documents ');
      await app.shoot('browser-row-menus');

      // A second `rewind --restore`, relative to the folder it runs in, outside the backed-up folder: it reaches this app and exits.
      const outside = path.join(fx.dir, 'user-home');
      mkdirSync(path.join(outside, 'Notes'), { recursive: true });
      expect(restoreAgain('Notes/../Notes', outside)).toBe(0);
      await waitFor('not backed up', () => app.output().includes(`rewind: versions not-backed-up ${outside}/Notes`) || undefined, 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const notBackedUp = await versionsTexts(app);
      expect(notBackedUp).toEqual(expect.arrayContaining(['This folder is not backed up', 'Open Preferences']));
      await app.shoot('versions-not-backed-up');
      // Its button opens Preferences.
      app.activate('preferences');
      await waitFor('Preferences', async () => (await app.texts()).some((w) => w.window === 'Preferences') || undefined, 30_000);

      // A path that no restore point has, relative to the home folder.
      expect(restoreAgain('Documents/never-saved.txt', alice)).toBe(0);
      await waitFor('the versions', () => app.output().includes('rewind: versions done 0 absent:') || undefined, 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await versionsTexts(app)).toContain('Not in any restore point');
      screenshot(display, path.join(shots, 'versions-never-light.png'));

      // A folder set apart (a subvolume of its own, which every backup of the home leaves out): that is the reason given.
      const videos = path.join(alice, 'Videos');
      sh('btrfs', ['subvolume', 'create', videos]);
      writeFileSync(path.join(videos, 'clip.txt'), 'a clip\n');
      sh('chown', ['-R', `${fx.allowed.name}:${fx.allowed.name}`, videos]);
      expect(restoreAgain('Videos/clip.txt', alice)).toBe(0);
      await waitFor('the versions', () => app.count('rewind: versions done 0 absent:') >= 2 || undefined, 60_000);
      expect(app.output()).toContain(`rewind: versions left-out ${videos}`);
      await settle();
      const leftOut = await versionsTexts(app);
      expect(leftOut).toEqual(expect.arrayContaining(['Left out of backups', 'Open Preferences']));
      expect(leftOut).not.toContain('Not in any restore point');
      await app.shoot('versions-left-out');

      // A link to the folder, from outside the backed-up folder: the versions of the file where the link leads.
      symlinkSync(path.join(alice, 'Documents'), path.join(outside, 'Docs'));
      expect(restoreAgain('Docs/plan.txt', outside)).toBe(0);
      const found = `rewind: versions source ${fx.home} alice/Documents/plan.txt 5`;
      await waitFor('the versions', () => app.count(found) >= 2 || undefined, 60_000);
      expect(app.count(`rewind: versions open ${file}`)).toBe(2);
    } finally {
      await app.stop();
    }
  });

  test('dark, and 360 px wide: the versions of the file, there again now', async () => {
    const app = startApp(fx, userEnv, display, shots, 'dark', /\busb\b/, { args: ['--restore', 'plan.txt'], cwd: path.join(alice, 'Documents') });
    try {
      await waitFor('the versions', () => /rewind: versions done .*/.exec(app.output())?.[0], 90_000);
      expect(app.output()).toContain(`rewind: versions done 3 version:${snapshots[4]}:1 version:${snapshots[3]}:2`);
      await new Promise((r) => setTimeout(r, 1500));
      await app.shoot('versions');
      resizeWindow(display, 'Versions of', 360, 640);
      await new Promise((r) => setTimeout(r, 1500));
      screenshot(display, path.join(shots, 'versions-narrow-dark.png'));
      expect(technicalTexts(await app.texts())).toEqual([]);
      // A version's folder button: that moment in the restore browser, in the folder that holds the file (the first version's own).
      // Then: report.txt, notes.md and the first plan.txt; the second moment of five from the oldest.
      await app.step('versions.browse', snapshots[1], 'rewind: browser folder alice/Documents 3');
      await waitFor('the timeline', () => app.output().includes('rewind: browser timeline 5 at 3') || undefined, 30_000);
      const browser = (await app.texts()).find((w) => w.window.startsWith('Files from '))?.texts ?? [];
      // Each row has its menu: report.txt, notes.md and plan.txt.
      expect(browser.filter((t) => t === 'More actions')).toHaveLength(3);
      // Each file with the icon and the name of its type.
      expect(browser.filter((t) => t === 'Plain text document')).toHaveLength(2);
      expect(browser.filter((t) => t === 'Markdown document')).toHaveLength(1);
      await app.shoot('browser-row-menus');
      // A right click on plan.txt's row (the second; the browser is at the screen's corner, with no window manager) opens its menu.
      fakeInput(display, { click: [400, 192, 3] });
      await settle(1000);
      const menu = (await app.texts()).find((w) => w.window.startsWith('Files from '))?.texts ?? [];
      expect(menu).toEqual(expect.arrayContaining(['Open a Copy', 'Previous Versions']));
      await app.shoot('browser-row-menu-open');
      fakeInput(display, { keysym: 0xff1b });
      await settle(1000);
      // 360 px wide: each row's name, details and menu still fit.
      resizeWindow(display, 'Files from', 360, 640);
      await settle();
      screenshot(display, path.join(shots, 'browser-narrow-dark.png'));

      const now = readFileSync(file);
      // Copies from before: one made two days ago is removed with the next copy, one from an hour ago stays.
      const copies = path.join(fx.dir, 'user-runtime/rewind-copies');
      const [old, recent] = [path.join(copies, 'two-days-ago'), path.join(copies, 'an-hour-ago')];
      for (const [folder, age] of [[old, 2 * DAY], [recent, 3600]] as const) {
        mkdirSync(folder, { recursive: true, mode: 0o700 });
        writeFileSync(path.join(folder, 'seen.txt'), 'looked at\n', { mode: 0o400 });
        utimesSync(folder, NOW - age, NOW - age);
      }
      sh('chown', ['-R', `${fx.allowed.name}:${fx.allowed.name}`, copies]);
      // Open a Copy: the first version, as it was then, read-only in a private folder, in the default app for text.
      await app.step('browser.open-copy', 'alice/Documents/plan.txt', 'rewind: browser copy-opened ');
      const copy = /rewind: browser copy-opened (.*)/.exec(app.output())![1];
      const folder = path.dirname(copy);
      expect(path.dirname(folder)).toBe(path.join(fx.dir, 'user-runtime/rewind-copies'));
      expect(path.basename(copy)).toBe('plan.txt');
      expect(readFileSync(copy).equals(version(1))).toBe(true);
      expect(statSync(copy)).toMatchObject({ mode: 0o100400, uid: fx.allowed.uid });
      expect(statSync(folder)).toMatchObject({ mode: 0o40700, uid: fx.allowed.uid });
      await waitFor('the default app', () => (existsSync(opened) && readFileSync(opened, 'utf8')) || undefined, 30_000);
      expect(readFileSync(opened, 'utf8')).toBe(`${copy}\n`);
      expect(existsSync(old)).toBe(false);
      expect(existsSync(path.join(recent, 'seen.txt'))).toBe(true);
      // The file itself stays as it is now.
      expect(readFileSync(file).equals(now)).toBe(true);
      const toast = (await app.texts()).find((w) => w.window.startsWith('Files from '))?.texts ?? [];
      expect(toast).toContain('Opened a read-only copy of “plan.txt”. Restore it to keep it.');
      await app.shoot('browser-copy-opened');

      // Previous Versions in a row's menu: the versions window for that file, which no backup changed.
      await app.step('browser.versions', 'alice/Documents/report.txt', `rewind: versions done 1 version:${snapshots[4]}:5`);
      expect(app.output()).toContain(`rewind: versions open ${alice}/Documents/report.txt`);
      await settle();
      const report = (await app.texts()).find((w) => w.window === 'Versions of “report.txt”')?.texts ?? [];
      expect(report).toEqual(expect.arrayContaining(['Previous Versions', 'report.txt', expect.stringMatching(/ · unchanged since /)]));
      await app.shoot('versions-from-browser');
    } finally {
      await app.stop();
    }
  });
});

describe('find across time', () => {
  test('light: a file deleted two moments ago is found with its moment, after a name in the newest and one kept only on the backup disk; its hit shows that moment and folder', async () => {
    // plan.txt goes; a new name with "plan" in it comes: two more backups, the second with plan.txt gone for two moments.
    rmSync(file, { force: true });
    writeFileSync(path.join(alice, 'Documents/plan-b.txt'), 'the next plan\n');
    // A name in the first of them only, whose local snapshot is deleted below: it is only on the disk.
    writeFileSync(path.join(alice, 'Documents/planning-notes.txt'), 'notes\n');
    sh('chown', [`${fx.allowed.name}:${fx.allowed.name}`, path.join(alice, 'Documents/plan-b.txt'), path.join(alice, 'Documents/planning-notes.txt')]);
    await nextSecond();
    backUp();
    await nextSecond();
    rmSync(path.join(alice, 'Documents/planning-notes.txt'));
    writeFileSync(path.join(alice, 'Documents/other.txt'), 'something else again\n');
    backUp();
    const newest = snapshots.at(-1)!;
    const diskOnly = snapshots.at(-2)!;
    const had = snapshots.at(-3)!;
    await withTopLevel(fx, fx.source, (top) => sh('btrfs', ['subvolume', 'delete', path.join(top, '.rewind/home', diskOnly)]));
    const app = startApp(fx, userEnv, display, shots, 'light');
    try {
      await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30_000);
      await app.step('browse-point', JSON.stringify({ from: 'local', snapshot: newest, source: fx.home }), 'rewind: browser folder ');
      await waitFor('the timeline', () => app.output().includes(`rewind: browser timeline ${snapshots.length} at 0`) || undefined, 30_000);
      await app.step('browser.every-moment', undefined, 'rewind: browser every-moment true');
      await app.step('browser.search', 'PLAN', 'rewind: browser search-moments ');
      // Newest first: the name in the newest moment, the one only on the disk, then plan.txt in the last moment that had it; every moment searched.
      expect(app.output()).toContain(
        `rewind: browser search-moments ${snapshots.length}/${snapshots.length} ${newest}:alice/Documents/plan-b.txt usb/${diskOnly}:alice/Documents/planning-notes.txt ${had}:alice/Documents/plan.txt\n`,
      );
      const hhmm = `${had.slice(9, 11)}:${had.slice(11, 13)}`;
      const texts = (await app.texts()).find((w) => w.window.startsWith('Files from '))?.texts ?? [];
      expect(texts).toEqual(
        expect.arrayContaining(['plan-b.txt', 'planning-notes.txt', 'plan.txt', `Today ${hhmm} · in alice/Documents`, 'Names containing “PLAN” in every moment here and on backup disks']),
      );
      expect(texts).toContain(`Today ${diskOnly.slice(9, 11)}:${diskOnly.slice(11, 13)} · in alice/Documents · only on a backup disk`);
      expect(texts.indexOf('plan-b.txt')).toBeLessThan(texts.indexOf('planning-notes.txt'));
      expect(texts.indexOf('planning-notes.txt')).toBeLessThan(texts.indexOf('plan.txt'));
      await app.shoot('browser-every-moment');
      // The hit: that moment, in the folder that held it, plan.txt there.
      await app.step('browser.open-moment', JSON.stringify({ snapshot: had, folder: 'alice/Documents' }), 'rewind: browser folder alice/Documents ');
      expect(app.output()).toContain(`rewind: browser moment 2 local ${had}`);
      const shown = (await app.texts()).find((w) => w.window.startsWith('Files from '));
      expect(shown?.window).toBe(`Files from Today ${hhmm}`);
      expect(shown?.texts).toContain('plan.txt');
      expect(shown?.texts).not.toContain('plan-b.txt');
      await app.shoot('browser-every-moment-hit');
      // The hit only on the disk: its moment, read on the disk, with the file.
      await app.step('browser.open-moment', JSON.stringify({ snapshot: diskOnly, from: 'usb', folder: 'alice/Documents' }), 'rewind: browser folder alice/Documents ');
      expect(app.output()).toContain(`rewind: browser moment 1 usb ${diskOnly}`);
      expect((await app.texts()).find((w) => w.window.startsWith('Files from '))?.texts).toContain('planning-notes.txt');
    } finally {
      await app.stop();
    }
  });
});
