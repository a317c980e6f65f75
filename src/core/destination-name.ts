import type { Config, Destination } from './config';
import { controlCharacterProblem } from './control-characters';

/**
 * The name people see for a destination. It is the destination's `label`,
 * which setup fills in and Preferences renames; a configuration written by
 * hand may have none, and its `id` is an internal key ("blue-usb-disk"),
 * never shown: such a destination is named after what it is instead.
 */
export const MAX_NAME_LENGTH = 200;

/** Said of a disk that has no name of its own. */
const UNNAMED_DISK = 'Backup disk';

type Named = Pick<Destination, 'label'> &
  ({ kind: 'btrfs' } | { kind: 'files'; path: string } | { kind: 'ssh'; host: string });

export function destinationName(d: Named): string {
  const label = d.label?.trim();
  if (label) return label;
  if (d.kind === 'ssh') return d.host;
  if (d.kind === 'files') {
    const folder = d.path.split('/').filter((part) => part !== '').at(-1);
    if (folder) return folder;
  }
  return UNNAMED_DISK;
}

export type NameProblem = 'empty' | 'too-long' | 'control-characters' | 'taken';

/** What is wrong with `name` as the new name of destination `id`, or undefined. */
export function checkDestinationName(name: string, id: string, destinations: readonly Destination[]): NameProblem | undefined {
  const wanted = name.trim();
  if (wanted === '') return 'empty';
  if (wanted.length > MAX_NAME_LENGTH) return 'too-long';
  if (controlCharacterProblem(wanted) !== undefined) return 'control-characters';
  const same = (other: string) => other.localeCompare(wanted, undefined, { sensitivity: 'accent' }) === 0;
  if (destinations.some((d) => d.id !== id && same(destinationName(d)))) return 'taken';
  return undefined;
}

/** The configuration with destination `id` named `name` (trimmed); unchanged when there is no such destination. */
export function renameDestination(config: Config, id: string, name: string): Config {
  return { ...config, destinations: config.destinations.map((d) => (d.id === id ? { ...d, label: name.trim() } : d)) };
}
