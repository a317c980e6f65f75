import { execa, type ResultPromise } from 'execa';
import { outputText } from '../../system/output-text';

/** Child processes of a stream file's pipe (btrfs send, zstd, age), and what their failure says. */
export type Child = ResultPromise<{ encoding: 'buffer'; buffer: { stdout: false; stderr: true }; reject: false }>;

export function spawnFilter(command: string, args: string[]): Child {
  return execa(command, args, { encoding: 'buffer', buffer: { stdout: false, stderr: true }, reject: false });
}

/** The first child that failed, with its own message; undefined when all succeeded. */
export async function failureOf(children: Array<[string, Child]>): Promise<string | undefined> {
  for (const [name, child] of children) {
    const result = await child;
    if (result.exitCode !== 0 || result.signal) {
      const stderr = outputText(result.stderr).trim();
      return `${name}: ${stderr || result.signal || `exit ${result.exitCode}`}`;
    }
  }
  return undefined;
}

export function isNoSpace(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOSPC' || (error as NodeJS.ErrnoException)?.code === 'EDQUOT';
}
