import { readFile } from 'node:fs/promises';
import { runCommand } from './run-command';

/**
 * Which send protocol to use. Protocol 2 with --compressed-data sends
 * compressed extents as they are, without decompressing and recompressing
 * them; it needs a kernel that can send it and a btrfs-progs that can both
 * send and receive it. Everything else gets protocol 1, which every
 * btrfs-progs since 2013 receives.
 */
export interface SendProtocol {
  version: 1 | 2;
  args: string[];
}

let cached: Promise<SendProtocol> | undefined;

async function detect(): Promise<SendProtocol> {
  const kernel = await readFile('/sys/fs/btrfs/features/send_stream_version', 'utf8').then(
    (text) => Number(text.trim()),
    () => 1,
  );
  // btrfs-progs prints its help on stdout or stderr depending on the version.
  const help = await runCommand('btrfs', ['send', '--help']).catch((error: { stderr?: string }) => error.stderr ?? '');
  const progs = help.includes('--compressed-data') && help.includes('--proto');
  return kernel >= 2 && progs
    ? { version: 2, args: ['--proto', '2', '--compressed-data'] }
    : { version: 1, args: [] };
}

export function sendProtocol(): Promise<SendProtocol> {
  cached ??= detect();
  return cached;
}
