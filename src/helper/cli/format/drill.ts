import { drillSummary, type DrillResult } from '../../../core/drill';

/** `drill`: a paragraph per destination, or why nothing was checked. */
export function describeDrill(result: DrillResult): string {
  if ('skipped' in result) return 'Not checked now: running on battery. Plug the computer in, or check again later.';
  if (result.drills.length === 0) return 'There is no enabled destination to check.';
  return result.drills.map(drillSummary).join('\n');
}
