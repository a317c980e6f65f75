import { RewindError } from '../errors';
import { controlCharacterProblem } from '../control-characters';
import type { SubvolumeRequest } from '../subvolume-size';

/** At most this many folders in one ListSubvolumes, and at most this many mounted subvolumes measured. */
export const MAX_PATHS = 32;

/** ListSubvolumes' argument: {"paths": ["/absolute/folder", …]}, without "..". */
export function parseSubvolumeRequest(json: string): SubvolumeRequest {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    // handled below
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `ListSubvolumes: ${problem}.`);
  const paths = (data as { paths?: unknown } | undefined)?.paths;
  if (
    typeof data !== 'object' ||
    data === null ||
    Object.keys(data).some((k) => k !== 'paths') ||
    !Array.isArray(paths) ||
    paths.length > MAX_PATHS ||
    paths.some((p) => typeof p !== 'string' || !p.startsWith('/') || p.split('/').includes('..') || p.length > 4096)
  ) {
    throw new RewindError('InvalidArgs', `ListSubvolumes needs {"paths": ["/absolute/folder", …]} with at most ${MAX_PATHS} folders and no "..".`);
  }
  return { paths: paths as string[] };
}
