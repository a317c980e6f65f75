import { WEEKDAYS, type Schedule } from '../../core/schedule';

export type SetupPage = 'what' | 'where' | 'prepare' | 'when' | 'summary';
export type SetupMode = 'first-run' | 'add-destination';

/** ListDisks' entries: the helper's type (src/core/contract/responses.ts). */
export type { DiskInfo } from '../../core/contract/responses';

/** A destination id from a name: letters, digits, - and _, unique in the config. */
export function destinationId(name: string, taken: string[]): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase()
      .slice(0, 56) || 'backup';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

export function isSchedule(value: unknown): value is Schedule {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  const time = typeof s.at === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(s.at);
  if (s.kind === 'manual' || s.kind === 'hourly') return true;
  if (s.kind === 'daily') return time;
  if (s.kind === 'weekly') return time && (WEEKDAYS as readonly unknown[]).includes(s.day);
  return false;
}

/** A schedule from JSON as the config spells it, or undefined. */
export function parseSchedule(json: string): Schedule | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return isSchedule(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
