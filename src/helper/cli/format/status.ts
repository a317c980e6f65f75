import { postponeText, resumeText } from '../../../core/conditions';
import type { HelperStatus, Inventory } from '../results';

/** The last run, when it is not a success: why, in a line. */
function lastRunLine(run: NonNullable<HelperStatus['lastRun']>): string {
  if (run.outcome === 'postponed' && run.postponed) return `Last scheduled run postponed: ${postponeText(run.postponed)}; it runs ${resumeText(run.postponed)}.`;
  if (run.outcome === 'skipped') return `Last run skipped: ${(run.skipped ?? []).map((s) => s.reason.message).join(' ') || 'no backup disk or server was there.'}`;
  return `Last run failed: ${run.error?.message ?? run.sourceProblems?.[0]?.error.message ?? run.transfers.find((t) => !t.ok)?.error?.message ?? 'no reason was recorded.'}`;
}

/** `status`: the configuration in brief and the last runs. */
export function describeStatus(status: HelperStatus): string {
  return [
    status.configured ? `Sources: ${status.sources.join(', ')}` : status.configError?.message ?? 'Not configured.',
    ...status.destinations.map((d) => `Destination ${d.id} (${d.kind}${d.enabled ? '' : ', disabled'}): ${d.label}`),
    status.lastSuccess ? `Last successful backup: ${status.lastSuccess.finished}` : 'No successful backup yet.',
    ...(status.lastRun && !status.lastRun.ok ? [lastRunLine(status.lastRun)] : []),
    ...(status.lastRun?.spaceFreed ?? []).map((f) => f.message),
    ...(status.lastRun?.historySetAside ? [`The history could not be read; it was kept as ${status.lastRun.historySetAside} and a new one started.`] : []),
  ].join('\n');
}

/** `list`: each source's local snapshots and its backups on each destination. */
export function describeInventory(inventory: Inventory): string {
  const lines: string[] = [];
  for (const s of inventory.sources) {
    lines.push(s.source, `  local snapshots (${s.snapshots.length}):`, ...s.snapshots.map((x) => `    ${x.name}`));
    for (const d of s.destinations) {
      if (!d.connected) {
        lines.push(`  ${d.destination}: not connected`);
        continue;
      }
      lines.push(`  ${d.destination} (${d.backups.length}):`, ...d.backups.map((b) => `    ${b.name}${b.complete ? '' : '  (incomplete)'}`));
    }
  }
  for (const p of inventory.problems) lines.push(`${p.source}: ${p.error.message}`);
  return lines.join('\n');
}

/** `schedule`: the timer written, or that there is none. */
export function describeSchedule(applied: { unitFile: string; enabled: boolean }, onCalendar: string | undefined, next: Date | undefined): string {
  return applied.enabled
    ? `Automatic backups: OnCalendar=${onCalendar} in ${applied.unitFile}; next at ${next?.toString()}.`
    : 'Automatic backups are off (manual schedule); the timer is disabled.';
}
