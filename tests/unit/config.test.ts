import { describe, expect, test } from '@jest/globals';
import { keepsStreamFiles, parseConfig, streamFilesSettings, validateConfig } from '../../src/core/config';

const disk = '0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1';
const valid = {
  version: 1,
  sources: [{ path: '/home' }],
  destinations: [{ id: 'usb', kind: 'btrfs', filesystem: disk }],
};

describe('config validation', () => {
  test('accepts a minimal config and fills defaults', () => {
    const result = validateConfig(valid);
    expect(result).toEqual({
      ok: true,
      config: {
        ...valid,
        destinations: [{ id: 'usb', kind: 'btrfs', filesystem: disk, path: '', enabled: true }],
        schedule: { kind: 'hourly' },
        conditions: { postponeOnBattery: false, postponeOnMetered: true },
      },
    });
  });

  test.each([
    [{ ...valid, version: 2 }, /^version: .*expected 1.*; found number 2$/],
    [{ ...valid, sources: [{ path: 42 }] }, /^sources\[0\]\.path: expected string, received number; found number 42$/],
    [{ ...valid, sources: [{ path: 'home' }] }, /^sources\[0\]\.path: must be an absolute path; found "home"$/],
    [{ version: 1, sources: [{ path: '/home' }] }, /^destinations: expected array, but it is missing$/],
    [{ ...valid, sources: [{ path: '/home', allSubvolumesOf: '/' }] }, /^sources\[0\]: needs exactly one of "path" .* or "allSubvolumesOf"/],
    [{ ...valid, sources: [{}] }, /^sources\[0\]: needs exactly one of/],
    [{ ...valid, destinations: [{ id: 'usb', kind: 'btrfs', filesystem: '/dev/sdb1' }] }, /^destinations\[0\]\.filesystem: must be a filesystem UUID.*; found "\/dev\/sdb1"$/],
    [{ ...valid, destinations: [{ id: 'usb', kind: 'btrfs', filesystem: disk, path: '../etc' }] }, /^destinations\[0\]\.path: must not contain "\.\."; found "\.\.\/etc"$/],
    [{ ...valid, colour: 'blue' }, /^\(top level\): unknown field "colour"$/],
    [{ ...valid, schedule: { kind: 'weekly', day: 'monday', at: '09:30' } }, /^schedule\.day: .*"mon".*; found "monday"$/],
    [{ ...valid, schedule: { kind: 'daily', at: '9:30' } }, /^schedule\.at: must be a time of day such as 09:30; found "9:30"$/],
    [{ ...valid, destinations: [{ id: 'usb', kind: 'files', path: 'relative' }] }, /^destinations\[0\]\.path: path must be an absolute folder/],
  ])('reports the field, what was expected and what was found (%#)', (data, message) => {
    const result = validateConfig(data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(message);
  });

  test('backs up /home when no source is given', () => {
    const result = validateConfig({ version: 1, destinations: [] });
    expect(result).toMatchObject({ ok: true, config: { sources: [{ path: '/home' }] } });
  });

  test('accepts every subvolume of a filesystem as a source', () => {
    expect(validateConfig({ ...valid, sources: [{ allSubvolumesOf: '/' }] })).toMatchObject({ ok: true });
  });

  test('takes retention for local snapshots, for all destinations and for one', () => {
    const config = {
      ...valid,
      retention: { local: { preset: 'frugal' }, destinations: { preset: 'custom', daily: 14, weekly: 8 } },
      destinations: [{ ...valid.destinations[0], retention: { preset: 'keep-all' } }],
    };
    expect(validateConfig(config)).toMatchObject({ ok: true, config: { retention: config.retention } });
  });

  test.each([
    [{ retention: { local: {} } }, /^retention\.local\.preset: .*is missing; it must be one of/],
    [{ retention: { local: { preset: 'custom', daily: -1 } } }, /^retention\.local\.daily: must be a whole number from 0 to 10000; found number -1$/],
    [{ retention: { destinations: { preset: 'custom' } } }, /^retention\.destinations: a custom policy must keep something/],
  ])('explains a wrong retention policy (%#)', (extra, message) => {
    const result = validateConfig({ ...valid, ...extra });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(message);
  });

  test("takes the monitor's notification settings, filling the ones left out", () => {
    const result = validateConfig({ ...valid, notifications: { remindAfterDays: 3 } });
    expect(result.ok && result.config.notifications).toEqual({ remindAfterDays: 3, lowSpacePercent: 10, onSuccess: false });
    const plain = validateConfig(valid);
    expect(plain.ok && plain.config.notifications).toBeUndefined();
    expect(validateConfig({ ...valid, notifications: { remindAfterDays: -1 } })).toEqual({ ok: false, problems: [expect.stringMatching(/^notifications\.remindAfterDays: .*; found number -1$/)] });
    expect(validateConfig({ ...valid, notifications: { daily: true } })).toEqual({ ok: false, problems: ['notifications: unknown field "daily"'] });
  });

  test("takes the restore drills' budget, filling what is left out", () => {
    const result = validateConfig({ ...valid, drill: { files: 40 } });
    expect(result.ok && result.config.drill).toEqual({ files: 40, mebibytes: 256, minutes: 5 });
    const plain = validateConfig(valid);
    expect(plain.ok && plain.config.drill).toBeUndefined();
    expect(validateConfig({ ...valid, drill: { minutes: 0 } })).toEqual({ ok: false, problems: [expect.stringMatching(/^drill\.minutes: /)] });
    expect(validateConfig({ ...valid, drill: { files: 1.5 } })).toEqual({ ok: false, problems: [expect.stringMatching(/^drill\.files: /)] });
  });

  test('rejects two destinations with the same id', () => {
    const dup = { ...valid, destinations: [valid.destinations[0], valid.destinations[0]] };
    expect(validateConfig(dup)).toEqual({ ok: false, problems: [expect.stringMatching(/"usb" is used twice/)] });
  });

  test('reports broken JSON as a problem, not an exception', () => {
    const result = parseConfig('{"version": 1,');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(/^not valid JSON: /);
  });
});

describe('the documented example', () => {
  test('docs/examples/usb-disk.json is a valid config', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../docs/examples/usb-disk.json', import.meta.url), 'utf8');
    expect(parseConfig(text)).toMatchObject({ ok: true });
  });
});

describe('ssh destinations', () => {
  const ssh = { id: 'server', kind: 'ssh', host: 'Backup.Example', path: '/srv/rewind' };
  test('fill port 22, user root and compression auto; the host is kept in lower case', () => {
    expect(validateConfig({ version: 1, destinations: [ssh] })).toMatchObject({
      ok: true,
      config: { destinations: [{ ...ssh, host: 'backup.example', port: 22, user: 'root', compression: 'auto', enabled: true }] },
    });
  });
  test.each([
    [{ ...ssh, host: '-oProxyCommand=x' }, /^destinations\[0\]\.host: must be a host name.*; found "-oProxyCommand=x"$/],
    [{ ...ssh, port: 70000 }, /^destinations\[0\]\.port: must be from 1 to 65535; found number 70000$/],
    [{ ...ssh, user: '-l' }, /^destinations\[0\]\.user: must be a user name/],
    [{ ...ssh, path: 'srv' }, /^destinations\[0\]\.path: must be an absolute path on the server/],
    [{ ...ssh, path: '/srv/$(x)' }, /^destinations\[0\]\.path: must be an absolute path on the server/],
    [{ ...ssh, compression: 'gzip' }, /^destinations\[0\]\.compression: .*"auto"|"zstd"|"none"/],
    [{ ...ssh, filesystem: '0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1' }, /^destinations\[0\]: unknown field "filesystem"$/],
  ])('report the field, what was expected and what was found (%#)', (destination, message) => {
    const result = validateConfig({ version: 1, destinations: [destination] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(message);
  });
  test('"store": "files" keeps stream files on the server, with the defaults of a "files" destination', () => {
    const result = validateConfig({ version: 1, destinations: [{ ...ssh, store: 'files', encrypt: true }] });
    expect(result).toMatchObject({ ok: true, config: { destinations: [{ store: 'files', encrypt: true }] } });
    if (!result.ok) return;
    const [destination] = result.config.destinations;
    expect(keepsStreamFiles(destination)).toBe(true);
    expect(streamFilesSettings(destination as never)).toEqual({ id: 'server', encrypt: true, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 });
    const plain = validateConfig({ version: 1, destinations: [ssh] });
    expect(plain.ok && keepsStreamFiles(plain.config.destinations[0])).toBe(false);
  });
  test.each([
    [{ ...ssh, store: 'zip' }, /^destinations\[0\]\.store: .*"btrfs"|"files"/],
    [{ ...ssh, encrypt: true }, /^destinations\[0\]\.encrypt: is a setting of stream files; it needs "store": "files"; found /],
    [{ ...ssh, store: 'btrfs', partSizeMiB: 10 }, /^destinations\[0\]\.partSizeMiB: is a setting of stream files; it needs "store": "files"; found /],
    [{ ...ssh, store: 'files', chain: { maxIncrementals: -1 } }, /^destinations\[0\]\.chain\.maxIncrementals: /],
  ])('stream-file fields of an ssh destination are checked (%#)', (destination, message) => {
    const result = validateConfig({ version: 1, destinations: [destination] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(message);
  });
  test('docs/examples/ssh-server.json is a valid config', async () => {
    const { readFileSync } = await import('node:fs');
    const result = parseConfig(readFileSync(new URL('../../docs/examples/ssh-server.json', import.meta.url), 'utf8'));
    expect(result.ok).toBe(true);
  });
});
