/**
 * One line in the log (stderr: the journal under systemd) about a file in the
 * state folder that was damaged and dealt with: a cache discarded, a history
 * set aside. Never an error: nothing in the state folder may stop a run.
 */
export function logStateRepair(message: string): void {
  process.stderr.write(`rewind-helper: ${message}\n`);
}

/** What went wrong reading a state file, in a few words for the log. */
export function readProblem(error: unknown): string {
  if (error instanceof SyntaxError) return `it is not JSON (${error.message})`;
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `it cannot be read (${code})` : String((error as Error).message ?? error);
}
