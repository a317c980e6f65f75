import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { runCommand } from './run-command';
import { logStateRepair, readProblem } from './state-log';

/**
 * What this machine's btrfs-progs (and kernel) can do with send streams, asked
 * in one place: which protocol to send (a backup run), and which versions
 * `btrfs receive` understands and whether zstd is here (the serve side's hello).
 *
 * Which send protocol to use. Protocol 2 with --compressed-data sends
 * compressed extents as they are, without decompressing and recompressing
 * them; it needs a kernel that can send it and a btrfs-progs that can both
 * send and receive it. Everything else gets protocol 1, which every
 * btrfs-progs since 2013 receives.
 *
 * Asking btrfs-progs costs a process on every run, so the answer is kept in
 * the state directory, tied to the btrfs binary (path, size, time) and to the
 * kernel's send stream version: an upgrade of either asks again. It is a
 * cache: one that cannot be read is logged, asked again and written anew.
 */
export interface SendProtocol {
  version: 1 | 2;
  args: string[];
}

const PROTOCOL_1: SendProtocol = { version: 1, args: [] };
const PROTOCOL_2: SendProtocol = { version: 2, args: ['--proto', '2', '--compressed-data'] };

async function kernelSendVersion(): Promise<number> {
  return readFile('/sys/fs/btrfs/features/send_stream_version', 'utf8').then(
    (text) => Number(text.trim()) || 1,
    () => 1,
  );
}

/** Identifies the btrfs binary that PATH finds, so a new btrfs-progs is noticed. */
async function btrfsBinary(): Promise<string> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const file = path.join(dir || '.', 'btrfs');
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return `${file}:${info.size}:${info.mtimeMs}`;
  }
  return 'none';
}

async function progsCanSend2(): Promise<boolean> {
  // btrfs-progs prints its help on stdout or stderr depending on the version.
  const help = await runCommand('btrfs', ['send', '--help']).catch((error: { stderr?: string }) => error.stderr ?? '');
  return help.includes('--compressed-data') && help.includes('--proto');
}

interface CachedProtocol {
  key: string;
  version: 1 | 2;
}

/** The kept answer; undefined when there is none or it cannot be read (logged: it is then written anew). */
async function readCache(file: string): Promise<CachedProtocol | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logStateRepair(`the cache ${file} could not be read (${readProblem(error)}); asking btrfs-progs again.`);
    return undefined;
  }
  try {
    const data = JSON.parse(text) as Partial<CachedProtocol> | null;
    if (typeof data?.key === 'string' && (data.version === 1 || data.version === 2)) return { key: data.key, version: data.version };
    logStateRepair(`the cache ${file} holds no send protocol; asking btrfs-progs again.`);
  } catch (error) {
    logStateRepair(`the cache ${file} could not be read (${readProblem(error)}); asking btrfs-progs again.`);
  }
  return undefined;
}

async function detect(cacheDir: string | undefined): Promise<SendProtocol> {
  const kernel = await kernelSendVersion();
  if (kernel < 2) return PROTOCOL_1;
  const key = `${await btrfsBinary()} kernel ${kernel}`;
  const cacheFile = cacheDir && path.join(cacheDir, 'send-protocol.json');
  const kept = cacheFile ? await readCache(cacheFile) : undefined;
  if (kept?.key === key) return kept.version === 2 ? PROTOCOL_2 : PROTOCOL_1;
  const protocol = (await progsCanSend2()) ? PROTOCOL_2 : PROTOCOL_1;
  // Only a hint: when it cannot be written, the next run asks again.
  if (cacheFile) await writeFileAtomic(cacheFile, JSON.stringify({ key, version: protocol.version }), 0o644).catch(() => undefined);
  return protocol;
}

let cached: Promise<SendProtocol> | undefined;

/** The protocol for this machine; `cacheDir` (the state directory) keeps the answer between runs. */
export function sendProtocol(cacheDir?: string): Promise<SendProtocol> {
  cached ??= detect(cacheDir);
  return cached;
}

/** The serve side's hello: stream versions its `btrfs receive` understands, and whether it can decompress zstd. */
export interface ReceiveCapabilities {
  sendProtocols: number[];
  zstd: boolean;
  /** Whether btrfs-progs is installed at all. */
  btrfsProgs: boolean;
}

async function detectReceive(): Promise<ReceiveCapabilities> {
  const version = await runCommand('btrfs', ['--version']).catch(() => '');
  const major = Number(/v(\d+)\./.exec(version)?.[1] ?? 0);
  const zstd = await runCommand('zstd', ['--version']).then(
    () => true,
    () => false,
  );
  // btrfs-progs 6.0 and later receive send stream version 2 (encoded writes).
  return { sendProtocols: major >= 6 ? [1, 2] : [1], zstd, btrfsProgs: version !== '' };
}

let receiving: Promise<ReceiveCapabilities> | undefined;

/** What this machine receives; asked once per process. */
export function receiveCapabilities(): Promise<ReceiveCapabilities> {
  receiving ??= detectReceive();
  return receiving;
}
