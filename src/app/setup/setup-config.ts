import type { Config, Destination, Source } from '../../core/config';
import type { Schedule } from '../../core/schedule';
import type { DiskInfo, SetupMode } from './setup-types';

/** The folder on a disk that holds Rewind's backups. */
const DISK_FOLDER = 'rewind';
/** How a new stream-file destination starts: a fresh full stream every 30 incrementals or days. */
const FILES_DEFAULTS = { encrypt: false, chain: { maxIncrementals: 30, maxDays: 30 }, partSizeMiB: 1024 } as const;

/** A disk as a destination named `label`: btrfs used directly, another filesystem as stream files; null for any other disk. */
export function diskDestination(disk: DiskInfo, id: string, label: string): Destination | null {
  if (!disk.uuid) return null;
  if (disk.use === 'btrfs') return { id, kind: 'btrfs', filesystem: disk.uuid, path: DISK_FOLDER, label, enabled: true };
  if (disk.use === 'files') return { id, kind: 'files', filesystem: disk.uuid, path: DISK_FOLDER, label, enabled: true, ...FILES_DEFAULTS };
  return null;
}

/** A folder on any filesystem or share, written as stream files. */
export function folderDestination(path: string, label: string, id: string): Destination {
  return { id, kind: 'files', path, label, enabled: true, ...FILES_DEFAULTS };
}

/**
 * The configuration setup saves: the destination added to the existing
 * configuration (adding a destination), or the chosen folders, destination
 * and schedule (a first run). A destination already in the configuration
 * (setting up again on the same disk) stays where it is, as it is: never twice.
 */
export function configWith(existing: Config | null, mode: SetupMode, sources: Source[], destination: Destination, schedule: Schedule, exclude: string[] = []): Config {
  const base: Config = existing ?? {
    version: 1,
    sources: [],
    destinations: [],
    schedule: { kind: 'hourly' },
    conditions: { postponeOnBattery: false, postponeOnMetered: true },
  };
  const known = base.destinations.some((d) => d.id === destination.id);
  const destinations = known ? base.destinations.map((d) => (d.id === destination.id ? destination : d)) : [...base.destinations, destination];
  if (mode === 'add-destination') return { ...base, destinations };
  return { ...base, sources, ...(exclude.length > 0 || base.exclude ? { exclude } : {}), destinations, schedule };
}
