import { RewindError } from '../errors';
import { controlCharacterProblem } from '../control-characters';

/** ListDisks' argument: the folders setup has chosen so far. */
export interface ListDisksInput {
  sources: string[];
}

/** ListDisks' optional argument: {"sources": ["/home", …]}, the folders setup has chosen so far. */
export function parseListDisksRequest(json: string): string[] {
  let data: { sources?: unknown } | undefined;
  try {
    data = JSON.parse(json) as typeof data;
  } catch {
    // handled below
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `ListDisks: ${problem}.`);
  const sources = data?.sources;
  if (
    typeof data !== 'object' ||
    data === null ||
    Object.keys(data).some((k) => k !== 'sources') ||
    !Array.isArray(sources) ||
    sources.length > 64 ||
    sources.some((s) => typeof s !== 'string' || !s.startsWith('/') || s.split('/').includes('..'))
  ) {
    throw new RewindError('InvalidArgs', 'ListDisks takes nothing, or {"sources": ["/absolute/folder", …]} without "..".');
  }
  return sources as string[];
}

/** PrepareDisk's argument: the device and the size the user was shown. */
export interface PrepareDiskRequest {
  path: string;
  sizeBytes: number;
  label?: string;
}

export function parsePrepareRequest(json: string): PrepareDiskRequest {
  let data: { path?: unknown; sizeBytes?: unknown; label?: unknown } | undefined;
  try {
    data = JSON.parse(json) as typeof data;
  } catch {
    // handled below
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `PrepareDisk: ${problem}.`);
  const keys = data && typeof data === 'object' ? Object.keys(data) : [];
  if (
    !data ||
    keys.some((k) => !['path', 'sizeBytes', 'label'].includes(k)) ||
    typeof data.path !== 'string' ||
    !/^\/dev\/[A-Za-z0-9_./-]+$/.test(data.path) ||
    data.path.includes('..') ||
    !Number.isSafeInteger(data.sizeBytes) ||
    (data.label !== undefined && (typeof data.label !== 'string' || data.label.length > 64))
  ) {
    throw new RewindError('InvalidArgs', 'PrepareDisk needs {"path": "/dev/…", "sizeBytes": N, "label"?: "…"}.');
  }
  return { path: data.path, sizeBytes: data.sizeBytes as number, ...(data.label === undefined ? {} : { label: data.label as string }) };
}
