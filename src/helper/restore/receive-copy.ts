import { spawn } from 'node:child_process';
import path from 'node:path';
import { RewindError } from '../../core/errors';
import { SendStreamParser } from '../../core/send-stream/parser';
import { SendStreamProgress } from '../../core/send-stream/progress';
import { plainSendReceive } from '../engine/plain-transfer';
import { sendArguments } from '../system/btrfs-send';
import { runCommand } from '../system/run-command';
import { restoreCancelled, type RestoreWatch } from './restore-watch';

/**
 * `btrfs send BACKUP | btrfs receive INTO` for a whole restore, watched as a
 * backup's local transfer is (../engine/plain-transfer.ts): the bytes sent,
 * and against the work of the backup's `--no-data` stream, a percentage and
 * the time left. A restore that fails or is cancelled deletes what it
 * received, so nothing half-made is left beside the current folder.
 */
export async function receiveCopyWatched(backup: string, into: string, what: string, watch: RestoreWatch = {}): Promise<string> {
  const name = path.basename(backup);
  const restored = path.join(into, name);
  const estimating = new AbortController();
  try {
    await plainSendReceive({
      send: ['btrfs', ...sendArguments({ snapshot: backup })],
      receive: ['btrfs', 'receive', '-q', into],
      receiveDir: into,
      name,
      snapshot: backup,
      estimate: () => fullSendWork(backup, estimating.signal),
      onBytes: (bytes, detail) => watch.onProgress?.({ bytes, fraction: detail.fraction, bytesPerSecond: detail.bytesPerSecond, etaSeconds: detail.etaSeconds }),
      signal: watch.signal,
    });
  } catch (error) {
    await runCommand('btrfs', ['subvolume', 'delete', restored]).catch(() => undefined);
    if (watch.signal?.aborted) throw restoreCancelled();
    if (error instanceof RewindError && error.code === 'TransferFailed') throw new RewindError('TransferFailed', `Restoring ${what} failed: ${error.detail}`);
    throw error;
  } finally {
    estimating.abort();
  }
  return restored;
}

/**
 * The work of a full send of `backup` (../../core/send-stream/progress.ts,
 * rule 1), from its `--no-data` stream parsed as it comes: the data's
 * lengths without the data, so it costs a walk of the metadata only.
 * Undefined when it cannot be had.
 */
export function fullSendWork(backup: string, signal?: AbortSignal): Promise<number | undefined> {
  return new Promise((resolve) => {
    const progress = new SendStreamProgress({ now: () => 0 });
    const parser = new SendStreamParser({ onHeader: (h) => progress.header(h.bytes.length), onCommand: (c) => progress.command(c) });
    const child = spawn('btrfs', sendArguments({ snapshot: backup, noData: true }), { stdio: ['ignore', 'pipe', 'ignore'], signal });
    let broken = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (broken) return;
      try {
        parser.push(chunk);
      } catch {
        broken = true;
      }
    });
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => {
      if (broken || code !== 0) return resolve(undefined);
      try {
        parser.end();
        resolve(progress.snapshot().work);
      } catch {
        resolve(undefined);
      }
    });
  });
}
