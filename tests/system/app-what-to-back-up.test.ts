import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { APP_ID } from '../../src/core/ids';
import { subvolumeDirName } from '../../src/core/snapshot-name';
import type { RunRecord } from '../../src/core/status';
import { startApp, type AppDriver } from '../support/app-driver';
import { createBackupFixture, inspect, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, fakeInput, startXvfb } from '../support/display';
import { sh, shResult, waitFor } from '../support/exec';
import { screenDigest, stillScreen } from '../support/still-screen';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * What to back up, chosen in the app as a person would, on real btrfs:
 * /home (the fixture's home subvolume) holds the person's own home (a plain
 * folder, beside another one, alice), a systemd-homed style home
 * (`NAME.homedir`, a subvolume, for a user of the user database) and, inside
 * the person's home, a folder kept apart (a nested subvolume, Projects).
 * Setup offers "My home folder", says why it cannot be backed up as it is
 * and keeps the other folder apart; the person adds Projects and leaves
 * their caches out; the backup holds their home and nobody else's, Projects
 * on its own, no caches; the restore browser shows Projects' files.
 * A folder typed as "~/Documents" is offered the same ways forward.
 * Preferences then switches to all users' homes and includes the caches
 * again: the homed home is backed up too and its files are shown, and the
 * caches are back in the home's backup. A container store another program
 * made, left out (in exclude, as the whole system leaves one out), is
 * included again as a source of its own: never turned into a plain folder.
 * Screenshots in both styles.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let home: string;
let carol: { name: string; store: string };
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

const history = () => JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
const config = () => JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
const isSubvolume = (folder: string) => shResult('stat', ['-c', '%i', folder]).stdout.trim() === '256';

beforeAll(async () => {
  fx = await createBackupFixture();
  rmSync(fx.configPath);
  // The person's home, a plain folder in /home beside alice's.
  home = path.join(fx.home, fx.allowed.name);
  for (const dir of ['Documents', '.cache/thumbnails', 'Downloads']) mkdirSync(path.join(home, dir), { recursive: true });
  writeFileSync(path.join(home, 'Documents', 'letter.txt'), 'Dear reader,\n');
  writeFileSync(path.join(home, '.cache', 'thumbnails', 'big.png'), Buffer.alloc(1024 * 1024, 1));
  writeFileSync(path.join(home, 'Downloads', 'installer.iso'), Buffer.alloc(512 * 1024, 2));
  // A folder kept apart inside it: a subvolume of its own, which a snapshot of /home leaves out.
  sh('btrfs', ['subvolume', 'create', path.join(home, 'Projects')]);
  writeFileSync(path.join(home, 'Projects', 'plan.md'), '# The plan\n');
  sh('chown', ['-R', `${fx.allowed.uid}:${fx.allowed.uid}`, home]);
  chmodSync(home, 0o755);
  // Carol's home as systemd-homed keeps it with --storage=subvolume: /home/carol.homedir.
  const name = `rwc${fx.allowed.name.slice(3)}`;
  sh('useradd', ['--no-create-home', '--home-dir', path.join(fx.home, name), '--comment', 'Carol Test', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  fx.cleanup.add(`delete user ${name}`, () => shResult('userdel', [name]));
  carol = { name, store: path.join(fx.home, `${name}.homedir`) };
  sh('btrfs', ['subvolume', 'create', carol.store]);
  writeFileSync(path.join(carol.store, 'recipes.txt'), 'Bread: flour, water, salt\n', { mode: 0o644 });
  display = await startXvfb(fx.cleanup);
  // The person's session: their home on the btrfs disk; programs keep their caches elsewhere, so the home's own is free to leave out.
  const cacheHome = path.join(fx.dir, 'user-cache');
  mkdirSync(cacheHome);
  chownSync(cacheHome, fx.allowed.uid, fx.allowed.uid);
  userEnv = await startUserSession(fx, display, ['TZ=UTC', `HOME=${home}`, `XDG_CACHE_HOME=${cacheHome}`]);
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** Whether the setup dialog's Continue (setup.continue) can be pressed now, as its button shows it. */
function continueEnabled(): boolean {
  const objectPath = `/${APP_ID.replaceAll('.', '/')}/setup`;
  const reply = sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', 'org.gtk.Actions.Describe', 'continue']);
  return reply.trim().startsWith('((true,');
}

/** Scrolls the window under the middle of the screen's top left to its end, with the mouse wheel, and waits until it is drawn there. */
async function scrollToEnd(): Promise<void> {
  const before = screenDigest(display);
  for (let i = 0; i < 15; i++) fakeInput(display, { click: [300, 400, 5] });
  await stillScreen(display, 1500, before);
}

/** The texts one window shows now. */
async function shown(window: string): Promise<string[]> {
  return (await app!.texts()).find((w) => w.window === window)?.texts ?? [];
}

async function backUp(driver: AppDriver, n: number): Promise<RunRecord> {
  const done = driver.count('rewind: backup completed ok');
  driver.activate('back-up-now');
  await waitFor(`backup ${n}`, () => driver.count('rewind: backup completed ok') > done || /rewind: backup failed \S+/.exec(driver.output())?.[0], 90_000);
  const record = history().at(-1)!;
  expect(record).toMatchObject({ ok: true });
  return record;
}

/** The folder on the disk with the backups of a source (by its path below the top level). */
function backupDir(disk: string, below: string): string {
  const d = config().destinations[0];
  // Setup saves no host name: the machine's own.
  return path.join(disk, d.kind === 'btrfs' ? d.path : '', config().hostName ?? hostname(), subvolumeDirName(below));
}

/** The backups of one source on the disk, oldest first. */
function backupsOf(disk: string, below: string): string[] {
  const dir = backupDir(disk, below);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('what to back up', () => {
  test('My home folder: only the person’s home, with a folder kept apart added and the caches left out', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    const { step } = app;
    await waitFor('the welcome page', () => app!.output().includes('rewind: page not-configured') || undefined, 30_000);
    await step('setup', undefined, 'rewind: setup page what');
    // My home folder is the first choice; it shares /home with alice's folder, so it cannot be backed up as it is.
    await waitFor('the sizes', () => app!.output().includes(`rewind: setup sources  blocked`) || undefined, 60_000);
    await stillScreen(display);
    await app.shoot('what-1-home-blocked');
    // Continue is off, and one sentence above the choices says why and what to do.
    expect(continueEnabled()).toBe(false);
    expect(await shown('Set Up Backups')).toContain('Your home folder cannot be backed up as it is: choose a way forward below, or something else to back up.');

    // A folder typed as a person writes it: in their home, not kept apart, so it offers the ways forward too.
    await step('setup.add-source', '~/Documents', 'rewind: setup sources  blocked folders');
    expect(app.output()).not.toContain('rewind: setup error');
    await stillScreen(display);
    await app.shoot('what-1b-typed-folder-blocked');
    expect(continueEnabled()).toBe(false);
    expect(await shown('Set Up Backups')).toContain('~/Documents cannot be backed up as it is: choose a way forward below, or something else to back up.');
    // No folder left: the sentence says to add one.
    // (Its trace line is the one before: the sources are as empty as they were.)
    const typed = screenDigest(display);
    app.activate('setup.remove-source', `${home}/Documents`);
    await stillScreen(display, 1500, typed);
    expect(await shown('Set Up Backups')).toContain('To continue, add a folder to back up.');
    await app.shoot('what-1c-no-folder');
    await step('setup.what-choice', 'my-home', 'rewind: setup sources  blocked my-home');

    // The way forward: keep the other folder apart, and back up /home, which then holds only this home.
    await step('setup.keep-others-apart', home, `rewind: setup sources ${fx.home} ready`, 120_000);
    expect(app.output()).toContain(`rewind: setup apart ${path.join(fx.home, 'alice')}`);
    expect(isSubvolume(path.join(fx.home, 'alice'))).toBe(true);
    await step('setup.include-nested', `${home}/Projects=true`, `rewind: setup sources ${fx.home} ${home}/Projects ready`);
    await stillScreen(display);
    await app.shoot('what-2-home-ready');
    expect(continueEnabled()).toBe(true);
    expect((await shown('Set Up Backups')).filter((t) => /cannot be backed up|To continue/.test(t))).toEqual([]);

    await step('setup.continue', undefined, 'rewind: setup page where', 120_000);
    // The caches were ticked to leave out: kept apart on Continue; Downloads was offered, not ticked.
    expect(app.output()).toContain(`rewind: setup apart ${home}/.cache`);
    expect(isSubvolume(path.join(home, '.cache'))).toBe(true);
    expect(isSubvolume(path.join(home, 'Downloads'))).toBe(false);
    await waitFor('the disks', () => app!.output().includes('rewind: setup disks') || undefined, 30_000);
    await step('setup.choose-disk', fx.destination.device, 'rewind: setup page when');
    await step('setup.continue', undefined, 'rewind: setup page summary');
    await app.shoot('what-3-summary');
    const completed = app.count('rewind: backup completed ok');
    await step('setup.save', undefined, 'rewind: setup saved', 60_000);
    expect(config()).toMatchObject({ sources: [{ path: fx.home }, { path: `${home}/Projects` }], exclude: [`${home}/.cache`] });

    // Start Backups starts the first backup.
    await waitFor('the first backup', () => app!.count('rewind: backup completed ok') > completed || /rewind: backup failed \S+/.exec(app!.output())?.[0], 90_000);
    const record = history().at(-1)!;
    expect(record).toMatchObject({ ok: true });
    expect(record.transfers.map((t) => [t.source, t.kind, t.ok])).toEqual([
      [fx.home, 'full', true],
      [`${home}/Projects`, 'full', true],
    ]);
    const disk = inspect(fx, fx.destination, 'my-home');
    const [homeBackup] = backupsOf(disk, 'home');
    const backedUp = path.join(backupDir(disk, 'home'), homeBackup);
    // Only this person's home: alice's folder and Carol's home are not in it, nor the caches.
    expect(readdirSync(backedUp)).toEqual([fx.allowed.name]);
    expect(readdirSync(path.join(backedUp, fx.allowed.name)).sort()).toEqual(['Documents', 'Downloads']);
    expect(readFileSync(path.join(backedUp, fx.allowed.name, 'Documents', 'letter.txt'), 'utf8')).toBe('Dear reader,\n');
    const [projects] = backupsOf(disk, `home/${fx.allowed.name}/Projects`);
    expect(readFileSync(path.join(backupDir(disk, `home/${fx.allowed.name}/Projects`), projects, 'plan.md'), 'utf8')).toBe('# The plan\n');

    // The restore browser shows the files of the folder kept apart.
    const point = { from: config().destinations[0].id, snapshot: projects, source: `${home}/Projects`, where: 'Test backup disk' };
    await step('browse-point', JSON.stringify(point), 'rewind: browser folder . 1');
    await app.shoot('what-4-restore-projects');
  });

  test('Preferences, dark: all users’ home folders adds the homed home, backed up and shown by the restore browser', async () => {
    // A container store another program made, left out once by "The whole system" (in exclude): not Rewind's to turn into a folder.
    const store = path.join(home, '.local', 'share', 'containers');
    mkdirSync(path.dirname(store), { recursive: true });
    sh('btrfs', ['subvolume', 'create', store]);
    writeFileSync(path.join(store, 'layer.tar'), 'a layer\n');
    sh('chown', ['-R', `${fx.allowed.uid}:${fx.allowed.uid}`, path.join(home, '.local')]);
    const storeUuid = () => /UUID:\s+(\S+)/.exec(sh('btrfs', ['subvolume', 'show', store]))?.[1];
    const uuidBefore = storeUuid();
    writeFileSync(fx.configPath, JSON.stringify({ ...config(), exclude: [...(config().exclude ?? []), store] }, null, 2));
    app = startApp(fx, userEnv, display, shots, 'dark');
    const { step } = app;
    await waitFor('the main page', () => app!.output().includes('rewind: state ready') || undefined, 30_000);
    app.activate('preferences');
    await waitFor('the choice read from the configuration', () => app!.output().includes(`rewind: prefs sources ${fx.home} ${home}/Projects ready`) || undefined, 60_000);
    const general = screenDigest(display);
    app.activate('prefs.show-what');
    await stillScreen(display, 1500, general);
    await app.shoot('what-5-preferences-my-home');
    await step('prefs.what-choice', 'all-homes', `rewind: prefs sources ${fx.home} ${carol.store} ${home}/Projects ready`);
    await waitFor('the configuration saved', () => config().sources.length === 3 || undefined, 30_000);
    expect(config().sources).toEqual([{ path: fx.home }, { path: carol.store }, { path: `${home}/Projects` }]);
    await stillScreen(display, 2000);
    await app.shoot('what-6-preferences-all-homes');

    // Include the container store again: backed up on its own, and left a subvolume, as its program made it.
    expect((await app.texts()).flatMap((w) => w.texts).some((t) => t.endsWith('Kept apart by another program. Included, it is backed up on its own and left as it is.'))).toBe(true);
    app.activate('prefs.leave-out', `${store}=false`);
    await waitFor('the store a source of its own', () => config().sources.some((s) => s.path === store) || undefined, 30_000);
    expect(config().exclude).toEqual([`${home}/.cache`]);
    expect(app.output()).not.toContain(`rewind: prefs joined ${store}`);
    expect([isSubvolume(store), storeUuid()]).toEqual([true, uuidBefore]);
    await stillScreen(display);
    await scrollToEnd();
    await app.shoot('what-6b-preferences-store-included');

    // Include the caches again: Rewind kept them apart, so they are a plain folder once more, backed up with the home, every byte as it was.
    await step('prefs.leave-out', `${home}/.cache=false`, `rewind: prefs joined ${home}/.cache`, 120_000);
    await waitFor('the configuration saved', () => (config().exclude ?? []).length === 0 || undefined, 30_000);
    expect(isSubvolume(path.join(home, '.cache'))).toBe(false);

    const record = await backUp(app, 2);
    expect(record.transfers.find((t) => t.source === carol.store)).toMatchObject({ kind: 'full', ok: true });
    expect(record.transfers.find((t) => t.source === store)).toMatchObject({ kind: 'full', ok: true });
    expect([isSubvolume(store), storeUuid()]).toEqual([true, uuidBefore]);
    const disk = inspect(fx, fx.destination, 'all-homes');
    const newest = backupsOf(disk, 'home').at(-1)!;
    expect(readFileSync(path.join(backupDir(disk, 'home'), newest, fx.allowed.name, '.cache', 'thumbnails', 'big.png')).equals(Buffer.alloc(1024 * 1024, 1))).toBe(true);
    const [storeBackup] = backupsOf(disk, `home/${fx.allowed.name}/.local/share/containers`);
    expect(readFileSync(path.join(backupDir(disk, `home/${fx.allowed.name}/.local/share/containers`), storeBackup, 'layer.tar'), 'utf8')).toBe('a layer\n');
    const [carolBackup] = backupsOf(disk, `home/${carol.name}.homedir`);
    expect(readFileSync(path.join(backupDir(disk, `home/${carol.name}.homedir`), carolBackup, 'recipes.txt'), 'utf8')).toBe('Bread: flour, water, salt\n');
    const destinationId = config().destinations[0].id;
    await step('browse-point', JSON.stringify({ from: destinationId, snapshot: carolBackup, source: carol.store, where: 'Test backup disk' }), 'rewind: browser folder . 1');
    await app.shoot('what-7-restore-carol');

    // The store's row in the light style too: included, and still said to be left as it is.
    await app.stop();
    app = startApp(fx, userEnv, display, shots, 'light');
    await waitFor('the main page', () => app!.output().includes('rewind: state ready') || undefined, 30_000);
    app.activate('preferences');
    await waitFor('the choice read from the configuration', () => app!.output().includes('rewind: prefs sources ') || undefined, 60_000);
    const lightGeneral = screenDigest(display);
    app.activate('prefs.show-what');
    await stillScreen(display, 2000, lightGeneral);
    await scrollToEnd();
    await app.shoot('what-6b-preferences-store-included');
  });
});
