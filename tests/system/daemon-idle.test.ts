import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startProcess, waitFor } from '../support/exec';
import { activatedHelperPid } from '../support/helper-run';
import { asUser } from '../support/system-bus';

/**
 * The D-Bus activated helper exits after idleSeconds without work, but never
 * in the middle of a call: a call can wait longer than that for polkit (an
 * administrator typing a password), for a server, or for a large restore.
 * polkitd is stopped for real (SIGSTOP) to make the call wait.
 */
jest.setTimeout(120_000);

const IDLE_SECONDS = 2;
let fx: BackupFixture;

beforeAll(async () => {
  fx = await createBackupFixture({ idleSeconds: IDLE_SECONDS });
});

afterAll(async () => {
  process.kill(fx.bus.polkitdPid, 'SIGCONT');
  await fx?.cleanup.run();
});

const daemonPid = () => activatedHelperPid(fx);

test('a call that waits longer than the idle time is answered, and the helper exits once idle', async () => {
  // The first call starts the helper.
  const first = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'status']);
  expect(JSON.parse(first.stdout.trim().split('\n').at(-1)!)).toHaveProperty('status');
  const daemon = daemonPid();
  expect(daemon).toMatch(/^\d+$/);

  process.kill(fx.bus.polkitdPid, 'SIGSTOP');
  const waiting = startProcess('runuser', ['-u', fx.allowed.name, '--', 'env', `DBUS_SYSTEM_BUS_ADDRESS=${fx.bus.address}`, 'gjs', '-m', fx.callHelper, 'status']);
  const answered = new Promise<number | null>((resolve) => waiting.child.once('exit', resolve));
  await new Promise((r) => setTimeout(r, (IDLE_SECONDS + 3) * 1000));
  // Still there, still waiting for polkit.
  expect(existsSync(`/proc/${daemon}`)).toBe(true);
  process.kill(fx.bus.polkitdPid, 'SIGCONT');
  expect(await answered).toBe(0);
  expect(JSON.parse(waiting.output().trim().split('\n').at(-1)!)).toHaveProperty('status');
  expect(daemonPid()).toBe(daemon);

  // With nothing more to do, it goes.
  await waitFor('the helper to exit when idle', () => !existsSync(`/proc/${daemon}`) || undefined, (IDLE_SECONDS + 10) * 1000);
});
