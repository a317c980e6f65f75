import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StreamManifest } from '../../src/core/stream-manifest';

/**
 * What someone who can write to a stream-file destination can put there: a
 * stream of their own making in place of a stored one, compressed and (with
 * the recipient the manifest itself names) encrypted as Rewind would, with
 * the manifest's sizes and checksums made to match.
 */
export const MORE = { MKFILE: 3, MKDIR: 4, SYMLINK: 8, UNLINK: 11, TRUNCATE: 17, CHMOD: 18, UTIMES: 20 } as const;
export const MORE_ATTR = { SIZE: 4, MODE: 5 } as const;

export function readManifest(folder: string): StreamManifest {
  return JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as StreamManifest;
}

/**
 * Puts `stream` in place of the stored stream `index` of the manifest in
 * `folder` (a subvolume's folder), as one part, and makes the manifest agree.
 */
export function plantStream(folder: string, index: number, stream: Buffer): void {
  const manifest = readManifest(folder);
  const entry = manifest.streams[index];
  let data = execFileSync('zstd', ['-q', '-c'], { input: stream });
  if (entry.encrypted) data = execFileSync('age', ['-r', manifest.recipient!], { input: data });
  for (const part of entry.parts) rmSync(path.join(folder, part.file), { force: true });
  const file = entry.parts[0].file;
  writeFileSync(path.join(folder, file), data);
  entry.parts = [{ file, size: data.length, sha256: createHash('sha256').update(data).digest('hex') }];
  writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2));
}
