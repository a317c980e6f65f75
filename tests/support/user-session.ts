import { chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BackupFixture } from './backup-fixture';
import { startProcess, stopProcess, waitFor } from './exec';
import { REPO } from './system-bus';

/**
 * What a logged-in desktop user has, for the app tests: a home and a runtime
 * folder of the fixture's `allowed` user, the Xvfb display, the test system
 * bus and a session bus of its own (stopped by the fixture's cleanup), where
 * dconf keeps the user's settings; the app's GSettings schema is the one
 * compiled next to the fixture's bundles, and its icons are the checkout's
 * (data/icons), as if installed.
 * Returns the environment to run the user's programs with (`runuser -u … env ENV…`).
 */
export async function startUserSession(fx: BackupFixture, display: string, extraEnv: string[] = []): Promise<string[]> {
  return (await startUserSessionBus(fx, display, extraEnv)).env;
}

/**
 * The same, and what the session bus printed: the output of the programs it
 * starts by D-Bus activation (dbus-daemon gives them its own stdout and stderr).
 */
export async function startUserSessionBus(fx: BackupFixture, display: string, extraEnv: string[] = []): Promise<{ env: string[]; output: () => string }> {
  const home = path.join(fx.dir, 'user-home');
  const runtime = path.join(fx.dir, 'user-runtime');
  for (const dir of [home, runtime]) {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, fx.allowed.uid, fx.allowed.uid);
  }
  const env = [`HOME=${home}`, `XDG_RUNTIME_DIR=${runtime}`, `DISPLAY=${display}`, `DBUS_SYSTEM_BUS_ADDRESS=${fx.bus.address}`, 'GDK_BACKEND=x11', 'LANG=C.UTF-8', `GSETTINGS_SCHEMA_DIR=${path.join(fx.dist, 'schemas')}`, `XDG_DATA_DIRS=${path.join(REPO, 'data')}:/usr/local/share:/usr/share`, ...extraEnv];
  const session = startProcess('runuser', ['-u', fx.allowed.name, '--', 'env', ...env, 'dbus-daemon', '--session', '--nofork', '--nopidfile', '--print-address=1']);
  fx.cleanup.add('stop the session bus', () => stopProcess(session.child));
  const address = await waitFor('the session bus address', () => session.output().split('\n')[0] || undefined);
  return { env: [...env, `DBUS_SESSION_BUS_ADDRESS=${address.trim()}`], output: session.output };
}
