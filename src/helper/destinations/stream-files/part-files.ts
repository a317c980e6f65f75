import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StreamPart } from '../../../core/stream-manifest';
import type { FileSink, StreamStore } from './stream-store';

/**
 * A stored stream is cut into parts of at most `partSize` bytes: vfat holds
 * at most 4 GiB per file, and a damaged part names where the damage is. Each
 * part is written under a hidden temporary name, flushed, then renamed (the
 * store does that); the manifest, written after all parts, is what makes
 * them a backup.
 */
export const DEFAULT_PART_SIZE = 1024 ** 3;

export async function writeParts(
  input: Readable,
  store: StreamStore,
  dirName: string,
  nameOf: (index: number) => string,
  partSize = DEFAULT_PART_SIZE,
): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  let sink: FileSink | undefined;
  let hash = createHash('sha256');
  let size = 0;
  const start = async () => {
    sink = await store.createFile(dirName, nameOf(parts.length));
    hash = createHash('sha256');
    size = 0;
  };
  const finish = async () => {
    if (!sink) return;
    const sha256 = hash.digest('hex');
    const current = sink;
    sink = undefined;
    await current.commit(size, sha256).catch(async (error: unknown) => {
      await current.abort();
      throw error;
    });
    parts.push({ file: nameOf(parts.length), size, sha256 });
  };
  try {
    for await (const chunk of input) {
      let bytes = chunk as Buffer;
      while (bytes.length > 0) {
        if (!sink) await start();
        const take = bytes.subarray(0, partSize - size);
        await sink!.write(take);
        hash.update(take);
        size += take.length;
        bytes = bytes.subarray(take.length);
        if (size === partSize) await finish();
      }
    }
    // An empty stream still has one (empty) part, so every stream has a file.
    if (!sink && parts.length === 0) await start();
    await finish();
    return parts;
  } catch (error) {
    await sink?.abort();
    throw error;
  }
}

/** The parts one after another, as one stream. */
export function readParts(store: StreamStore, dirName: string, parts: readonly StreamPart[]): Readable {
  return Readable.from(
    (async function* () {
      for (const part of parts) yield* store.readFile(dirName, part.file, part.size);
    })(),
    { objectMode: false },
  );
}

/**
 * The parts one after another, each checked as it is read: its size and
 * SHA-256 against the manifest's. A part that differs ends the stream with
 * an error, and `checked.problem` says which, in words; what was read of it
 * was not yet trusted by the caller (a restore writes only into a place of
 * its own until the end).
 */
export function readCheckedParts(store: StreamStore, dirName: string, parts: readonly StreamPart[], checked: { problem?: string }): Readable {
  return Readable.from(
    (async function* () {
      for (const part of parts) {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of store.readFile(dirName, part.file, part.size)) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (size !== part.size) checked.problem = `${part.file} is ${size} bytes, the manifest says ${part.size}`;
        else if (hash.digest('hex') !== part.sha256) checked.problem = `${part.file} does not match its checksum (the data changed since it was written)`;
        if (checked.problem) throw new Error(checked.problem);
      }
    })(),
    { objectMode: false },
  );
}
