import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { REWIND_VERSION } from '../../src/core/ids';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, startXvfb } from '../support/display';
import { shResult, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * The app and a helper of another release, as a Flatpak app updated before
 * the host's rewind-helper (or after it) meets it: the real app under Xvfb,
 * the real helper activated on the test system bus, its bundle's version
 * changed as another release's would be. The app says which side to update
 * and how, calls nothing else, and goes back to the main page with Try
 * Again once the helper is of its release.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');
const RELEASE_LINE = `REWIND_VERSION="${REWIND_VERSION}"`;

/** The activated helper's bundle files, with the release it says it is. */
async function helperOfRelease(version: string): Promise<void> {
  const dir = path.join(fx.dist, 'helper');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.cjs'))) {
    const file = path.join(dir, name);
    const text = readFileSync(file, 'utf8').replace(/REWIND_VERSION="[^"]*"/g, `REWIND_VERSION="${version}"`);
    writeFileSync(file, text);
  }
  expect(readFileSync(path.join(dir, 'rewind-helper-main.cjs'), 'utf8')).toContain(`REWIND_VERSION="${version}"`);
  // The running helper keeps its release: the next call starts the new one, as after an upgrade.
  const daemon = `${path.join(dir, 'rewind-helper.cjs')} daemon`;
  shResult('pkill', ['-TERM', '-f', daemon]);
  await waitFor('the helper to stop', () => shResult('pgrep', ['-f', daemon]).status !== 0 || undefined, 20_000);
}

async function screen(): Promise<string[]> {
  return (await app!.texts()).flatMap((w) => [w.window, ...w.texts]);
}

async function pageAfter(from: number, page: string): Promise<void> {
  await waitFor(`page ${page}`, () => app!.output().slice(from).includes(`rewind: page ${page}`) || undefined, 30_000);
}

beforeAll(async () => {
  fx = await createBackupFixture();
  expect(runBackupCli(fx).ok).toBe(true);
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display);
});

afterAll(async () => {
  await app?.stop();
  await fx?.cleanup.run();
});

describe('a helper of another release', () => {
  test('older helper, newer helper, then the same: the page says which to update, and Try Again goes on', async () => {
    expect(readFileSync(path.join(fx.dist, 'helper/rewind-helper-main.cjs'), 'utf8')).toContain(RELEASE_LINE);
    await helperOfRelease('0.0.9');
    app = startApp(fx, userEnv, display, shots, 'light');
    await pageAfter(0, 'other-version');
    const older = await screen();
    expect(older).toEqual(expect.arrayContaining(['The backup helper needs an update', 'sudo dnf upgrade rewind-helper']));
    expect(older.join('\n')).toContain(`is version 0.0.9, older than this app, which is version ${REWIND_VERSION}`);
    // Nothing but the version was read: no status, so no main page and no welcome page behind it.
    expect(app.output()).not.toMatch(/rewind: page (ready|not-configured)/);
    await settle();
    await app.shoot('helper-older');

    let from = app.output().length;
    await helperOfRelease('99.0.0');
    app.activate('refresh');
    await waitFor('the newer helper read', () => app!.output().slice(from).includes('rewind: helper version 99.0.0') || undefined, 30_000);
    const newer = await screen();
    expect(newer).toEqual(expect.arrayContaining(['Rewind needs an update', 'sudo dnf upgrade rewind']));
    expect(newer.join('\n')).toContain(`This app is version ${REWIND_VERSION}, older than the part of Rewind installed on this computer for backups, which is version 99.0.0`);
    await settle();
    await app.shoot('app-older');

    from = app.output().length;
    await helperOfRelease(REWIND_VERSION);
    app.activate('refresh');
    await pageAfter(from, 'ready');
    expect(await screen()).toContain('Back Up Now');
  });
});
