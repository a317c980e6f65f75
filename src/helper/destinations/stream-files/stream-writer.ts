import { execa } from 'execa';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RewindError } from '../../../core/errors';
import { reason } from '../../../core/error-reasons';
import type { StreamPart } from '../../../core/stream-manifest';
import { ByteCounter } from '../../codec/byte-counter';
import { sendArguments, type SendArguments } from '../../system/btrfs-send';
import { isPathTooLong, pathTooLongError } from '../../system/long-path-finder';
import { writeParts } from './part-files';
import { failureOf, spawnFilter, type Child } from './stream-pipes';
import type { StreamStore } from './stream-store';

/**
 * One stream file written: `btrfs send | zstd [| age]` cut into parts in the
 * store (./part-files). No byte is listed yet: the caller writes the manifest
 * after this returned. A failure stops every process and throws the write's
 * own error (the caller removes what was written), or a TransferFailed that
 * names the process that failed.
 */
export interface StreamWrite {
  store: StreamStore;
  dirName: string;
  send: SendArguments;
  /** Encrypts for this age recipient, when given. */
  recipient?: string;
  partName: (index: number) => string;
  partSize: number;
  onBytes: (bytes: number) => void;
  /** Stops btrfs send; the cut stream then fails the write. */
  signal?: AbortSignal;
}

export async function writeStream(request: StreamWrite): Promise<{ parts: StreamPart[]; bytes: number }> {
  const send = execa('btrfs', sendArguments(request.send), {
    encoding: 'buffer',
    buffer: { stdout: false, stderr: true },
    reject: false,
    stdin: 'ignore',
  });
  const zstd = spawnFilter('zstd', ['-q', '-c', '-3', '-T0']);
  const age = request.recipient ? spawnFilter('age', ['-r', request.recipient]) : undefined;
  const counter = new ByteCounter(request.onBytes);
  const children: Array<[string, Child]> = [
    ['btrfs send', send as unknown as Child],
    ['zstd', zstd],
    ...(age ? [['age', age] as [string, Child]] : []),
  ];
  const last = (age ?? zstd).stdout as Readable;
  const cancel = () => send.kill('SIGTERM');
  request.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const feeding = pipeline(send.stdout as Readable, counter, zstd.stdin!);
    const linking = age ? pipeline(zstd.stdout as Readable, age.stdin!) : Promise.resolve();
    const writing = writeParts(last, request.store, request.dirName, request.partName, request.partSize);
    const [fed, linked, written] = await Promise.allSettled([feeding, linking, writing]);
    const failed = await failureOf(children);
    if (written.status === 'rejected') throw written.reason;
    if (failed && isPathTooLong(failed)) throw await pathTooLongError(request.send.snapshot);
    if (failed) throw new RewindError('TransferFailed', `Writing the backup failed (${failed}).`);
    if (fed.status === 'rejected' || linked.status === 'rejected') {
      throw new RewindError('TransferFailed', `The backup stream was interrupted: ${String((fed as PromiseRejectedResult).reason ?? (linked as PromiseRejectedResult).reason)}.`, {
        reason: reason('stream-interrupted', {}),
      });
    }
    request.signal?.removeEventListener('abort', cancel);
    return { parts: written.value, bytes: counter.bytes };
  } catch (error) {
    for (const [, child] of children) child.kill();
    await Promise.all(children.map(([, c]) => c));
    throw error;
  }
}
