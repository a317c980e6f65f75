import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FilesDestinationConfig } from '../../../core/config';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import type { MountSet } from '../../system/mount-set';
import { deviceOfFilesystem } from '../../system/mounts';
import { ConfinedFolder } from './confined-folder';
import { mountedFolderPlace } from './mounted-folder';
import type { FileSink, StreamStore } from './stream-store';
import { writeThenPublish } from '../../system/atomic-write';
import { destinationName } from '../../../core/destination-name';

/** The largest manifest (or other small file) read: a few thousand streams' entries fit many times over. */
export const MAX_TEXT_FILE = 16 * 1024 * 1024;

/**
 * Stream files in a folder of this machine: <root>/<host>/<dirName>/.
 *
 * The folder is on a disk or share that others may write to, so nothing in it
 * is trusted (./confined-folder): `anchor` is the place the administrator
 * chose (a mount point, or the configured folder), followed as it is; below
 * it, `below`, the host and the subvolume folders are opened without
 * following links, afresh for every operation, so that no descriptor keeps
 * a disk from being unmounted.
 */
export class FolderStore implements StreamStore {
  constructor(
    private readonly anchor: string,
    private readonly below: readonly string[],
    readonly host: string,
    /** The anchor's filesystem (st_dev) when the store was opened: another one there means it was unmounted since. */
    private readonly anchorDevice?: number,
  ) {}

  /** The folder that holds this host's folders. */
  get root(): string {
    return path.join(this.anchor, ...this.below);
  }

  get where(): string {
    return this.root;
  }

  /** Runs `use` on the subvolume folder (or the host folder when `dirName` is undefined); undefined when it is missing. */
  private within<T>(dirName: string | undefined, create: boolean, use: (folder: ConfinedFolder) => Promise<T>): Promise<T | undefined> {
    return this.walk([...this.below, this.host, ...(dirName === undefined ? [] : [dirName])], create, use);
  }

  /** Makes the folders down to the one that holds the hosts' folders, refusing a link on the way. */
  async prepare(): Promise<void> {
    await this.walk(this.below, true, async () => undefined);
  }

  private async walk<T>(names: readonly string[], create: boolean, use: (folder: ConfinedFolder) => Promise<T>): Promise<T | undefined> {
    const opened: ConfinedFolder[] = [];
    try {
      let folder: ConfinedFolder | undefined = await ConfinedFolder.openTrusted(this.anchor);
      opened.push(folder);
      if (this.anchorDevice !== undefined && (await folder.device()) !== this.anchorDevice) {
        throw new RewindError('DestinationMissing', `${this.anchor} is not the filesystem it was when the backup started: it was unmounted or replaced.`);
      }
      for (const name of names) {
        folder = await folder.folder(name, create);
        if (!folder) return undefined;
        opened.push(folder);
      }
      return await use(folder);
    } finally {
      for (const folder of opened.reverse()) await folder.close();
    }
  }

  async folders(): Promise<string[]> {
    const entries = await this.within(undefined, false, (host) => host.entries());
    return (entries ?? []).filter((e) => e.folder).map((e) => e.name);
  }

  async files(dirName: string): Promise<string[]> {
    const entries = await this.within(dirName, false, (folder) => folder.entries());
    return (entries ?? []).map((e) => e.name);
  }

  async readText(dirName: string, file: string): Promise<string | undefined> {
    return this.within(dirName, false, (folder) => folder.readText(file, MAX_TEXT_FILE));
  }

  async writeText(dirName: string, file: string, text: string): Promise<void> {
    await this.within(dirName, true, async (folder) => {
      const temp = `.${file}.${process.pid}.tmp`;
      await writeThenPublish(await folder.createFile(temp), text, () => folder.rename(temp, file), () => folder.removeFile(temp));
      await folder.sync();
    });
  }

  async createFile(dirName: string, file: string): Promise<FileSink> {
    const temp = `.${file}.partial`;
    const handle = (await this.within(dirName, true, (folder) => folder.createFile(temp)))!;
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
        await this.within(dirName, false, async (folder) => {
          await folder.rename(temp, file);
          await folder.sync();
        });
      },
      abort: async () => {
        await close().catch(() => undefined);
        await this.within(dirName, false, (folder) => folder.removeFile(temp)).catch(() => undefined);
      },
    };
  }

  readFile(dirName: string, file: string, size: number): Readable {
    // The folders are held open only while the file is opened: the open file keeps its data.
    const opening = () => this.within(dirName, false, (folder) => folder.readStream(file, size));
    const missing = () => Object.assign(new Error(`${path.join(this.root, this.host, dirName, file)} is missing`), { code: 'ENOENT' });
    return Readable.from(
      (async function* () {
        const stream = await opening();
        if (!stream) throw missing();
        yield* stream;
      })(),
      { objectMode: false },
    );
  }

  async sizes(dirName: string, files: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    await this.within(dirName, false, async (folder) => {
      for (const file of files) {
        // A link, FIFO or device where a part belongs counts as missing: it is not the part.
        const opened = await folder.openFile(file).catch((error: unknown) => {
          if (error instanceof RewindError && error.code === 'BackupDamaged') return undefined;
          throw error;
        });
        if (!opened) continue;
        await opened.handle.close();
        found.set(file, opened.size);
      }
    });
    return found;
  }

  async hashFile(dirName: string, file: string, size: number): Promise<{ size: number; sha256: string } | { error: string }> {
    try {
      const result = await this.within(dirName, false, async (folder) => {
        const opened = await folder.openFile(file);
        if (!opened) return { error: 'ENOENT' };
        await opened.handle.close();
        // A file of another size is damaged whatever it holds: no need to read it (it may be huge).
        if (opened.size !== size) return { size: opened.size, sha256: '' };
        const hash = createHash('sha256');
        let read = 0;
        for await (const chunk of (await folder.readStream(file, size))!) {
          hash.update(chunk as Buffer);
          read += (chunk as Buffer).length;
        }
        return { size: read, sha256: hash.digest('hex') };
      });
      return result ?? { error: 'ENOENT' };
    } catch (error) {
      if (error instanceof RewindError) return { error: error.detail };
      return { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
    }
  }

  async remove(dirName: string, file: string): Promise<void> {
    const removed = await this.within(dirName, false, (folder) => folder.removeFile(file));
    if (removed === false) {
      throw new RewindError('BackupDamaged', `${path.join(this.root, this.host, dirName, file)} is not a plain file; Rewind leaves it alone.`);
    }
  }

  async close(): Promise<void> {}
}

/**
 * The store of a "files" destination: a folder on a disk found by filesystem
 * UUID and mounted here, or a folder on a filesystem that is already mounted
 * (./mounted-folder); the folders below the mount point are made when missing.
 */
export async function openFolderStore(config: FilesDestinationConfig, host: string, mounts: MountSet): Promise<FolderStore> {
  const name = destinationName(config);
  let store: FolderStore;
  if (config.filesystem !== undefined) {
    const device = await deviceOfFilesystem(config.filesystem);
    if (!device) throw new RewindError('DestinationMissing', `The backup disk ${name} is not connected.`, { reason: reason('disk-not-connected', { destination: name }) });
    const mount = await mounts.disk(device, config.filesystem).catch((error: unknown) => {
      throw new RewindError('DestinationMissing', `The backup disk ${name} could not be opened (${(error as Error).message}).`, { cause: error, reason: reason('disk-not-opened', { destination: name }) });
    });
    // Whoever has the disk in hand decides what is on it: below its mount point, no link is followed.
    store = new FolderStore(mount.mountPoint, config.path.split('/').filter((c) => c !== '' && c !== '.'), host);
  } else {
    // Only on the filesystem the user chose (./mounted-folder); never a folder made where it is not mounted.
    const place = await mountedFolderPlace(config);
    store = new FolderStore(place.anchor, place.below, host, place.device);
  }
  await store.prepare().catch((error: unknown) => {
    if (error instanceof RewindError) throw error;
    throw new RewindError('DestinationMissing', `The backup folder ${store.root} of ${name} cannot be used (${(error as Error).message}).`, { cause: error, reason: reason('folder-unusable', { destination: name }) });
  });
  return store;
}
