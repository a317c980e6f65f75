import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { StreamPart } from '../../core/stream-manifest';

/**
 * A stored stream is cut into parts of at most `partSize` bytes: vfat holds
 * at most 4 GiB per file, and a damaged part names where the damage is. Each
 * part is written under a hidden temporary name, flushed, then renamed; the
 * manifest, written after all parts, is what makes them a backup.
 */
export const DEFAULT_PART_SIZE = 1024 ** 3;

export async function writeParts(input: Readable, dir: string, nameOf: (index: number) => string, partSize = DEFAULT_PART_SIZE): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  let handle: FileHandle | undefined;
  let temp = '';
  let hash = createHash('sha256');
  let size = 0;
  const finish = async () => {
    if (!handle) return;
    await handle.sync();
    await handle.close();
    handle = undefined;
    const file = nameOf(parts.length);
    await rename(temp, path.join(dir, file));
    parts.push({ file, size, sha256: hash.digest('hex') });
  };
  try {
    for await (const chunk of input) {
      let bytes = chunk as Buffer;
      while (bytes.length > 0) {
        if (!handle) {
          temp = path.join(dir, `.${nameOf(parts.length)}.partial`);
          handle = await open(temp, 'w', 0o600);
          hash = createHash('sha256');
          size = 0;
        }
        const take = bytes.subarray(0, partSize - size);
        await handle.write(take);
        hash.update(take);
        size += take.length;
        bytes = bytes.subarray(take.length);
        if (size === partSize) await finish();
      }
    }
    // An empty stream still has one (empty) part, so every stream has a file.
    if (!handle && parts.length === 0) {
      temp = path.join(dir, `.${nameOf(0)}.partial`);
      handle = await open(temp, 'w', 0o600);
    }
    await finish();
    return parts;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (handle) await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** SHA-256 of one stored part, and whether it has the size and hash the manifest says. */
export async function checkPart(dir: string, part: StreamPart): Promise<string | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path.join(dir, part.file))) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    return `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (size !== part.size) return `is ${size} bytes, the manifest says ${part.size}`;
  const sha256 = hash.digest('hex');
  return sha256 === part.sha256 ? undefined : 'does not match its checksum (the data changed since it was written)';
}

/** The parts one after another, as one stream. */
export function readParts(dir: string, parts: readonly StreamPart[]): Readable {
  return Readable.from(
    (async function* () {
      for (const part of parts) yield* createReadStream(path.join(dir, part.file), { highWaterMark: 1024 * 1024 });
    })(),
    { objectMode: false },
  );
}
