import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { dbusErrorName, RewindError } from '../../src/core/errors';
import { loadConfig, saveConfig } from '../../src/helper/config/config-file';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { bundleInto } from '../support/bundle';
import { Cleanup } from '../support/cleanup';
import { sh } from '../support/exec';
import { asUser } from '../support/system-bus';
import { createTestUser, type TestUser } from '../support/test-user';

jest.setTimeout(180_000);

// A root-owned 0700 folder below sticky /tmp: what the rules accept, like /etc/rewind.
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = { version: 1, sources: [{ path: '/home' }], destinations: [] };

describe('the config file', () => {
  test('is written whole and read back', async () => {
    const file = path.join(dir, 'etc/rewind/config.json');
    await saveConfig(file, good);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(good);
    expect(await loadConfig(file)).toEqual({
      ...good,
      destinations: [],
      schedule: { kind: 'hourly' },
      conditions: { postponeOnBattery: false, postponeOnMetered: true },
    });
    expect(readdirSync(path.dirname(file))).toEqual(['config.json']);
  });

  test('an invalid config is refused and the old file stays as it was', async () => {
    const file = path.join(dir, 'keep.json');
    await saveConfig(file, good);
    const before = readFileSync(file, 'utf8');
    await expect(saveConfig(file, { ...good, version: 7 })).rejects.toThrow(/^The new configuration is not valid: version: /);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  test('a missing file means "not configured"; a broken one names the file and the problem', async () => {
    await expect(loadConfig(path.join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'NotConfigured' });
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 1, "sources": [{"path": 5}], "destinations": []}');
    const error = (await loadConfig(broken).catch((e: unknown) => e)) as RewindError;
    expect(error.code).toBe('InvalidConfig');
    expect(error.message).toBe(
      `The configuration ${broken} is not valid: sources[0].path: expected string, received number; found number 5. Fix the configuration file named above, or set up backups again.`,
    );
  });
});

/**
 * A configuration others could have written is not used: the file must be
 * a regular file of root's, writable by root alone, in folders only root
 * can change. Each case is asked of the bundled helper's command line, with
 * a time limit: a FIFO or a link to a device must not hang it.
 */
describe('a configuration root alone cannot have written', () => {
  const cleanup = new Cleanup();
  let work: string;
  let helper: string;
  let user: TestUser;

  beforeAll(() => {
    work = mkdtempSync(path.join(dir, 'trust-'));
    helper = path.join(bundleInto(work), 'helper/rewind-helper.cjs');
    user = createTestUser(cleanup, 'rwc');
  });
  afterAll(() => cleanup.run());

  /** A fresh folder of root's, 0755, for one case. */
  function place(name: string): string {
    const folder = path.join(work, name);
    mkdirSync(folder, { mode: 0o755 });
    return folder;
  }

  function writeGood(file: string, mode = 0o644): void {
    writeFileSync(file, JSON.stringify(good), { mode });
    chmodSync(file, mode);
  }

  /** `rewind-helper status --json` on `config`: the error it reports, within a few seconds or not at all. */
  function configError(config: string): { code?: string; message?: string; sources: string[] } {
    const r = spawnSync(process.execPath, [helper, 'status', '--json', '--config', config, '--state-dir', path.join(work, 'state')], {
      encoding: 'utf8',
      timeout: 10_000,
      killSignal: 'SIGKILL',
    });
    expect({ timedOut: r.error?.message ?? '', status: r.status, stderr: r.stderr }).toEqual({ timedOut: '', status: 0, stderr: '' });
    const status = JSON.parse(r.stdout) as { sources: string[]; configError?: { code: string; message: string } };
    return { ...status.configError, sources: status.sources };
  }

  test('a config of root, 0644, in folders of root, is used', () => {
    const config = path.join(place('good'), 'config.json');
    writeGood(config);
    expect(configError(config)).toEqual({ sources: ['/home'] });
  });

  test('a config made world-writable after it was used is refused', () => {
    const config = path.join(place('world-writable'), 'config.json');
    writeGood(config);
    expect(configError(config).sources).toEqual(['/home']);
    chmodSync(config, 0o666);
    expect(configError(config)).toEqual({
      code: 'InvalidConfig',
      message: `The configuration is not used: the file ${config} can be changed by users other than root (mode 666). Rewind trusts only a regular file that root alone can change, in folders only root can change. An administrator of this computer can fix it: chown root:root ${config}; chmod go-w ${config}.`,
      sources: [],
    });
  });

  test('a config owned by a user is refused', () => {
    const config = path.join(place('user-owned'), 'config.json');
    writeGood(config);
    chownSync(config, user.uid, user.uid);
    expect(configError(config)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining(`the file ${config} is owned by user ${user.uid}, not by root.`), sources: [] });
  });

  test('a config in a folder others may write to is refused', () => {
    const folder = place('open-folder');
    const config = path.join(folder, 'config.json');
    writeGood(config);
    chmodSync(folder, 0o777);
    expect(configError(config)).toMatchObject({
      code: 'InvalidConfig',
      message: expect.stringContaining(`the folder ${folder} that holds it can be changed by users other than root (mode 777).`),
      sources: [],
    });
    // Sticky is not enough for the folder that holds it: others could still add the file before root does.
    chmodSync(folder, 0o1777);
    expect(configError(config)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining('(mode 1777)') });
  });

  test('a config below a folder of a user is refused', () => {
    const owned = place('user-folder');
    chownSync(owned, user.uid, user.uid);
    const inner = path.join(owned, 'etc');
    mkdirSync(inner, { mode: 0o755 });
    const config = path.join(inner, 'config.json');
    writeGood(config);
    expect(configError(config)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining(`the folder ${owned} above it is owned by user ${user.uid}, not by root.`) });
  });

  test("a config that is a link to a user's file is refused", () => {
    const theirs = place('users-file');
    chownSync(theirs, user.uid, user.uid);
    const target = path.join(theirs, 'mine.json');
    writeGood(target);
    chownSync(target, user.uid, user.uid);
    const config = path.join(place('link'), 'config.json');
    symlinkSync(target, config);
    expect(configError(config)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining(`the file ${config} is a symbolic link.`), sources: [] });
  });

  test('a FIFO and a link to /dev/urandom are refused at once, not waited on', () => {
    const fifo = path.join(place('fifo'), 'config.json');
    sh('mkfifo', ['-m', '0644', fifo]);
    expect(configError(fifo)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining(`the file ${fifo} is not a regular file.`) });
    const random = path.join(place('urandom'), 'config.json');
    symlinkSync('/dev/urandom', random);
    expect(configError(random)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining(`the file ${random} is a symbolic link.`) });
  });

  test('a config larger than 1 MiB is refused without being read', () => {
    const config = path.join(place('large'), 'config.json');
    writeFileSync(config, `${JSON.stringify(good)}${' '.repeat(1024 * 1024)}`);
    expect(configError(config)).toMatchObject({ code: 'InvalidConfig', message: expect.stringContaining('is larger than 1048576 bytes') });
  });
});

/** The running daemon checks the file on every call: a config made world-writable while it runs is not served. */
describe('the daemon, asked by a user', () => {
  let fx: BackupFixture;
  beforeAll(async () => {
    fx = await createBackupFixture({ destinationMiB: 128, sourceMiB: 128 });
  });
  afterAll(() => fx?.cleanup.run());

  function call(method: string): { result?: { hostName?: string }; error?: { name: string; message: string } } {
    const r = asUser(fx.allowed.name, fx.bus, 'gjs', ['-m', fx.callHelper, 'call', method]);
    return JSON.parse(r.stdout.trim().split('\n')[0]) as { result?: { hostName?: string }; error?: { name: string; message: string } };
  }

  test('refuses a configuration made world-writable and does not serve what was put in it', () => {
    expect(call('GetConfig').result?.hostName).toBe(fx.hostName);
    const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Record<string, unknown>;
    chmodSync(fx.configPath, 0o666);
    // What a user could now write: a source of theirs to be read as root.
    writeFileSync(fx.configPath, JSON.stringify({ ...config, hostName: 'injected', sources: [{ path: '/root' }] }));
    const refused = call('GetConfig');
    expect(refused.result).toBeUndefined();
    expect(refused.error?.name).toBe(dbusErrorName('InvalidConfig'));
    expect(refused.error?.message).toContain(`the file ${fx.configPath} can be changed by users other than root (mode 666)`);
    const status = call('GetStatus') as unknown as { result: { configured: boolean; sources: string[]; configError?: { code: string } } };
    expect(status.result).toMatchObject({ configured: false, sources: [], configError: { code: 'InvalidConfig' } });
  });
});
