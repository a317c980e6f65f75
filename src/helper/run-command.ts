import { execa, type Options } from 'execa';

/**
 * Runs a system command with an argument array (never a shell string) and
 * returns its stdout. A failure keeps stderr, which callers inspect to name
 * the cause (full disk, missing device) before anything reaches a user.
 */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${command} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no message'}`, options);
    this.name = 'CommandError';
  }
}

export async function runCommand(file: string, args: readonly string[], options: Options = {}): Promise<string> {
  try {
    const result = await execa(file, args, { ...options, stripFinalNewline: true, encoding: 'utf8' });
    return String(result.stdout ?? '');
  } catch (error) {
    const e = error as { exitCode?: number; stderr?: unknown; shortMessage?: string };
    const stderr = typeof e.stderr === 'string' && e.stderr ? e.stderr : (e.shortMessage ?? String(error));
    throw new CommandError([file, ...args].join(' '), e.exitCode, stderr, { cause: error });
  }
}
