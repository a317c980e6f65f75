import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { APP_ID, HELPER_BUS_NAME } from '../../src/core/ids';
import type { RunRecord } from '../../src/core/status';
import { settle, startApp } from '../support/app-driver';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { artifactsDir, startXvfb } from '../support/display';
import { sh, shResult, startProcess, stopProcess, waitFor } from '../support/exec';
import { busRules, readManifest } from '../support/flatpak-bus-rules';
import { REPO } from '../support/system-bus';
import { startUserSession } from '../support/user-session';

/**
 * The app with the bus access a Flatpak of this manifest has: its session
 * and system buses are seen through xdg-dbus-proxy (flatpak's own proxy),
 * filtered as `flatpak run` filters them for the manifest's finish-args
 * (tests/support/flatpak-bus-rules.ts reads them from the manifest, so a
 * manifest that loses a name the app needs fails here). The main page loads
 * and Back Up Now backs up through the proxies; a name the manifest does not
 * grant cannot be reached through them.
 * What this is not: the app is not in a bubblewrap sandbox (no runtime can be
 * downloaded here to build one), so its files and processes are the host's.
 */
jest.setTimeout(180_000);

let fx: BackupFixture;
let display: string;
let hostEnv: string[];
let sandboxEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

const envValue = (env: string[], name: string) => env.find((e) => e.startsWith(`${name}=`))!.slice(name.length + 1);

beforeAll(async () => {
  fx = await createBackupFixture();
  display = await startXvfb(fx.cleanup);
  hostEnv = await startUserSession(fx, display);
  const rules = busRules(readManifest());
  expect(rules.session).not.toBeNull();
  expect(rules.system).not.toBeNull();
  const runtime = envValue(hostEnv, 'XDG_RUNTIME_DIR');
  const sessionSocket = path.join(runtime, 'sandbox-session-bus');
  const systemSocket = path.join(runtime, 'sandbox-system-bus');
  // One proxy for both buses, run by the user as flatpak runs it.
  const proxy = startProcess('runuser', [
    '-u', fx.allowed.name, '--', 'env', ...hostEnv, 'xdg-dbus-proxy',
    envValue(hostEnv, 'DBUS_SESSION_BUS_ADDRESS'), sessionSocket, ...rules.session!,
    envValue(hostEnv, 'DBUS_SYSTEM_BUS_ADDRESS'), systemSocket, ...rules.system!,
  ]);
  fx.cleanup.add('stop the bus proxy', () => stopProcess(proxy.child));
  await waitFor(`the proxy's sockets\n${proxy.output()}`, () => (existsSync(sessionSocket) && existsSync(systemSocket)) || undefined);
  sandboxEnv = hostEnv.map((e) =>
    e.startsWith('DBUS_SESSION_BUS_ADDRESS=') ? `DBUS_SESSION_BUS_ADDRESS=unix:path=${sessionSocket}` : e.startsWith('DBUS_SYSTEM_BUS_ADDRESS=') ? `DBUS_SYSTEM_BUS_ADDRESS=unix:path=${systemSocket}` : e,
  );
});

afterAll(async () => {
  await fx?.cleanup.run();
});

/** gdbus as the user with the sandbox's buses. */
function inSandbox(args: string[]) {
  return shResult('runuser', ['-u', fx.allowed.name, '--', 'env', ...sandboxEnv, 'gdbus', ...args]);
}

describe('the app through the bus rules of its Flatpak', () => {
  test('reaches only the names the manifest grants', () => {
    const introspect = (bus: string, name: string, objectPath: string) => inSandbox(['introspect', bus, '--dest', name, '--object-path', objectPath]);
    expect(introspect('--system', HELPER_BUS_NAME, '/').status).toBe(0);
    const polkit = introspect('--system', 'org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority');
    expect(polkit.status).not.toBe(0);
    expect(polkit.stderr).toMatch(/ServiceUnknown|was not provided|AccessDenied/);
    // The host's own session bus still has it: the proxy, not a missing service, refused.
    expect(sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...hostEnv, 'gdbus', 'introspect', '--system', '--dest', 'org.freedesktop.PolicyKit1', '--object-path', '/org/freedesktop/PolicyKit1/Authority'])).toContain('CheckAuthorization');
  });

  test('the main page loads and Back Up Now backs up', async () => {
    const app = startApp(fx, sandboxEnv, display, shots, 'light');
    await waitFor('the main page', () => app.output().includes('rewind: page ready') || undefined, 30_000);
    // GNOME Shell reaches the app on the host's bus; the app owns its id through the proxy.
    expect(sh('runuser', ['-u', fx.allowed.name, '--', 'env', ...hostEnv, 'gdbus', 'call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', APP_ID])).toContain('true');
    await settle();
    await app.shoot('sandbox-main');
    app.activate('back-up-now');
    await waitFor('the backup to finish', () => /rewind: backup (completed ok|failed \S+)/.exec(app.output())?.[0], 90_000);
    expect(app.output()).toContain('rewind: backup completed ok');
    const history = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
    expect(history.at(-1)).toMatchObject({ ok: true });
    await settle();
    await app.shoot('sandbox-after-backup');
    await app.stop();
  });
});
