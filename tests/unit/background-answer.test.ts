import { describe, expect, test } from '@jest/globals';
import { backgroundAnswer, requestPath, requestToken } from '../../src/core/background-answer';

describe('the Background portal’s answer', () => {
  test.each([
    [0, { background: true, autostart: true }, 'allowed'],
    [0, { background: true, autostart: false }, 'allowed'],
    [0, { background: false, autostart: false }, 'refused'],
    [1, {}, 'refused'],
    [1, { background: true }, 'refused'],
    [2, { background: false }, null],
    [0, {}, null],
    [0, { background: 'yes' }, null],
    [7, { background: true }, null],
  ] as const)('response %d with %j is %s', (response, results, answer) => {
    expect(backgroundAnswer(response, results)).toBe(answer);
  });

  test('the Request object is where the portal puts it for this caller and token', () => {
    expect(requestPath(':1.42', 'rewind_a1')).toBe('/org/freedesktop/portal/desktop/request/1_42/rewind_a1');
  });

  test('a token is a valid object path element, different for different draws', () => {
    for (const r of [0, 0.5, 0.999999]) expect(requestToken(r)).toMatch(/^[A-Za-z0-9_]+$/);
    expect(requestToken(0.25)).not.toBe(requestToken(0.75));
  });
});
