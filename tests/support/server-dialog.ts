import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import type { RunRecord } from '../../src/core/status';
import { settle, type AppDriver } from './app-driver';
import type { BackupFixture } from './backup-fixture';
import { waitFor } from './exec';

/**
 * Add Backup Server and what follows it, as the app tests drive them: each
 * step of the dialog, Back Up Now, and what the main page says of a server.
 */

/** Activates an Add Backup Server step and waits for its page (or fails with the dialog's error). */
export async function sshStep(a: AppDriver, action: string, line: string): Promise<void> {
  const before = a.count(line);
  const from = a.output().length;
  a.activate(action);
  await waitFor(line, () => a.count(line) > before || /rewind: ssh error .*/.exec(a.output().slice(from))?.[0], 60_000);
  expect(a.output().slice(from)).not.toMatch(/rewind: ssh error/);
  await settle();
}

export interface ServerFields {
  host: string;
  port: number;
  path: string;
  /** Left out: the dialog's own default stays. */
  user?: string;
}

/**
 * Opens the dialog and fills the server page (screenshot PREFIX-1-server),
 * then goes on to the key page (PREFIX-2-key) and stops there.
 */
export async function openServerDialog(a: AppDriver, fields: ServerFields, prefix = 'ssh-server'): Promise<void> {
  await waitFor('the main page', () => a.output().includes('rewind: page ') || undefined, 30_000);
  a.activate('add-ssh-destination');
  await waitFor('the dialog', () => a.count('rewind: ssh page server') > 0 || undefined);
  a.activate('ssh.fill', JSON.stringify(fields));
  await settle();
  await a.shoot(`${prefix}-1-server`);
  await sshStep(a, 'ssh.continue', 'rewind: ssh page key');
  await a.shoot(`${prefix}-2-key`);
}

/** From the key page: the fingerprint (PREFIX-3-fingerprint), Trust, and the connection test's answer. */
export async function trustAndTest(a: AppDriver, prefix = 'ssh-server'): Promise<string> {
  await sshStep(a, 'ssh.continue', 'rewind: ssh page fingerprint');
  await a.shoot(`${prefix}-3-fingerprint`);
  const before = a.count('rewind: ssh checked ');
  a.activate('ssh.trust');
  await waitFor('the connection test', () => a.count('rewind: ssh checked ') > before || /rewind: ssh error .*/.exec(a.output())?.[0], 60_000);
  await settle();
  return a.output().split('rewind: ssh checked ').at(-1)!.split('\n')[0];
}

/** The dialog up to a connection test's answer. */
export async function addServer(a: AppDriver, fields: ServerFields, prefix = 'ssh-server'): Promise<string> {
  await openServerDialog(a, fields, prefix);
  return trustAndTest(a, prefix);
}

export function history(fx: BackupFixture): RunRecord[] {
  return JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
}

/** Back Up Now, and the main page once it finished (photographed as `name`). */
export async function backUpNow(fx: BackupFixture, a: AppDriver, name: string): Promise<RunRecord> {
  const runs = a.count('rewind: backup ');
  a.activate('back-up-now');
  await waitFor('the backup to finish', () => (a.count('rewind: backup completed') + a.count('rewind: backup failed') > 0 && a.count('rewind: backup ') > runs) || undefined, 120_000);
  expect(a.output()).toContain('rewind: backup completed ok');
  await waitFor('the server’s free space', () => /rewind: space \S+ ok \d+/.exec(a.output())?.[0], 30_000);
  await settle();
  await a.shoot(name);
  return history(fx).at(-1)!;
}

/** The main page names the server and says its free space in words. */
export async function expectServerOnMainPage(a: AppDriver, name: string): Promise<void> {
  const texts = (await a.texts()).flatMap((w) => w.texts);
  expect(texts).toContain(name);
  expect(texts.join('\n')).toMatch(/Backup server · .* · [\d.,]+\s[kMGT]?B free/);
}

/** The id Add Server gave the server (the first destination). */
export function serverId(fx: BackupFixture): string {
  return (JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: Array<{ id: string }> }).destinations[0].id;
}
