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
