import type { SubvolumeRestoreResult } from '../results';

/** `restore-subvolume`: where the subvolume came back, and the steps to switch to it. */
export function describeRestoredSubvolume(result: SubvolumeRestoreResult): string {
  if (result.keptAs) return [`Restored ${result.currentPath} from ${result.snapshot} on ${result.device}.`, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
  return [`Restored as ${result.subvolume} (from ${result.snapshot}) on ${result.device}. To switch to it:`, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
}
