import { execFile } from 'node:child_process';

/**
 * Runs a system command with an argument array (never a shell string) and
 * returns its stdout. A failure keeps stderr, which callers inspect to name
 * the cause (full disk, missing device) before anything reaches a user.
 *
 * Node's own execFile rather than execa: a backup run starts a dozen of these
 * one after another, and execa costs more per command and to load;
 * streaming pipelines still use execa.
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

/** Large enough for `btrfs subvolume list` of a filesystem with many thousands of snapshots. */
const MAX_OUTPUT = 256 * 1024 * 1024;

/** `timeoutMs`: kill the command (SIGKILL) after this long; it then fails with "killed by SIGKILL". `cwd`: the folder it runs in. */
export function runCommand(file: string, args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: MAX_OUTPUT, timeout: options.timeoutMs ?? 0, killSignal: 'SIGKILL', cwd: options.cwd }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout.replace(/\r?\n$/, ''));
        return;
      }
      // A number when the command ran and failed; a string such as ENOENT when it could not start.
      const exitCode = typeof error.code === 'number' ? error.code : undefined;
      const message = stderr || (error.signal ? `killed by ${error.signal}` : error.message);
      reject(new CommandError([file, ...args].join(' '), exitCode, message, { cause: error }));
    });
  });
}
