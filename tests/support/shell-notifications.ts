import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ID } from '../../src/core/ids';
import type { BackupFixture } from './backup-fixture';
import { sh, startProcess, stopProcess, waitFor } from './exec';
import { REPO } from './system-bus';

/**
 * GNOME Shell's side of a user's notifications, for the monitor's tests: the
 * stand-in server (./notification-server.js) on the user's session bus
 * (./user-session), what reached it, and a notification's button pressed as
 * the Shell presses it: org.freedesktop.Application.ActivateAction on the
 * app's object. Stopped by the fixture's cleanup.
 */
export interface Received {
  call: 'add' | 'remove';
  appId: string;
  id: string;
  notification?: { title?: string; body?: string; 'default-action'?: string; buttons?: Array<{ label: string; action: string }> };
}

export interface ShellNotifications {
  received(): Received[];
  /** Waits for a call about `id` after the first `after` calls, and returns it; `context` is shown when none comes. */
  waitForCall(call: Received['call'], id: string, after: number, timeout?: number, context?: () => string): Promise<Received>;
}

/** The user's programs as `runuser` runs them, with the session's environment. */
export function asSessionUser(fx: BackupFixture, userEnv: readonly string[], args: string[]): string[] {
  return ['-u', fx.allowed.name, '--', 'env', ...userEnv, ...args];
}

export async function startShellNotifications(fx: BackupFixture, userEnv: readonly string[]): Promise<ShellNotifications> {
  const script = path.join(fx.dir, 'notification-server.js');
  copyFileSync(path.join(REPO, 'tests/support/notification-server.js'), script);
  const server = startProcess('runuser', asSessionUser(fx, userEnv, ['gjs', '-m', script]));
  fx.cleanup.add('stop the notification server', () => stopProcess(server.child));
  await waitFor('the notification server', () => server.output().includes('{"ready":true}') || undefined);
  const received = (): Received[] =>
    server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"call"'))
      .map((l) => JSON.parse(l) as Received);
  return {
    received,
    waitForCall: (call, id, after, timeout = 60_000, context = () => '') =>
      waitFor(`${call} ${id} (${context()})`, () => received().slice(after).find((r) => r.call === call && r.id === id), timeout),
  };
}

/** Presses a notification's button as GNOME Shell does. */
export function pressAction(fx: BackupFixture, userEnv: readonly string[], action: string): void {
  sh('runuser', asSessionUser(fx, userEnv, ['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path', `/${APP_ID.replaceAll('.', '/')}`,
    '--method', 'org.freedesktop.Application.ActivateAction', action, '[]', '{}']));
}
