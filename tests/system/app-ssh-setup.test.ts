import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import { APP_ID } from '../../src/core/ids';
import { sshPaths } from '../../src/helper/destinations/ssh/identity';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, screenshot, startXvfb, windowBrightness } from '../support/display';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { acceptKeyOnServer } from '../support/accept-key';
import { startSshd, type Sshd } from '../support/sshd';
import { actionEnabled, actionObject } from '../support/app-driver';
import { screenDigest, stillScreen } from '../support/still-screen';
import { REPO } from '../support/system-bus';

/**
 * The app's "Add Backup Server" dialog, end to end: the real app in Xvfb as
 * an ordinary user, the real D-Bus activated helper (polkit allows the user
 * the configure action), a real sshd on 127.0.0.1. The dialog's steps are
 * `ssh.*` actions, activated over org.gtk.Actions on the app's session bus like the
 * buttons that name them; the fields are filled through the `ssh.fill` test
 * hook. GetSshSetup, ProbeHost, TrustHost and the connection test
 * (CheckServer) go to the real helper, and the server side is the real
 * `rewind-helper serve` as the forced command of the key accept-key
 * installed. Each page is photographed in the light and the dark style.
 */
jest.setTimeout(240_000);

let fx: BackupFixture;
let sshd: Sshd;
let display: string;
/** The backup folder on the "server" (a plain folder, so the server keeps compressed backup files). */
let serverRoot: string;
let userEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

function runAsUser(args: string[]) {
  return ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
}

function gdbus(method: string, action: string, ...args: string[]): void {
  const { objectPath, name } = actionObject(action);
  sh('runuser', runAsUser(['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', objectPath, '--method', method, name, ...args]));
}

function activate(action: string, parameter?: string): void {
  gdbus('org.gtk.Actions.Activate', action, parameter === undefined ? '[]' : `[<'${parameter}'>]`, '{}');
}

function hostFingerprint(): string {
  return sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${sshd.hostKey}.pub`]).split(' ')[1];
}

function pinned(): string {
  const file = sshPaths(fx.stateDir).knownHosts;
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function shoot(name: string, style: 'light' | 'dark'): void {
  const file = path.join(shots, `ssh-setup-${name}-${style}.png`);
  screenshot(display, file);
  const { mean, spread } = windowBrightness(file);
  expect(spread).toBeGreaterThan(0.02);
  if (style === 'light') expect(mean).toBeGreaterThan(0.6);
  else expect(mean).toBeLessThan(0.35);
}

const settle = () => new Promise((r) => setTimeout(r, 1500));

beforeAll(async () => {
  fx = await createBackupFixture();
  sshd = await startSshd(fx.cleanup, fx.dir);
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display);
  serverRoot = path.join(fx.dir, 'server-backups');
});


afterAll(async () => {
  await fx?.cleanup.run();
});

// The app of the test under way, stopped after it even when it failed (a second instance would only activate it).
let onExit: ReturnType<typeof startProcess> | undefined;
afterEach(async () => {
  if (onExit) await stopProcess(onExit.child);
  onExit = undefined;
});

async function openDialog(style: 'light' | 'dark') {
  const app = startProcess('runuser', runAsUser([...(style === 'dark' ? ['ADW_DEBUG_COLOR_SCHEME=prefer-dark'] : []), 'gjs', '-m', path.join(fx.dist, 'app/rewind.js')]));
  fx.cleanup.add('stop the app', () => stopProcess(app.child));
  onExit = app;
  await waitFor('the app to reach the helper', () => app.output().includes('rewind: state ready') || undefined, 30_000);
  const pageCount = (page: string) => app.output().split(`rewind: ssh page ${page}\n`).length - 1;
  /** Every text on screen now, by window (app.trace-texts). */
  const screenTexts = async () => {
    const before = app.output().split('rewind: texts ').length;
    activate('trace-texts');
    await waitFor('the texts on screen', () => app.output().split('rewind: texts ').length > before || undefined, 10_000);
    return JSON.parse(app.output().split('rewind: texts ').pop()!.split('\n')[0]) as Array<{ window: string; texts: string[] }>;
  };
  /** The "Step x of N" the dialog's title shows now. */
  const step = async () => (await screenTexts()).find((w) => w.window === 'Add Backup Server')?.texts.find((t) => /^Step \d+ of \d+$/.test(t));
  const next = async (action: string, page: string) => {
    const before = pageCount(page);
    // An action activated while disabled does nothing: wait until it can be pressed.
    await waitFor(`${action} enabled`, () => actionEnabled(fx.allowed.name, userEnv, action) || undefined, 60_000);
    const screen = screenDigest(display);
    activate(action);
    await waitFor(`the ${page} page`, () => pageCount(page) > before || /rewind: ssh error .*/.exec(app.output())?.[0], 60_000);
    expect(app.output()).not.toMatch(/rewind: ssh error/);
    // Drawn: the screen changed and stopped changing.
    await stillScreen(display, 1500, screen);
  };
  activate('add-ssh-destination');
  await waitFor('the dialog', () => pageCount('server') > 0 || undefined);
  activate('ssh.fill', JSON.stringify({ host: '127.0.0.1', port: sshd.port, user: 'root', path: serverRoot }));
  await settle();
  shoot('1-server', style);
  expect(await step()).toBe('Step 1 of 4');
  await next('ssh.continue', 'key');
  expect(await step()).toBe('Step 2 of 4');
  // The exact command and line of the helper's own key.
  const publicKey = readFileSync(`${sshPaths(fx.stateDir).key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  expect(app.output()).not.toContain('failed');
  shoot('2-key', style);
  await next('ssh.continue', 'fingerprint');
  const shown = /rewind: ssh shown fingerprint (\S+) (\w+)/.exec(app.output().split('rewind: ssh page fingerprint').pop()!);
  shoot('3-fingerprint', style);
  expect(await step()).toBe('Step 3 of 4');
  /** The `n`th connection test's answer in this app's output (1 for the first). */
  const checked = async (n: number) => {
    const answers = () => app.output().split('rewind: ssh checked ').slice(1).map((rest) => rest.split('\n')[0]);
    await waitFor(`connection test ${n}`, () => answers().length >= n || /rewind: ssh error .*/.exec(app.output())?.[0], 60_000);
    await stillScreen(display);
    return answers()[n - 1] ?? app.output();
  };
  return { app, shown: { fingerprint: shown?.[1], state: shown?.[2] }, publicKey, next, checked, step, screenTexts };
}

describe('adding a backup server in the app', () => {
  test('a server folder already used for backups is not added a second time', async () => {
    // As setup or an administrator left it: this server's folder is a destination already.
    const file = fx.configPath;
    const config = JSON.parse(readFileSync(file, 'utf8')) as Config;
    const server = { id: 'home-server', kind: 'ssh', host: '127.0.0.1', port: sshd.port, user: 'root', path: '/srv/rewind', label: 'Home server' } as const;
    writeFileSync(file, JSON.stringify({ ...config, destinations: [...config.destinations, server] }));
    fx.cleanup.add('the configuration without the server', () => writeFileSync(file, JSON.stringify(config)));
    const app = startProcess('runuser', runAsUser(['gjs', '-m', path.join(fx.dist, 'app/rewind.js')]));
    fx.cleanup.add('stop the app', () => stopProcess(app.child));
    onExit = app;
    await waitFor('the app to reach the helper', () => app.output().includes('rewind: state ready') || undefined, 30_000);
    activate('add-ssh-destination');
    await waitFor('the dialog', () => app.output().includes('rewind: ssh page server') || undefined);
    // The same server, folder and user, written another way.
    activate('ssh.fill', JSON.stringify({ host: '127.0.0.1', port: sshd.port, user: ' root ', path: '/srv/rewind/' }));
    await settle();
    activate('ssh.continue');
    const refused = await waitFor('the refusal', () => /rewind: ssh error (.*)/.exec(app.output())?.[1], 30_000);
    expect(refused).toBe('This folder on this server is already used for backups, as “Home server”.');
    expect(app.output()).not.toContain('rewind: ssh page key');
    await settle();
    shoot('1-server-in-use', 'light');
    writeFileSync(file, JSON.stringify(config));
    await stopProcess(app.child);
  });

  test('shows the key to install and the server’s fingerprint, and pins it once confirmed', async () => {
    expect(pinned()).toBe('');
    const { app, shown, publicKey, next, checked, step } = await openDialog('light');
    expect(publicKey).toMatch(/^ssh-ed25519 /);
    expect(shown).toEqual({ fingerprint: hostFingerprint(), state: 'unknown' });
    expect(pinned()).toBe('');
    await next('ssh.trust', 'done');
    expect(app.output()).toContain(`rewind: ssh trusted ${hostFingerprint()}`);
    const [type, blob] = readFileSync(`${sshd.hostKey}.pub`, 'utf8').split(' ');
    expect(pinned()).toBe(`[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    // The key is not on the server yet: the connection test says so, and Add Server waits for a test that passes.
    expect(await checked(1)).toBe('key-not-accepted');
    // The connection test is the last step: no page follows the one that says it is the last.
    expect(await step()).toBe('Step 4 of 4');
    shoot('4-done-key-not-accepted', 'light');
    activate('ssh.use');
    await settle();
    expect(app.output()).not.toContain('rewind: ssh use');
    await stopProcess(app.child);
  });

  test('a changed key is a warning, is not trusted until the user confirms it, then replaces the old one', async () => {
    const before = pinned();
    await sshd.regenerateHostKey();
    const { app, shown, next, checked, step, screenTexts } = await openDialog('dark');
    expect(shown).toEqual({ fingerprint: hostFingerprint(), state: 'changed' });
    // Trust does nothing before the confirmation.
    activate('ssh.trust');
    await settle();
    expect(app.output()).not.toContain('rewind: ssh page done');
    expect(pinned()).toBe(before);
    gdbus('org.gtk.Actions.SetState', 'ssh.confirm-changed', '<true>', '{}');
    await settle();
    shoot('3-fingerprint-changed-confirmed', 'dark');
    await next('ssh.trust', 'done');
    const [type, blob] = readFileSync(`${sshd.hostKey}.pub`, 'utf8').split(' ');
    expect(pinned()).toBe(`[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    expect(await checked(1)).toBe('key-not-accepted');
    // The person runs the command on the server, then tests again.
    acceptKeyOnServer(fx, sshd, serverRoot);
    activate('ssh.test');
    expect(await checked(2)).toBe('ok files');
    expect(await step()).toBe('Step 4 of 4');
    shoot('4-done', 'dark');
    const texts = (await screenTexts()).flatMap((w) => w.texts).join('\n');
    expect(texts).toMatch(/“127\.0\.0\.1” — [\d.,]+\s[kMGT]?B free — stores backups as compressed files/);
    expect(texts).not.toMatch(/"(store|kind)"|btrfs|\{/);

    await stopProcess(app.child);
  });
});
