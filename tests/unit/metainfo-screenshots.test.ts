import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { APP_ID, WEBSITE_URL } from '../../src/core/ids';

const file = (name: string) => fileURLToPath(new URL(`../../${name}`, import.meta.url));
const metainfo = readFileSync(file(`data/${APP_ID}.metainfo.xml.in`), 'utf8');
const { version } = JSON.parse(readFileSync(file('package.json'), 'utf8')) as { version: string };

/** A PNG's size, from its header (IHDR, the first chunk). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const screenshots = [...metainfo.matchAll(new RegExp('<screenshot( type="default")?>\\s*<caption>([^<]+)</caption>\\s*<image type="source" width="(\\d+)" height="(\\d+)">([^<]+)</image>', 'g'))].map((m) => ({
  isDefault: m[1] !== undefined,
  caption: m[2],
  width: Number(m[3]),
  height: Number(m[4]),
  url: m[5],
}));

/**
 * The software centre fetches the screenshots from the release's tag
 * (npm run metainfo-screenshots makes them): each named file is in
 * data/screenshots, its size as the metainfo says.
 */
describe('the metainfo’s screenshots', () => {
  test('three, the first the default, each with a caption short enough for appstream-util', () => {
    expect(screenshots.map((s) => s.isDefault)).toEqual([true, false, false]);
    expect((metainfo.match(new RegExp('<screenshot[ >]', 'g')) ?? []).length).toBe(3);
    for (const s of screenshots) expect(s.caption.length).toBeLessThanOrEqual(50);
  });

  test.each(screenshots.map((s) => [s.url.slice(s.url.lastIndexOf('/') + 1), s] as const))('%s is at the release’s tag in data/screenshots, its size as said', (_name, s) => {
    const repo = new URL(WEBSITE_URL).pathname;
    const prefix = `https://raw.githubusercontent.com${repo}/v${version}/data/screenshots/`;
    expect(s.url.startsWith(prefix)).toBe(true);
    const bytes = readFileSync(file(`data/screenshots/${s.url.slice(prefix.length)}`));
    expect(pngSize(bytes)).toEqual({ width: s.width, height: s.height });
    // Small enough for a software centre to fetch quickly.
    expect(bytes.length).toBeLessThan(400 * 1024);
  });
});
