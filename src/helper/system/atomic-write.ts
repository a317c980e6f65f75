import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Writes a file so that readers see either the old or the new content, never half of it. */
export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
