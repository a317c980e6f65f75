import { execa } from 'execa';
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import type { DirEntry, ServeRequest } from '../../core/serve-protocol';
import { outputText } from '../system/output-text';
import type { FrameWriter } from './framing';
import type { HostStore } from './host-store';
import { sendArguments } from '../system/btrfs-send';

/**
 * `read` and `readdir`: a file's bytes, or a folder's entries, from inside a
 * complete backup, for restore.
 *
 * The path was checked by the protocol (relative, no "." or ".."). Here it is
 * walked one component at a time with lstat: a symbolic link anywhere on the
 * way is refused, not followed, and so is anything on another filesystem or
 * subvolume. Only a regular file is read; it is opened with O_NOFOLLOW and
 * O_NONBLOCK (a FIFO or device planted in a backup is never opened) and must
 * be the same inode that lstat saw. Backups are read-only, so what was checked
 * cannot change before it is read.
 */

const READ_CHUNK = 256 * 1024;

async function walk(store: HostStore, request: { subvolume: string; name: string; path: string }): Promise<{ target: string; info: BigIntStats }> {
  const backup = await store.backup(request.subvolume, request.name);
  let target = backup.path;
  let info = await lstat(target, { bigint: true });
  const parts = request.path === '' ? [] : request.path.split('/');
  for (const [i, part] of parts.entries()) {
    if (!info.isDirectory()) throw new RewindError('InvalidArgs', `${parts.slice(0, i).join('/')} is not a folder in the backup ${request.name}.`);
    target = path.join(target, part);
    const next = await lstat(target, { bigint: true }).catch(() => undefined);
    const shown = parts.slice(0, i + 1).join('/');
    if (!next) throw new RewindError('InvalidArgs', `${shown} is not in the backup ${request.name}.`);
    if (next.isSymbolicLink()) {
      throw new RewindError('InvalidArgs', `${shown} is a symbolic link in the backup ${request.name}; links are never followed, read their target by its own path.`);
    }
    if (next.dev !== BigInt(backup.dev)) throw new RewindError('InvalidArgs', `${shown} is not part of the backup ${request.name}.`);
    info = next;
  }
  return { target, info };
}

async function completeBackup(store: HostStore, subvolume: string, name: string): Promise<void> {
  await store.backup(subvolume, name);
  const backup = (await store.backups(subvolume)).find((b) => b.name === name);
  if (!backup?.complete) throw new RewindError('InvalidArgs', `The backup ${name} of ${subvolume} is incomplete; it cannot be read.`);
}

export async function readBackupFile(store: HostStore, request: Extract<ServeRequest, { op: 'read' }>, writer: FrameWriter): Promise<void> {
  await completeBackup(store, request.subvolume, request.name);
  const { target, info } = await walk(store, request);
  if (!info.isFile()) throw new RewindError('InvalidArgs', `${request.path} is not a regular file; only files can be read.`);
  const handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const opened = await handle.stat({ bigint: true });
    if (opened.ino !== info.ino || opened.dev !== info.dev || !opened.isFile()) {
      throw new RewindError('InvalidArgs', `${request.path} changed while it was opened; refused.`);
    }
    await writer.line({
      ok: true,
      size: Number(opened.size),
      mode: Number(opened.mode),
      uid: Number(opened.uid),
      gid: Number(opened.gid),
      mtimeNs: opened.mtimeNs.toString(),
    });
    await sendContent(handle, request.path, writer);
  } finally {
    await handle.close();
  }
}

/**
 * An opened file's bytes as the payload, then the end line: its length, or,
 * when reading failed midway, an error (the payload then is not the file).
 */
export async function sendContent(handle: FileHandle, shown: string, writer: FrameWriter): Promise<void> {
  let bytes = 0;
  let failure: unknown;
  const buffer = Buffer.alloc(READ_CHUNK);
  for (;;) {
    let n: number;
    try {
      ({ bytesRead: n } = await handle.read(buffer, 0, READ_CHUNK, null));
    } catch (error) {
      failure = error;
      break;
    }
    if (n === 0) break;
    await writer.chunk(Buffer.from(buffer.subarray(0, n)));
    bytes += n;
  }
  await writer.endPayload();
  if (failure) await writer.line({ ok: false, error: { code: 'TransferFailed', message: `Reading ${shown} failed: ${(failure as Error).message}.` } });
  else await writer.line({ ok: true, bytes });
}

function typeOf(info: BigIntStats): DirEntry['type'] {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'dir';
  if (info.isSymbolicLink()) return 'symlink';
  return 'other';
}

export async function readBackupDir(store: HostStore, request: Extract<ServeRequest, { op: 'readdir' }>): Promise<DirEntry[]> {
  await completeBackup(store, request.subvolume, request.name);
  const { target, info } = await walk(store, request);
  if (!info.isDirectory()) throw new RewindError('InvalidArgs', `${request.path} is not a folder in the backup ${request.name}.`);
  const entries: DirEntry[] = [];
  for (const name of (await readdir(target)).sort()) {
    const entryPath = path.join(target, name);
    const entry = await lstat(entryPath, { bigint: true }).catch(() => undefined);
    if (!entry) continue;
    entries.push({
      name,
      type: typeOf(entry),
      size: Number(entry.size),
      mode: Number(entry.mode),
      uid: Number(entry.uid),
      gid: Number(entry.gid),
      mtimeNs: entry.mtimeNs.toString(),
      ...(entry.isSymbolicLink() ? { target: await readlink(entryPath).catch(() => '') } : {}),
    });
  }
  return entries;
}

/**
 * `send`: the send stream of one complete backup, for a whole-subvolume
 * restore on the client. A full stream of a read-only subvolume of this host
 * (checked like `read`'s backups); btrfs send names it by its received UUID,
 * so the restore keeps the backup's identity and the chain goes on from it.
 * `diff`: what changed from one complete backup to another, as the stream of
 * `btrfs send --no-data -p` (metadata only: small), for the restore browser.
 */
export async function sendBackupStream(store: HostStore, request: Extract<ServeRequest, { op: 'send' | 'diff' }>, writer: FrameWriter): Promise<void> {
  const name = request.op === 'send' ? request.name : request.to;
  await completeBackup(store, request.subvolume, name);
  const backup = await store.backup(request.subvolume, name);
  let args = sendArguments({ snapshot: backup.path });
  if (request.op === 'diff') {
    await completeBackup(store, request.subvolume, request.from);
    args = sendArguments({ snapshot: backup.path, parent: (await store.backup(request.subvolume, request.from)).path, noData: true });
  }
  const send = execa('btrfs', args, { stdin: 'ignore', buffer: { stdout: false, stderr: true }, encoding: 'buffer', reject: false });
  await writer.line({ ok: true });
  let bytes = 0;
  try {
    for await (const chunk of send.stdout!) {
      await writer.chunk(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } finally {
    // A client gone mid-stream stops the send.
    send.kill();
  }
  const result = await send;
  await writer.endPayload();
  if (result.exitCode !== 0) {
    const stderr = outputText(result.stderr).trim();
    await writer.line({ ok: false, error: { code: 'TransferFailed', message: `btrfs send of ${name} failed on the server: ${stderr || `exit ${result.exitCode}`}.` } });
  } else {
    await writer.line({ ok: true, bytes });
  }
}
