import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Metered, PowerSupply } from '../../core/conditions';
import { runCommand } from '../system/run-command';

/** What src/core/conditions decides on, read from the machine. */

const POWER_SUPPLY_DIR = '/sys/class/power_supply';

/**
 * Where the power supplies are read. REWIND_POWER_SUPPLY_DIR stands in for
 * sysfs in the tests, the one machine fact they cannot change for real (no
 * charger to unplug); the helper's environment comes from systemd or the
 * bus, never from a caller.
 */
function powerSupplyDir(): string {
  return process.env.REWIND_POWER_SUPPLY_DIR || POWER_SUPPLY_DIR;
}

async function field(dir: string, name: string): Promise<string | undefined> {
  return readFile(path.join(dir, name), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

export async function readPowerSupplies(root = powerSupplyDir()): Promise<PowerSupply[]> {
  const supplies: PowerSupply[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const dir = path.join(root, name);
    const type = await field(dir, 'type');
    if (!type) continue;
    const online = await field(dir, 'online');
    supplies.push({
      type,
      ...(online === undefined ? {} : { online: Number(online) }),
      ...((await field(dir, 'status')) === undefined ? {} : { status: await field(dir, 'status') }),
      ...((await field(dir, 'scope')) === undefined ? {} : { scope: await field(dir, 'scope') }),
    });
  }
  return supplies;
}

/** NetworkManager's Metered property; undefined when NetworkManager does not answer (not installed, not running). */
export async function readMetered(): Promise<Metered> {
  const out = await runCommand('busctl', [
    '--system',
    'get-property',
    'org.freedesktop.NetworkManager',
    '/org/freedesktop/NetworkManager',
    'org.freedesktop.NetworkManager',
    'Metered',
  ], { timeoutMs: 2000 }).catch(() => '');
  const m = /^u (\d)$/.exec(out.trim());
  return m ? (Number(m[1]) as Metered) : undefined;
}
