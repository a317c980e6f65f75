import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { BACKGROUND_REFUSED_KEY } from '../../src/core/background-answer';
import { APP_ID } from '../../src/core/ids';
import { DEFAULT_NOTIFICATIONS, NOTIFICATION_KEYS, NOTIFICATION_RANGES, pickNotificationSettings } from '../../src/core/notification-settings';

const schemaFile = fileURLToPath(new URL(`../../data/${APP_ID}.gschema.xml`, import.meta.url));

/** Each <key> of the schema: its name, type, default and range. */
function schemaKeys(xml: string): Map<string, { type: string; default: string; range?: [number, number] }> {
  const keys = new Map<string, { type: string; default: string; range?: [number, number] }>();
  for (const [, name, type, body] of xml.matchAll(/<key name="([^"]+)" type="([^"]+)">([\s\S]*?)<\/key>/g)) {
    const range = /<range min="(\d+)" max="(\d+)"\/>/.exec(body);
    keys.set(name, { type, default: /<default>([^<]*)<\/default>/.exec(body)?.[1] ?? '', ...(range ? { range: [Number(range[1]), Number(range[2])] as [number, number] } : {}) });
  }
  return keys;
}

describe('the GSettings schema', () => {
  const xml = readFileSync(schemaFile, 'utf8');

  test('is the app id, at the path GNOME derives from it', () => {
    expect(xml).toContain(`<schema id="${APP_ID}" path="/${APP_ID.replaceAll('.', '/')}/">`);
    expect(xml).toContain('gettext-domain="rewind"');
  });

  test('has exactly the settings of the code, with its defaults and ranges', () => {
    const keys = schemaKeys(xml);
    expect([...keys.keys()].sort()).toEqual([...Object.values(NOTIFICATION_KEYS), BACKGROUND_REFUSED_KEY].sort());
    expect(keys.get(BACKGROUND_REFUSED_KEY)).toEqual({ type: 'b', default: 'false' });
    expect(keys.get(NOTIFICATION_KEYS.onSuccess)).toEqual({ type: 'b', default: String(DEFAULT_NOTIFICATIONS.onSuccess) });
    for (const setting of ['remindAfterDays', 'lowSpacePercent'] as const) {
      expect(keys.get(NOTIFICATION_KEYS[setting])).toEqual({ type: 'u', default: String(DEFAULT_NOTIFICATIONS[setting]), range: NOTIFICATION_RANGES[setting] });
    }
  });
});

describe('pickNotificationSettings', () => {
  test('keeps what is named correctly', () => {
    expect(pickNotificationSettings({ remindAfterDays: 3, lowSpacePercent: 20, onSuccess: true })).toEqual({ remindAfterDays: 3, lowSpacePercent: 20, onSuccess: true });
    expect(pickNotificationSettings({ lowSpacePercent: 0 })).toEqual({ lowSpacePercent: 0 });
  });

  test('leaves out wrong types, numbers out of range and unknown names', () => {
    expect(pickNotificationSettings({ remindAfterDays: -1, lowSpacePercent: 51, onSuccess: 'yes', daily: true })).toEqual({});
    expect(pickNotificationSettings({ remindAfterDays: 2.5, lowSpacePercent: '5' })).toEqual({});
    expect(pickNotificationSettings({ remindAfterDays: 365 })).toEqual({ remindAfterDays: 365 });
  });

  test('anything but an object names nothing', () => {
    for (const value of [undefined, null, 3, 'x', [1]]) expect(pickNotificationSettings(value)).toEqual({});
  });
});
