import { postponeText, resumeText } from '../../../core/conditions';
import { describeLeftOut } from '../../../core/xattrs-left-out';
import type { CleanReport, PruneReport, RunRecord } from '../results';

/** `run`: the outcome, then a line per transfer. */
export function describeRun(run: RunRecord): string {
  if (run.outcome === 'postponed') return describePostponed(run);
  const outcome = run.ok ? 'succeeded' : run.outcome === 'skipped' ? 'skipped: no backup disk or server was there' : 'failed';
  const lines = [`Run ${outcome} (${run.started} to ${run.finished})`];
  for (const s of run.skipped ?? []) lines.push(`  ${s.destination}: skipped, ${s.reason.message}`);
  for (const t of run.transfers) {
    if (t.kind === 'up-to-date' && t.ok) {
      lines.push(`  ${t.source} -> ${t.destination}: up to date, nothing changed since ${t.snapshot}`);
      continue;
    }
    const how = t.kind === 'incremental' ? `incremental from ${t.parent}` : 'full';
    lines.push(
      `  ${t.source} -> ${t.destination}: ${t.snapshot}, ${how}, ${t.bytes} bytes in ${t.seconds.toFixed(1)} s` +
        (t.ok ? '' : ` - FAILED: ${t.error?.message}`),
    );
    if (t.damagedParent) lines.push(`    ${t.damagedParent}`);
    if (t.leftOut) lines.push(`    ${describeLeftOut(t.leftOut)}`);
  }
  for (const f of run.spaceFreed ?? []) lines.push(`  ${f.message}`);
  if (!run.ok && run.error && run.transfers.length === 0) lines.push(`  ${run.error.message}`);
  return lines.join('\n');
}

/** `run --scheduled` when the configured conditions say wait: the record of the pending run. */
export function describePostponed(run: RunRecord): string {
  const reason = run.postponed ?? 'on-battery';
  return `Backup postponed: ${postponeText(reason)} (since ${run.started}). It runs ${resumeText(reason)}, or at the next scheduled time.`;
}

/** `prune`: per side, what is kept and why, and what goes (or would go, with --dry-run). */
export function describePrune(reports: PruneReport[], dryRun: boolean): string {
  const lines: string[] = [];
  for (const r of reports) {
    const where = r.side === 'local' ? `${r.source}, local snapshots` : `${r.source} on ${r.destination}`;
    if (r.skipped) {
      lines.push(`${where}: nothing deleted (${r.skipped})`);
      continue;
    }
    lines.push(`${where}: keep ${r.keptCount}, ${dryRun ? 'would remove' : 'removed'} ${r.removed.length}${r.error ? ` - FAILED: ${r.error.message}` : ''}`);
    for (const k of r.kept) lines.push(`  keep    ${k.name}  (${k.reasons.join(', ')})`);
    for (const name of r.removed) lines.push(`  remove  ${name}`);
  }
  return lines.join('\n');
}

/** `clean`: what was removed from each destination. */
export function describeClean(reports: CleanReport[]): string {
  return reports
    .map((r) => (r.connected ? `${r.destination}: removed ${r.removed.length} incomplete backup(s)${r.removed.map((n) => `\n  ${n}`).join('')}` : `${r.destination}: not connected`))
    .join('\n');
}
