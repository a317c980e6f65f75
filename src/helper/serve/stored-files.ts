import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { checkStoredFileName, parsePutTrailer, type ServeRequest, type StoredFile } from '../../core/serve-protocol';
import { FramingError, type FrameReader, type FrameWriter } from './framing';
import type { HostStore } from './host-store';
import { sendContent } from './read';

/**
 * The file-… ops: stream files (src/helper/destinations/stream-files) kept in
 * ROOT/HOST/<subvolume>/ on a server with or without btrfs.
 *
 * The folder comes from HostStore.folder (real directories, no links), the
 * file name was checked by the protocol (one plain name). Here a file is
 * opened only once lstat saw a regular file, with O_NOFOLLOW, and must then be
 * that same inode, so a link, FIFO or device planted in the folder is never
 * followed or opened. A write goes to
 * ".<file>.partial" (created with O_EXCL), is hashed as it arrives, and takes
 * its name (rename, then the folder is flushed) only when the client's
 * trailer names the same size and SHA-256 and the data is on the disk. Any
 * failure, a cut connection included, removes the partial file.
 */

const READ_CHUNK = 256 * 1024;
const OPEN_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

async function openRegular(store: HostStore, subvolume: string, file: string): Promise<FileHandle> {
  const dir = await store.folder(subvolume);
  const missing = () => new RewindError('InvalidArgs', `There is no file ${file} in ${subvolume} on the server.`);
  if (!dir) throw missing();
  const target = path.join(dir, file);
  const link = () => new RewindError('InvalidArgs', `${subvolume}/${file} is a symbolic link on the server; refused.`);
  const notFile = () => new RewindError('InvalidArgs', `${subvolume}/${file} is not a regular file on the server; refused.`);
  // Opening a FIFO or a device can act on it (a writer goes on, a tape rewinds): look first.
  const seen = await lstat(target).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw error;
  });
  if (seen.isSymbolicLink()) throw link();
  if (!seen.isFile()) throw notFile();
  const handle = await open(target, OPEN_READ).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw missing();
    if (code === 'ELOOP') throw link();
    throw error;
  });
  const info = await handle.stat();
  if (!info.isFile() || info.dev !== seen.dev || info.ino !== seen.ino) {
    await handle.close();
    throw notFile();
  }
  return handle;
}

export async function listFiles(store: HostStore, subvolume: string): Promise<StoredFile[]> {
  const dir = await store.folder(subvolume);
  if (!dir) return [];
  const files: StoredFile[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (checkStoredFileName(name, true) !== undefined) continue;
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (info?.isFile()) files.push({ name, size: info.size });
  }
  return files;
}

export async function checkFile(store: HostStore, subvolume: string, file: string): Promise<{ size: number; sha256: string }> {
  const handle = await openRegular(store, subvolume, file);
  try {
    const hash = createHash('sha256');
    let size = 0;
    const buffer = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

export async function getFile(store: HostStore, request: Extract<ServeRequest, { op: 'file-get' }>, writer: FrameWriter): Promise<void> {
  const handle = await openRegular(store, request.subvolume, request.file);
  try {
    const info = await handle.stat();
    await writer.line({ ok: true, size: info.size });
    await sendContent(handle, request.file, writer);
  } finally {
    await handle.close();
  }
}

export async function deleteFile(store: HostStore, subvolume: string, file: string): Promise<boolean> {
  const release = await store.lock();
  try {
    const dir = await store.folder(subvolume);
    if (!dir) return false;
    const target = path.join(dir, file);
    if ((await lstat(target).catch(() => undefined))?.isDirectory()) {
      throw new RewindError('InvalidArgs', `${subvolume}/${file} is a folder on the server, not a file; refused.`);
    }
    // unlink removes a link itself, never what it points to (and refuses a folder made meanwhile).
    return await unlink(target).then(
      () => true,
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      },
    );
  } finally {
    await release();
  }
}

function noSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * file-put: "ready", the payload, the trailer; then the answer. A failure
 * while the payload arrives (a full disk) is answered at once so the client
 * can stop; the rest of the payload and the trailer are read and dropped.
 */
export async function putFile(store: HostStore, request: Extract<ServeRequest, { op: 'file-put' }>, reader: FrameReader, writer: FrameWriter): Promise<void> {
  const release = await store.lock();
  let temp: string | undefined;
  let handle: FileHandle | undefined;
  try {
    const dir = (await store.folder(request.subvolume, true)) as string;
    temp = path.join(dir, `.${request.file}.partial`);
    await unlink(temp).catch(() => undefined);
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await writer.line({ ok: true, ready: true });
    const hash = createHash('sha256');
    let size = 0;
    let failure: unknown;
    for (;;) {
      const chunk = await reader.readChunk();
      if (!chunk) break;
      if (failure) continue;
      try {
        await handle.write(chunk);
        hash.update(chunk);
        size += chunk.length;
      } catch (error) {
        failure = error;
        await writer.line(answerFor(error));
      }
    }
    const trailerLine = await reader.readLine(1024);
    if (trailerLine === undefined) throw new FramingError('The connection ended before the file-put trailer.');
    if (failure) return;
    const trailer = parsePutTrailer(trailerLine);
    if (typeof trailer === 'string') throw new FramingError(trailer);
    if ('cancel' in trailer) throw new RewindError('Cancelled', `Writing ${request.file} was cancelled.`);
    const sha256 = hash.digest('hex');
    if (trailer.size !== size || trailer.sha256 !== sha256) {
      throw new RewindError('TransferFailed', `${request.file} arrived as ${size} bytes with another checksum than the ${trailer.size} bytes sent; it was not kept.`);
    }
    try {
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, path.join(dir, request.file));
      temp = undefined;
      const folder = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      await folder.sync().finally(() => folder.close());
    } catch (error) {
      await writer.line(answerFor(error));
      return;
    }
    await writer.line({ ok: true, file: request.file, size, sha256 });
  } finally {
    await handle?.close().catch(() => undefined);
    if (temp) await unlink(temp).catch(() => undefined);
    await release();
  }
}

function answerFor(error: unknown): { ok: false; error: { code: 'DestinationFull' | 'TransferFailed'; message: string } } {
  if (noSpace(error)) return { ok: false, error: { code: 'DestinationFull', message: "The server's backup disk is full." } };
  return { ok: false, error: { code: 'TransferFailed', message: `Writing the file failed on the server: ${(error as Error).message}.` } };
}
