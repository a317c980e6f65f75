import type { ErrorReport, RunRecord } from './status';

/** The reason a failed run gives people: its own error, else its sources' and transfers'. */
export function failureMessage(run: RunRecord): string | undefined {
  const messages = [
    run.error?.message,
    ...(run.sourceProblems ?? []).map((p) => p.error.message),
    ...run.transfers.filter((t) => !t.ok && t.error).map((t) => t.error?.message),
  ].filter((m): m is string => !!m);
  return messages.length > 0 ? [...new Set(messages)].join(' ') : undefined;
}

/** The first error of a failed run in the same order: its own, a source's, then a transfer's. */
export function firstFailure(run: RunRecord): ErrorReport | undefined {
  return run.error ?? run.sourceProblems?.[0]?.error ?? run.transfers.find((t) => !t.ok && t.error)?.error;
}
