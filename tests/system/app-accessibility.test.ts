import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { APP_ID } from '../../src/core/ids';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { sh, waitFor } from '../support/exec';
import { REPO } from '../support/system-bus';

/**
 * What a screen reader is told, read where it reads it: the app's
 * accessible tree on the session's accessibility bus (AT-SPI), walked by
 * tests/support/atspi-tree.js. Buttons with a mnemonic are named once, in
 * words ("Back Up Now", not "_Back Up Now Back Up Now" as GTK 4.8 names
 * them by itself); rows that only show something are not keyboard stops;
 * the shortcuts window lists the restore browser's keys. The real app in
 * Xvfb as an ordinary user, with the real helper.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

interface Node {
  role: string;
  name: string;
  focusable: boolean;
}

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

/** The showing accessible nodes of every application in the person's session. */
function tree(): Node[] {
  const out = sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gjs', '-m', path.join(REPO, 'tests/support/atspi-tree.js')]);
  return JSON.parse(out.trim().split('\n').pop()!) as Node[];
}

const buttons = (nodes: Node[]) => nodes.filter((n) => /button/.test(n.role)).map((n) => n.name);

describe('accessibility', () => {
  test('the main page: buttons named once, in words; status rows are not keyboard stops', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    await waitFor('the main page', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
    await settle(3000);
    let last: Node[] = [];
    const nodes = await waitFor('the accessible tree', () => {
      last = tree();
      return last.some((n) => n.name === 'Back Up Now') ? last : undefined;
    }, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; the tree: ${JSON.stringify(last).slice(0, 3000)}`);
    });
    expect(buttons(nodes)).toEqual(expect.arrayContaining(['Back Up Now', 'Restore…', 'Check Backups Now']));
    // No name keeps a mnemonic mark or says its words twice.
    expect(nodes.filter((n) => /(^|\s)_\w/.test(n.name) || /^(.+) \1$/.test(n.name.replaceAll('_', '')))).toEqual([]);
    for (const title of ['Last successful backup', 'Next backup', 'Backing up', 'Test backup disk']) {
      const row = nodes.find((n) => n.name.startsWith(title) && n.role !== 'label');
      expect({ title, row: row && { focusable: row.focusable } }).toEqual({ title, row: { focusable: false } });
    }
    // What does something still takes the focus.
    expect(nodes.find((n) => n.name === 'Back Up Now')?.focusable).toBe(true);
  });

  test('the setup dialog: Cancel and Continue named in words', async () => {
    app = startApp(fx, userEnv, display, shots, 'dark');
    await waitFor('the main page', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
    await app.step('setup', undefined, 'rewind: setup page what');
    await settle(3000);
    const names = buttons(tree());
    expect(names).toEqual(expect.arrayContaining(['Cancel', 'Continue']));
    expect(names.filter((n) => n.includes('_'))).toEqual([]);
    await app.shoot('accessibility-setup');
  });

  test('the shortcuts window lists the restore browser’s keys', async () => {
    app = startApp(fx, userEnv, display, shots, 'light');
    await waitFor('the main page', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
    // The window's own actions: GtkApplication exports them beside the application's.
    const objectPath = `/${APP_ID.replaceAll('.', '/')}/window/1`;
    sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...userEnv, 'gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', 'org.gtk.Actions.Activate', 'show-help-overlay', '[]', '{}']);
    await settle(2000);
    const texts = (await app.texts()).flatMap((w) => w.texts);
    expect(texts).toEqual(expect.arrayContaining(['Restore browser', 'Earlier restore point', 'Later restore point', 'Parent folder', 'Search by name']));
    await app.shoot('accessibility-shortcuts');
  });
});
