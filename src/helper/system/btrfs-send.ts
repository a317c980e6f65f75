import { spawn, type ChildProcess } from 'node:child_process';
import { RewindError } from '../../core/errors';

/**
 * The command line of `btrfs send`, built in one place for every caller:
 * backups (to a disk, a server, stream files), restores and the serve side's
 * `send` and `diff`. Always quiet (-q); the stream goes to stdout.
 */
export interface SendArguments {
  /** The read-only snapshot to send. */
  snapshot: string;
  /** The parent for an incremental stream. */
  parent?: string;
  /** Protocol options (../system/send-capabilities). */
  protocol?: readonly string[];
  /** Metadata only (`--no-data`): what changed, not the data. */
  noData?: boolean;
}

/** The arguments after `btrfs`. */
export function sendArguments(request: SendArguments): string[] {
  return [
    'send',
    '-q',
    ...(request.protocol ?? []),
    ...(request.noData ? ['--no-data'] : []),
    ...(request.parent ? ['-p', request.parent] : []),
    request.snapshot,
  ];
}

/** How a child process ended, with what it said on stderr. */
export function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: -1, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** `btrfs send --no-data -p FROM TO`: what changed between two snapshots, as a whole (small) stream. */
export async function noDataStream(from: string, to: string, signal?: AbortSignal): Promise<Buffer[]> {
  const child = spawn('btrfs', sendArguments({ snapshot: to, parent: from, noData: true }), { stdio: ['ignore', 'pipe', 'pipe'], signal });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  if (code !== 0) throw new RewindError('TransferFailed', `btrfs send --no-data failed: ${stderr.trim() || killedBy || `status ${code}`}.`);
  return chunks;
}
