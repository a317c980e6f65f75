import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../atomic-write';
import type { FileSink, StreamStore } from './stream-store';

/** Stream files in a folder of this machine: <root>/<host>/<dirName>/. */
export class FolderStore implements StreamStore {
  constructor(
    /** The folder that holds this host's folders. */
    readonly root: string,
    readonly host: string,
  ) {}

  get where(): string {
    return this.root;
  }

  private folder(dirName: string): string {
    return path.join(this.root, this.host, dirName);
  }

  async folders(): Promise<string[]> {
    const entries = await readdir(path.join(this.root, this.host), { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  async files(dirName: string): Promise<string[]> {
    return readdir(this.folder(dirName)).catch(() => [] as string[]);
  }

  async readText(dirName: string, file: string): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.folder(dirName), file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async writeText(dirName: string, file: string, text: string): Promise<void> {
    await writeFileAtomic(path.join(this.folder(dirName), file), text, 0o600);
  }

  async createFile(dirName: string, file: string): Promise<FileSink> {
    const dir = this.folder(dirName);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `.${file}.partial`);
    const handle = await open(temp, 'w', 0o600);
    let closed = false;
    const close = async () => {
      if (!closed) await handle.close();
      closed = true;
    };
    return {
      write: async (data) => {
        await handle.write(data);
      },
      // The data was hashed as it was written here; flushing and the rename are what count.
      commit: async () => {
        await handle.sync();
        await close();
        await rename(temp, path.join(dir, file));
      },
      abort: async () => {
        await close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
      },
    };
  }

  readFile(dirName: string, file: string): Readable {
    return createReadStream(path.join(this.folder(dirName), file), { highWaterMark: 1024 * 1024 });
  }

  async hashFile(dirName: string, file: string): Promise<{ size: number; sha256: string } | { error: string }> {
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of this.readFile(dirName, file)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
    }
    return { size, sha256: hash.digest('hex') };
  }

  async remove(dirName: string, file: string): Promise<void> {
    await rm(path.join(this.folder(dirName), file), { force: true, recursive: true });
  }

  async close(): Promise<void> {}
}
