import { RewindError } from '../errors';
import { controlCharacterProblem } from '../control-characters';

/**
 * SetFolderApart's argument: {"path": "/home/alice/.cache", "apart": true}
 * sets that folder apart (a subvolume of its own, left out of the backups of
 * the folder around it); "apart": false joins it again. The path is absolute
 * and plain: no "..", no "." and no empty part, so the helper works on the
 * folder the person saw.
 */
export interface SetApartRequest {
  path: string;
  apart: boolean;
}

/** SetFolderApart's answer: whether the folder is apart now. */
export interface SetApartResult {
  path: string;
  apart: boolean;
}

export function parseSetApartRequest(json: string): SetApartRequest {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    // handled below
  }
  const problem = controlCharacterProblem(data);
  if (problem) throw new RewindError('InvalidArgs', `SetFolderApart: ${problem}.`);
  const d = data as Partial<SetApartRequest> | null;
  const parts = typeof d?.path === 'string' ? d.path.split('/').slice(1) : [];
  if (
    typeof d !== 'object' ||
    d === null ||
    Object.keys(d).some((k) => k !== 'path' && k !== 'apart') ||
    typeof d.path !== 'string' ||
    !d.path.startsWith('/') ||
    d.path.length > 4096 ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    typeof d.apart !== 'boolean'
  ) {
    throw new RewindError('InvalidArgs', 'SetFolderApart needs {"path": "/absolute/folder", "apart": true or false}, the folder without "..", "." or "//".');
  }
  return { path: d.path, apart: d.apart };
}
