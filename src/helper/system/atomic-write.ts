import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` into the new temporary file `handle`, flushes and closes it,
 * then `publish` gives it its real name; when that fails, `discard` removes
 * the temporary file. Readers of the real name see the old or the new
 * content, never half of it.
 */
export async function writeThenPublish(handle: FileHandle, data: string, publish: () => Promise<void>, discard: () => Promise<unknown>): Promise<void> {
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    // A full disk: no temporary file stays behind.
    await handle.close().catch(() => undefined);
    await discard().catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await publish();
  } catch (error) {
    await discard().catch(() => undefined);
    throw error;
  }
}

/** Writes a file so that readers see either the old or the new content, never half of it. */
export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeThenPublish(await open(temp, 'w', mode), data, () => rename(temp, file), () => unlink(temp));
}
