import { describe, expect, test } from '@jest/globals';
import { randomHex, randomUuid } from '../../src/helper/system/random-id';

describe('random ids from the kernel', () => {
  test('a UUID is version 4, RFC 4122 variant, lowercase, and never repeats', () => {
    const ids = Array.from({ length: 2000 }, () => randomUuid());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('the other bits are random: each hex digit of the random part is about equally frequent', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of randomUuid().replace(/-/g, '').slice(0, 12)) counts.set(c, (counts.get(c) ?? 0) + 1);
    // 24,000 digits: 1,500 expected each; a stuck or biased source is far outside this.
    expect(counts.size).toBe(16);
    for (const n of counts.values()) expect(Math.abs(n - 1500)).toBeLessThan(250);
  });

  test('hex of the length asked for', () => {
    expect(randomHex(3)).toMatch(/^[0-9a-f]{6}$/);
    expect(randomHex(0)).toBe('');
    expect(new Set(Array.from({ length: 200 }, () => randomHex(8))).size).toBe(200);
  });
});
