import type { RunRecord } from './status';

/** The reason a failed run gives people: its own error, else its sources' and transfers'. */
export function failureMessage(run: RunRecord): string | undefined {
  const messages = [
    run.error?.message,
    ...(run.sourceProblems ?? []).map((p) => p.error.message),
    ...run.transfers.filter((t) => !t.ok && t.error).map((t) => t.error?.message),
  ].filter((m): m is string => !!m);
  return messages.length > 0 ? [...new Set(messages)].join(' ') : undefined;
}
