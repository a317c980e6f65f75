import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { Config } from '../../src/core/config';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { startUserSession } from '../support/user-session';
import { artifactsDir, startXvfb } from '../support/display';
import { settle, startApp, type AppDriver } from '../support/app-driver';
import { waitFor } from '../support/exec';
import { REPO } from '../support/system-bus';

/**
 * A first setup to a folder (stream files) with "Encrypt backups" turned on,
 * through the real app under Xvfb: the switch is offered on the summary, the
 * configuration saved has encrypt: true, the recovery key is shown once
 * (the key this computer keeps), and the first backup, started by Start
 * Backups, writes only age-encrypted stream files.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let display: string;
let userEnv: string[];
const shots = artifactsDir(REPO, 'screenshots');

beforeAll(async () => {
  fx = await createBackupFixture();
  display = await startXvfb(fx.cleanup);
  userEnv = await startUserSession(fx, display, ['TZ=UTC']);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

let current: AppDriver | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('setup to a folder', () => {
  test.each(['light', 'dark'] as const)('with Encrypt backups on, the recovery key is shown once and the first backup is encrypted (%s)', async (style) => {
    // Each style a first run of its own.
    rmSync(fx.configPath, { force: true });
    const app = startApp(fx, userEnv, display, shots, style);
    current = app;
    await waitFor('the welcome page', () => app.output().includes('rewind: page not-configured') || undefined, 30_000);
    const idle = app.count('rewind: setup idle');
    await app.step('setup', undefined, 'rewind: setup page what');
    await waitFor('the configuration read', () => app.count('rewind: setup idle') > idle || undefined, 60_000);
    await app.step('setup.add-source', fx.home, `rewind: setup sources ${fx.home} ready`);
    await app.step('setup.continue', undefined, 'rewind: setup page where');

    const folder = path.join(fx.dir, `encrypted-backups-${style}`);
    mkdirSync(folder);
    await app.step('setup.choose-folder', folder, 'rewind: setup page when');
    await app.step('setup.continue', undefined, 'rewind: setup page summary');
    const summary = (await app.texts()).find((w) => w.window === 'Set Up Backups')?.texts ?? [];
    expect(summary).toContain('Encrypt backups');
    expect(summary).toContain('A recovery key is shown once: keep it, it is needed to restore on another computer.');
    await app.step('setup.encrypt', undefined, 'rewind: setup encrypt true');
    await app.shoot('setup-4-summary-encrypt');

    const completed = app.count('rewind: backup completed ok');
    await app.step('setup.save', undefined, 'rewind: recovery key shown', 60_000);
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Config;
    const destination = config.destinations.find((d) => d.kind === 'files' && d.path === folder);
    expect(destination).toMatchObject({ kind: 'files', path: folder, encrypt: true });
    // The key on screen is the one this computer keeps for these backups.
    const identity = readFileSync(path.join(fx.stateDir, 'keys', `${destination!.id}.agekey`), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    await settle();
    expect((await app.texts()).flatMap((w) => w.texts)).toContain(identity);
    await app.shoot('setup-5-recovery-key');
    await app.step('key.done', undefined, 'rewind: recovery key closed');

    // Start Backups started the first backup.
    await waitFor('the first backup', () => app.count('rewind: backup completed ok') > completed || /rewind: backup failed \S+/.exec(app.output())?.[0], 120_000);
    const history = JSON.parse(readFileSync(path.join(fx.stateDir, 'history.json'), 'utf8')) as RunRecord[];
    expect(history.at(-1)?.transfers.find((t) => t.destination === destination!.id)).toMatchObject({ ok: true, kind: 'full' });
    const streams = filesUnder(folder).filter((f) => path.basename(f) !== 'manifest.json');
    expect(streams.length).toBeGreaterThan(0);
    for (const file of streams) {
      expect(path.basename(file)).toMatch(/\.btrfs\.zst\.age\.\d{3}$/);
      expect(readFileSync(file).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    }
  });
});
