import type { PutTrailer } from './serve-protocol';
import { parseSnapshotName } from './snapshot-name';
import { STREAM_FILE_NAME } from './stream-manifest';

/**
 * The names a `serve` request may carry (rules 3, 4 and 6 of
 * ./serve-protocol): backup folders, backup names, host names, paths inside a
 * backup and stored files, each checked before the server touches anything.
 */

export const MAX_PATH_BYTES = 4096;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[/\u0000-\u001f\u007f]/;
/** The same rule as hostName in ./config (a unit test checks that they agree). */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Undefined when `name` is a valid backup folder name (see subvolumeDirName), else why not. */
export function checkSubvolumeDir(name: string): string | undefined {
  if (name !== '' && name !== '.' && name !== '..' && !UNSAFE_IN_NAME.test(name) && utf8Length(name) <= 255) return undefined;
  return `must be one folder name of 1–255 bytes, without "/" or control characters, and not "." or ".."; found ${quote(name)}`;
}

export function checkBackupName(name: string): string | undefined {
  if (parseSnapshotName(name) !== undefined) return undefined;
  return `must be a backup name such as 20260101T120000Z (UTC time, optionally _2, _3...); found ${quote(name)}`;
}

export function checkHostName(name: string): string | undefined {
  if (HOST_NAME.test(name)) return undefined;
  return `must be a host name of 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit; found ${quote(name)}`;
}

/** Undefined when `path` is a valid path inside a backup, else why not. */
export function checkBackupPath(path: string, allowRoot = false): string | undefined {
  if (path === '') return allowRoot ? undefined : 'must name a file inside the backup; found ""';
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (path.startsWith('/')) return `must be relative to the backup's root, not start with "/"; found ${quote(path)}`;
  if (utf8Length(path) > MAX_PATH_BYTES) return `must be at most ${MAX_PATH_BYTES} bytes long`;
  for (const part of path.split('/')) {
    if (part === '') return `must not contain an empty component ("//" or a "/" at the end); found ${quote(path)}`;
    if (part === '.' || part === '..') return `must not contain "${part}"; found ${quote(path)}`;
    if (utf8Length(part) > 255) return 'must not have a component longer than 255 bytes';
  }
  return undefined;
}

/** Undefined when `name` may name a stored file (rule 6); with `partial`, also ".<file>.partial". */
export function checkStoredFileName(name: string, partial = false): string | undefined {
  if (STREAM_FILE_NAME.test(name)) return undefined;
  const hidden = /^\.(.*)\.partial$/.exec(name);
  if (partial && hidden && STREAM_FILE_NAME.test(hidden[1])) return undefined;
  return `must be a plain file name of letters, digits, ".", "_" and "-" not starting with "."${partial ? ' (or ".<name>.partial")' : ''}; found ${quote(name)}`;
}

/** Checks a file-put trailer line; the trailer or why it is not one. */
export function parsePutTrailer(line: string): PutTrailer | string {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return 'The line after a file-put payload must be JSON.';
  }
  const fields = data as Record<string, unknown>;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const keys = Object.keys(fields).sort().join(',');
    if (keys === 'cancel' && fields.cancel === true) return { cancel: true };
    if (keys === 'sha256,size' && Number.isSafeInteger(fields.size) && (fields.size as number) >= 0 && typeof fields.sha256 === 'string' && /^[0-9a-f]{64}$/.test(fields.sha256)) {
      return { size: fields.size as number, sha256: fields.sha256 };
    }
  }
  return 'The line after a file-put payload must be {"size": bytes, "sha256": hex} or {"cancel": true}.';
}
