import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ACTIONS } from '../../src/core/ids';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { REPO } from '../support/system-bus';

/**
 * Refusals and a closed password dialog leave the person on the page they
 * were on, with one sentence. The real app in Xvfb as an ordinary user, the
 * real helper and polkitd; polkit's rules let this user read the status and
 * the configuration, refuse them backing up, and ask for an administrator's
 * password to change the configuration (looking for disks is part of that).
 * The password dialog is closed for real: a polkit authentication agent
 * registered for the app's process answers Cancelled, as a person's
 * dialog does when they press Cancel, and polkitd tells the helper
 * "dismissed".
 */
jest.setTimeout(240_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
let app: AppDriver | undefined;
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  fx = await createBackupFixture({
    extraRules: (allowed) => [
      { user: allowed.name, action: ACTIONS.runBackup, result: 'NO' },
      { user: allowed.name, action: ACTIONS.configure, result: 'AUTH_ADMIN' },
    ],
  });
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

async function open(style: 'light' | 'dark'): Promise<AppDriver> {
  app = startApp(fx, userEnv, display, shots, style);
  await waitFor('the main page', () => app!.output().includes('rewind: page ready') || undefined, 30_000);
  return app;
}

/** The texts of the app's windows now, all together. */
async function onScreen(driver: AppDriver): Promise<string[]> {
  return (await driver.texts()).flatMap((w) => w.texts);
}

describe('refused and dismissed', () => {
  for (const style of ['light', 'dark'] as const) {
    test(`${style}: Back Up Now refused by the system’s policy keeps the main page, with why`, async () => {
      const driver = await open(style);
      driver.activate('back-up-now');
      await waitFor('the refusal', () => driver.output().includes('rewind: alert Could not start the backup') || undefined, 30_000);
      expect(driver.output()).toContain('rewind: backup failed NotAuthorized');
      await settle();
      await driver.shoot(`permissions-back-up-refused`);
      const texts = await onScreen(driver);
      expect(texts).toContain('The system’s policy does not allow this account to start backups. Ask an administrator.');
      // Still the main page behind the message: its status and destinations, not the "Not allowed" page.
      expect(texts).toContain('Test backup disk');
      expect(driver.output()).not.toContain('rewind: page not-authorised');
      expect(driver.output()).not.toContain('rewind: state not-authorised');
    });

    test(`${style}: closing the password dialog while Add Destination looks for disks says so, and the page offers to look again`, async () => {
      const driver = await open(style);
      // The app's own process: the newest gjs of this person (runuser → env, which exec'd gjs).
      const pid = sh('pgrep', ['-n', '-u', fx.allowed.name, '-x', 'gjs']).trim();
      const agent = startProcess('gjs', ['-m', path.join(REPO, 'tests/support/cancelling-agent.js'), pid], { env: fx.bus.env });
      fx.cleanup.add('stop the polkit agent', () => stopProcess(agent.child));
      await waitFor('the agent', () => agent.output().includes('agent registered') || /error/i.exec(agent.output())?.[0], 15_000);
      expect(agent.output()).toContain('agent registered');
      // Add Destination: setup's step of choosing where, which looks for disks at once.
      driver.activate('add-destination');
      await waitFor('the dismissal', () => driver.output().includes('rewind: setup ListDisks failed Dismissed') || undefined, 60_000);
      expect(agent.output()).toContain(`agent dismissed ${ACTIONS.configure}`);
      await settle();
      await driver.shoot('permissions-setup-dismissed');
      const texts = await onScreen(driver);
      expect(texts).toContain('You closed the password dialog, so Rewind did not look for disks. Look again when you are ready.');
      expect(texts).toContain('Look for disks');
      expect(texts).not.toContain('Looking for disks…');
      expect(driver.output()).toContain('rewind: setup page where');
      await stopProcess(agent.child);
    });

    test(`${style}: closing the password dialog while setup looks at the folders says so, and offers to look again`, async () => {
      const driver = await open(style);
      const pid = sh('pgrep', ['-n', '-u', fx.allowed.name, '-x', 'gjs']).trim();
      const agent = startProcess('gjs', ['-m', path.join(REPO, 'tests/support/cancelling-agent.js'), pid], { env: fx.bus.env });
      fx.cleanup.add('stop the polkit agent', () => stopProcess(agent.child));
      await waitFor('the agent', () => agent.output().includes('agent registered') || /error/i.exec(agent.output())?.[0], 15_000);
      // Setting up again: the What page looks at the person's own home, which needs the password here.
      driver.activate('setup');
      await waitFor('the dismissal', () => driver.output().includes('rewind: sizes failed Dismissed') || undefined, 60_000);
      await settle();
      await driver.shoot('permissions-setup-what-dismissed');
      const texts = await onScreen(driver);
      expect(texts).toContain('You closed the password dialog, so Rewind did not look at the folders on this computer. Look again when you are ready.');
      expect(texts).toContain('Look at the folders again');
      // Looking again asks again: the same answer, and no other page.
      driver.activate('setup.look-again', '');
      await waitFor('the second dismissal', () => driver.output().split('rewind: sizes failed Dismissed').length > 2 || undefined, 60_000);
      expect(driver.output()).not.toContain('rewind: setup page where');
      await stopProcess(agent.child);
    });
  }
});
