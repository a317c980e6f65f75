import { randomBytes } from 'node:crypto';
import type { Cleanup } from './cleanup';
import { sh, shResult } from './exec';

export interface TestUser {
  name: string;
  uid: number;
}

/** A unique unprivileged account, deleted by the cleanup. */
export function createTestUser(cleanup: Cleanup, prefix: string): TestUser {
  return createNamedUser(cleanup, `${prefix}${randomBytes(3).toString('hex')}`);
}

/** An unprivileged account of exactly this name (useradd fails if it exists), deleted by the cleanup. */
export function createNamedUser(cleanup: Cleanup, name: string): TestUser {
  sh('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  cleanup.add(`delete user ${name}`, () => {
    shResult('pkill', ['-KILL', '-u', name]);
    const r = shResult('userdel', [name]);
    if (r.status !== 0 && r.status !== 6) throw new Error(`userdel ${name}: ${r.stderr}`);
  });
  return { name, uid: Number(sh('id', ['-u', name]).trim()) };
}
