import type { Readable } from 'node:stream';
import type { StreamPart } from '../../../core/stream-manifest';

/**
 * Where a stream-file destination keeps its files: a local folder
 * (./folder-store, a disk or share mounted here) or a server without btrfs
 * (./ssh-store, `rewind-helper serve` over SSH). Chains, the manifest,
 * encryption and retention (./files-destination) are the same for both.
 * Every file lives in one subvolume's folder, `dirName`, below this host's.
 */
export interface StreamStore {
  /** Where the files are, for messages ("/mnt/backups", "server.example:/srv/rewind"). */
  readonly where: string;
  /** This host's folder name there (the server decides it for SSH). */
  readonly host: string;
  /** The subvolume folders of this host. */
  folders(): Promise<string[]>;
  /** Every file name in a folder, unfinished writes included; none when the folder is missing. */
  files(dirName: string): Promise<string[]>;
  /** A small file's text (the manifest), or undefined when there is none; a file too large for one is refused. */
  readText(dirName: string, file: string): Promise<string | undefined>;
  /** Replaces a small file so that a reader sees the old or the new text, never half. */
  writeText(dirName: string, file: string, text: string): Promise<void>;
  /** Starts writing a file under a temporary name; it takes `file` only on commit. */
  createFile(dirName: string, file: string): Promise<FileSink>;
  /** A stored file's bytes, at most `size` of them (what the manifest says it holds). */
  readFile(dirName: string, file: string, size: number): Readable;
  /** The sizes of those of `files` that are regular files here; a missing file, or one of another kind, is left out. */
  sizes(dirName: string, files: readonly string[]): Promise<Map<string, number>>;
  /** The size and SHA-256 of a stored file that should be `size` bytes, or why it cannot be read. */
  hashFile(dirName: string, file: string, size: number): Promise<{ size: number; sha256: string } | { error: string }>;
  /** Deletes a regular file; a missing one is no error, anything else is refused. */
  remove(dirName: string, file: string): Promise<void>;
  /** Ends what the store holds open (a connection); it is unusable afterwards. */
  close(): Promise<void>;
  /**
   * Ends it now, a transfer under way not waited for (a server's connection
   * cut): for a cancelled restore. A local folder has nothing to cut.
   */
  cut?(): void;
  /** A server's free and total bytes (a folder's are read where it is mounted). */
  space?(): Promise<{ freeBytes: number; sizeBytes: number }>;
}

export interface FileSink {
  write(data: Buffer): Promise<void>;
  /** Flushes the data, checks it is `size` bytes with this SHA-256, and gives the file its name. */
  commit(size: number, sha256: string): Promise<void>;
  /** Removes what was written. */
  abort(): Promise<void>;
}

/** Whether a stored part is what the manifest says; the problem in words, or undefined. */
export async function checkPart(store: StreamStore, dirName: string, part: StreamPart): Promise<string | undefined> {
  const found = await store.hashFile(dirName, part.file, part.size);
  // A file that is not there is said so, not by its error code.
  if ('error' in found) return found.error === 'ENOENT' ? 'is missing' : `cannot be read (${found.error})`;
  if (found.size !== part.size) return `is ${found.size} bytes, the manifest says ${part.size}`;
  return found.sha256 === part.sha256 ? undefined : 'does not match its checksum (the data changed since it was written)';
}
