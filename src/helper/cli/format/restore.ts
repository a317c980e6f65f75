import type { RestoreProgress } from '../../../core/contract/recovery-requests';
import type { SubvolumeRestoreResult } from '../results';

/** Bytes in binary units, one decimal: what a terminal line has room for. */
function binaryBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Seconds as a person reads them: "45 s", "12 min", "2 h 5 min". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** One line of a running `restore-subvolume`: how much came back, and where known the share, rate and time left. */
export function describeRestoreProgress(progress: RestoreProgress): string {
  const parts = [`restoring: ${binaryBytes(progress.bytes)} read`];
  if (progress.fraction !== undefined && Number.isFinite(progress.fraction)) parts[0] += ` (${Math.floor(Math.min(1, Math.max(0, progress.fraction)) * 100)} %)`;
  if (progress.bytesPerSecond !== undefined && progress.bytesPerSecond > 0) parts.push(`${binaryBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined && Number.isFinite(progress.etaSeconds)) parts.push(`about ${duration(progress.etaSeconds)} left`);
  return parts.join(', ');
}

/** `restore-subvolume`: where the subvolume came back, and the steps to switch to it. */
export function describeRestoredSubvolume(result: SubvolumeRestoreResult): string {
  if (result.keptAs) return [`Restored ${result.currentPath} from ${result.snapshot} on ${result.device}.`, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
  return [`Restored as ${result.subvolume} (from ${result.snapshot}) on ${result.device}. To switch to it:`, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
}
