import { execa } from 'execa';
import { constants } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { RewindError } from '../../core/errors';
import { MAX_EXTENT_BYTES, type DataOp } from '../../core/send-stream/extract-commands';
import { zstdFrameLength } from '../../core/zstd-frame';

/**
 * The data of the files a restore extracts from stream files
 * (./stream-extract), one hidden file per inode, named by its number in a
 * folder of the restore's own: `<into>/.data/<n>`. The chain's data
 * commands for those inodes are carried out here in order, so each file
 * holds, at every moment, what the inode held at that point of the chain;
 * a clone copies the bytes from the source's file (a clone source outside
 * the restored files has a file here too, deleted at the end).
 *
 * Files are opened without following links and created only where nothing
 * is (O_EXCL): the folder is new and the restore's own, the names are
 * numbers. At most MAX_OPEN files are held open at once.
 */
const MAX_OPEN = 64;
const CHUNK = 1024 * 1024;
const ZEROES = new Uint8Array(CHUNK);

type ZstdSync = (data: Uint8Array, options?: { maxOutputLength?: number }) => Buffer;
/** Node 22.15 and later decompress zstd themselves; before, each extent goes through the zstd program. */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;

export class StagedFiles {
  private readonly handles = new Map<number, FileHandle>();

  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<StagedFiles> {
    await mkdir(dir, { mode: 0o700 });
    return new StagedFiles(dir);
  }

  pathOf(id: number): string {
    return path.join(this.dir, String(id));
  }

  async run(ops: readonly DataOp[]): Promise<void> {
    for (const op of ops) await this.one(op);
  }

  /** Closes every file; the data stays. */
  async closeAll(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    for (const handle of handles) await handle.close();
  }

  /** Closes and deletes every file, and the folder. */
  async remove(): Promise<void> {
    await this.closeAll().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async handle(id: number, create = false): Promise<FileHandle> {
    const kept = this.handles.get(id);
    if (kept) {
      if (create) throw new RewindError('BackupDamaged', 'The backup creates the same file twice.');
      // Most recently used last.
      this.handles.delete(id);
      this.handles.set(id, kept);
      return kept;
    }
    if (this.handles.size >= MAX_OPEN) {
      const [oldest, handle] = this.handles.entries().next().value as [number, FileHandle];
      this.handles.delete(oldest);
      await handle.close();
    }
    const flags = constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT | constants.O_EXCL : 0);
    const handle = await open(this.pathOf(id), flags, 0o600);
    this.handles.set(id, handle);
    return handle;
  }

  private async one(op: DataOp): Promise<void> {
    if (op.kind === 'create') {
      await this.handle(op.id, true);
      return;
    }
    if (op.kind === 'clone') {
      await this.clone(op);
      return;
    }
    const file = await this.handle(op.id);
    switch (op.kind) {
      case 'write':
        await writeAll(file, op.data, op.offset);
        break;
      case 'truncate':
        await file.truncate(op.size);
        break;
      case 'extend':
        if ((await file.stat()).size < op.size) await file.truncate(op.size);
        break;
      case 'zero': {
        // A punched hole inside the file reads as zeroes; past its end there is nothing to punch.
        const end = Math.min(op.offset + op.length, (await file.stat()).size);
        for (let at = op.offset; at < end; at += CHUNK) await writeAll(file, ZEROES.subarray(0, Math.min(CHUNK, end - at)), at);
        break;
      }
      case 'encoded': {
        const whole = await unpack(op.compression, op.data, op.unencodedLength);
        const part = new Uint8Array(op.length);
        part.set(whole.subarray(op.unencodedOffset, op.unencodedOffset + op.length));
        await writeAll(file, part, op.offset);
        break;
      }
    }
  }

  /** A copy of the bytes btrfs would have shared; a range past the source's end reads as a hole. */
  private async clone(op: Extract<DataOp, { kind: 'clone' }>): Promise<void> {
    if (op.source === op.id && op.offset < op.sourceOffset + op.length && op.sourceOffset < op.offset + op.length) {
      throw new RewindError('BackupDamaged', 'The backup clones a range of a file onto itself.');
    }
    const source = await this.handle(op.source);
    // The source may have been closed to make room for the target's handle: take both again.
    const target = this.handles.get(op.id) ?? (await this.handle(op.id));
    const length = op.length === 0 ? Math.max(0, (await source.stat()).size - op.sourceOffset) : op.length;
    const buffer = new Uint8Array(Math.min(CHUNK, length));
    let end = (await target.stat()).size;
    let copied = 0;
    while (copied < length) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, length - copied), op.sourceOffset + copied);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      // Zeroes past the target's end stay a hole, as the clone of a sparse range would.
      if (op.offset + copied < end || Buffer.compare(chunk, ZEROES.subarray(0, bytesRead)) !== 0) {
        await writeAll(target, chunk, op.offset + copied);
        end = Math.max(end, op.offset + copied + bytesRead);
      }
      copied += bytesRead;
    }
    if (end < op.offset + copied) await target.truncate(op.offset + copied);
    if (copied < length && (await target.stat()).size < op.offset + length) await target.truncate(op.offset + length);
  }
}

async function writeAll(file: FileHandle, data: Uint8Array, offset: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, offset + done);
    done += bytesWritten;
  }
}

/** A compressed extent's bytes, unpacked: `length` of them, zeroes where the data ran short. */
async function unpack(compression: number, data: Uint8Array, length: number): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    if (compression === 0) out = data;
    else if (compression === 1) out = zlib.inflateSync(data, { maxOutputLength: MAX_EXTENT_BYTES });
    else if (compression === 2) out = await unzstd(data);
    else throw new Error(`compression method ${compression} is not one this restore unpacks`);
  } catch (error) {
    throw new RewindError('BackupDamaged', `A compressed part of a restored file cannot be unpacked (${(error as Error).message}).`);
  }
  if (out.length === length) return out;
  const whole = new Uint8Array(length);
  whole.set(out.subarray(0, length));
  return whole;
}

async function unzstd(data: Uint8Array): Promise<Uint8Array> {
  const length = zstdFrameLength(data);
  if (length === undefined) throw new Error('the zstd frame is cut short');
  const frame = data.subarray(0, length);
  if (zstdDecompressSync) return zstdDecompressSync(frame, { maxOutputLength: MAX_EXTENT_BYTES });
  const result = await execa('zstd', ['-q', '-d', '-c'], { input: Buffer.from(frame), encoding: 'buffer', maxBuffer: MAX_EXTENT_BYTES, stripFinalNewline: false, reject: false });
  if (result.exitCode !== 0) throw new Error(`zstd: ${Buffer.from(result.stderr as Uint8Array).toString().trim() || `exit ${result.exitCode}`}`);
  return result.stdout as Uint8Array;
}
