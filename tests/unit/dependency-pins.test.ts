import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

/**
 * The root daemon's D-Bus library, dbus-next, asks for xml2js ^0.4.17, and
 * xml2js before 0.5.0 lets a parsed element named __proto__ replace the
 * prototype of the object it builds (CVE-2023-0842). package.json pins the
 * fixed version with "overrides"; these tests fail if a lock file update or a
 * new dependency brings a vulnerable xml2js back into what the helper bundles.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXED = [0, 5, 0];

const atLeast = (version: string, floor: number[]): boolean => {
  const parts = version.split(/[.-]/).map(Number);
  for (let i = 0; i < floor.length; i++) {
    if (parts[i] !== floor[i]) return parts[i] > floor[i];
  }
  return true;
};

describe('xml2js under dbus-next', () => {
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };

  test('package.json pins a fixed xml2js for every dependent', () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { overrides?: Record<string, string> };
    expect(manifest.overrides?.xml2js).toMatch(/^\d+\.\d+\.\d+$/);
    expect(atLeast(manifest.overrides!.xml2js, FIXED)).toBe(true);
  });

  test('every xml2js in package-lock.json is 0.5.0 or newer', () => {
    const found = Object.entries(lock.packages)
      .filter(([key]) => key === 'node_modules/xml2js' || key.endsWith('/node_modules/xml2js'))
      .map(([key, entry]) => ({ key, version: entry.version ?? '' }));
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !atLeast(f.version, FIXED))).toEqual([]);
  });

  test("the xml2js dbus-next loads keeps an element named __proto__ as data, not the result's prototype", () => {
    const fromDbusNext = createRequire(path.join(REPO, 'node_modules', 'dbus-next', 'lib', 'bus.js'));
    const xml2js = fromDbusNext('xml2js') as {
      Parser: new (options?: object) => { parseString(xml: string, cb: (err: Error | null, result: Record<string, unknown>) => void): void };
    };
    let parsed: Record<string, unknown> | undefined;
    new xml2js.Parser({ explicitArray: false, async: false }).parseString('<node><__proto__><polluted>yes</polluted></__proto__></node>', (err, result) => {
      if (err) throw err;
      parsed = result;
    });
    const node = parsed!.node as Record<string, unknown>;
    expect(Object.getPrototypeOf(node)).toBe(Object.prototype);
    expect(Object.hasOwn(node, '__proto__')).toBe(true);
    expect((node as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
