import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { RewindError } from '../../src/core/errors';
import { loadConfig, saveConfig } from '../../src/helper/config-file';

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
