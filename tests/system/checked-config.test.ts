import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, jest, test } from '@jest/globals';
import { bundleInto } from '../support/bundle';

/**
 * The checked copy of the configuration (src/helper/config/checked-config.ts): the
 * bundled helper keeps what it checked, readable by root alone, and takes it
 * back instead of checking again only while neither the configuration file
 * nor the helper changed. A copy is trusted as the validator's word, so the
 * tests change a kept copy by hand to see when it is used: a changed copy
 * that shows is one the helper took back unchecked.
 */
jest.setTimeout(120_000);

let dir: string;
let dist: string;
let config: string;
let state: string;
const copyPath = () => path.join(state, 'config-checked.json');

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-checked-config-'));
  dist = bundleInto(dir);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  config = path.join(dir, `config-${Date.now()}.json`);
  state = mkdtempSync(path.join(dir, 'state-'));
  writeConfig('/home');
});

function writeConfig(source: string | number, file = config): void {
  writeFileSync(file, JSON.stringify({ version: 1, sources: [{ path: source }], destinations: [] }));
}

/** `rewind-helper status --json` with the test's configuration and state: what the helper took the configuration to say. */
function status(helperDir = path.join(dist, 'helper')): { sources: string[]; configError?: { code: string; message: string } } {
  const r = spawnSync(process.execPath, [path.join(helperDir, 'rewind-helper.cjs'), 'status', '--json', '--config', config, '--state-dir', state], { encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(r.stdout) as { sources: string[]; configError?: { code: string; message: string } };
}

/** Changes the source the kept copy names, keeping its key and its mode. */
function changeCopy(source: string): void {
  const copy = JSON.parse(readFileSync(copyPath(), 'utf8')) as { key: string; config: { sources: Array<{ path: string }> } };
  copy.config.sources = [{ path: source }];
  writeFileSync(copyPath(), JSON.stringify(copy));
}

test('what was checked is kept, for root alone, and taken back while nothing changed', () => {
  expect(status().sources).toEqual(['/home']);
  expect((statSync(copyPath()).mode & 0o777).toString(8)).toBe('600');
  expect(JSON.parse(readFileSync(copyPath(), 'utf8'))).toMatchObject({ config: { version: 1, sources: [{ path: '/home' }], destinations: [], schedule: { kind: 'hourly' } } });
  changeCopy('/from-the-copy');
  expect(status().sources).toEqual(['/from-the-copy']);
  expect(readdirSync(state)).toEqual(['config-checked.json']);
});

test('a file written again is checked again, even with the same text', () => {
  status();
  changeCopy('/from-the-copy');
  writeConfig('/home');
  expect(status().sources).toEqual(['/home']);
  // And kept anew: the next start takes the new copy.
  changeCopy('/from-the-new-copy');
  expect(status().sources).toEqual(['/from-the-new-copy']);
});

test('an invalid file is refused although a copy of the valid one was kept', () => {
  status();
  writeConfig(5);
  expect(status().configError).toEqual({
    code: 'InvalidConfig',
    message: expect.stringContaining('sources[0].path: expected string, received number; found number 5') as unknown as string,
  });
  // The copy of the valid file stays, and is never taken for the invalid one.
  expect(status().configError?.code).toBe('InvalidConfig');
});

test('a file replaced by another, as the app saves it, is checked again', () => {
  status();
  changeCopy('/from-the-copy');
  const replacement = `${config}.new`;
  writeConfig('/home', replacement);
  renameSync(replacement, config);
  expect(status().sources).toEqual(['/home']);
});

test('another helper checks again', () => {
  status();
  changeCopy('/from-the-copy');
  const other = path.join(dir, 'other-helper');
  mkdirSync(other, { recursive: true });
  for (const name of readdirSync(path.join(dist, 'helper'))) copyFileSync(path.join(dist, 'helper', name), path.join(other, name));
  expect(status(other).sources).toEqual(['/home']);
});

test('a copy others may write to, or a link, is not read', () => {
  status();
  changeCopy('/from-the-copy');
  chmodSync(copyPath(), 0o666);
  expect(status().sources).toEqual(['/home']);
  expect((statSync(copyPath()).mode & 0o777).toString(8)).toBe('600');

  changeCopy('/from-the-link');
  const elsewhere = path.join(dir, 'elsewhere.json');
  renameSync(copyPath(), elsewhere);
  symlinkSync(elsewhere, copyPath());
  expect(status().sources).toEqual(['/home']);
});
