import { describe, expect, test } from '@jest/globals';
import { onBattery, postponeReason, type PowerSupply } from '../../src/core/conditions';

// Readings as sysfs shows them on a laptop (AC + BAT0) and a desktop with a wireless mouse.
const ac = (online: number): PowerSupply => ({ type: 'Mains', online });
const battery = (status: string): PowerSupply => ({ type: 'Battery', status, scope: 'System' });
const mouse: PowerSupply = { type: 'Battery', status: 'Discharging', scope: 'Device' };

describe('onBattery', () => {
  test.each([
    ['laptop unplugged', [ac(0), battery('Discharging')], true],
    ['laptop plugged in, charging', [ac(1), battery('Charging')], false],
    ['laptop plugged in, full', [ac(1), battery('Full')], false],
    ['laptop plugged in but the battery reports Discharging (under heavy load)', [ac(1), battery('Discharging')], false],
    ['USB-C charger', [{ type: 'USB', online: 1 }, battery('Discharging')], false],
    ['desktop with a wireless mouse', [mouse], false],
    ['no power supply information (a VM)', [], false],
  ] as Array<[string, PowerSupply[], boolean]>)('%s', (_name, supplies, expected) => {
    expect(onBattery(supplies)).toBe(expected);
  });
});

describe('postponeReason', () => {
  const unplugged = [ac(0), battery('Discharging')];
  test('battery only when asked for', () => {
    expect(postponeReason({ postponeOnBattery: false, postponeOnMetered: false }, { supplies: unplugged, metered: 2, networkDestinations: false })).toBeUndefined();
    expect(postponeReason({ postponeOnBattery: true, postponeOnMetered: false }, { supplies: unplugged, metered: 2, networkDestinations: false })).toBe('on-battery');
  });

  test('metered networks matter only with a destination over the network, and a guess counts', () => {
    const on = { postponeOnBattery: false, postponeOnMetered: true };
    expect(postponeReason(on, { supplies: [], metered: 1, networkDestinations: false })).toBeUndefined();
    expect(postponeReason(on, { supplies: [], metered: 3, networkDestinations: true })).toBe('metered-network');
    expect(postponeReason(on, { supplies: [], metered: 4, networkDestinations: true })).toBeUndefined();
    expect(postponeReason(on, { supplies: [], metered: undefined, networkDestinations: true })).toBeUndefined();
  });
});
