import type { KeptReason, OwnersChange } from '../../../core/owner-mapping';
import type { RestoreProgress } from '../../../core/contract/recovery-requests';
import { sizeText } from '../../../core/space-notice';
import type { SubvolumeRestoreResult } from '../results';

/** Seconds as a person reads them: "45 s", "12 min", "2 h 5 min". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** One line of a running `restore-subvolume`: how much came back, and where known the share, rate and time left. */
export function describeRestoreProgress(progress: RestoreProgress): string {
  const parts = [`restoring: ${sizeText(progress.bytes)} read`];
  if (progress.fraction !== undefined && Number.isFinite(progress.fraction)) parts[0] += ` (${Math.floor(Math.min(1, Math.max(0, progress.fraction)) * 100)} %)`;
  if (progress.bytesPerSecond !== undefined && progress.bytesPerSecond > 0) parts.push(`${sizeText(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined && Number.isFinite(progress.etaSeconds)) parts.push(`about ${duration(progress.etaSeconds)} left`);
  return parts.join(', ');
}

const KEPT: Record<KeptReason, string> = {
  'no-account': 'there is no account of that name here',
  root: "root's files are never given to anyone",
  taken: "its number here is another folder's owner's, who keeps theirs: the two people's files would be mixed",
  ambiguous: 'two folders would end up with one owner here, or one owner with two numbers',
};

/**
 * A folder name of the restored home as the terminal shows it: it came from
 * the backup, and a kept folder's name may be any name (given ones are
 * account names). One with a control character (C0, DEL or C1, which a
 * terminal would obey) is shown quoted with those escaped.
 */
function shownName(name: string): string {
  const control = (c: string) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f);
  if (![...name].some(control)) return name;
  // JSON escapes C0 and the quote; DEL and C1 it leaves as they are.
  return [...JSON.stringify(name)].map((c) => (control(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
}

/** Whose files were given to whom, and whose kept their owner, one line each. */
export function describeOwners(owners: OwnersChange): string[] {
  const lines = owners.given.map((g) => {
    const ids = [g.uid && `uid ${g.uid[0]} → ${g.uid[1]}`, g.gid && `group ${g.gid[0]} → ${g.gid[1]}`].filter(Boolean).join(', ');
    const group = g.groupKept ? `; their group stays as it was (${KEPT[g.groupKept]})` : '';
    return `Files of ${g.name} were given to ${g.name} on this computer (${ids})${group}.`;
  });
  if (owners.given.length > 0) lines.push(`  ${owners.entries} files and folders changed owner; modes, times and contents are as they were.`);
  // A folder of root's is nobody's to give: not worth a line.
  for (const k of owners.kept.filter((k) => k.reason !== 'root')) lines.push(`Files of ${shownName(k.name)} keep the owner they had: ${KEPT[k.reason]}.`);
  return lines;
}

/** `restore-subvolume`: where the subvolume came back, whose files are whose, and the steps to switch to it. */
export function describeRestoredSubvolume(result: SubvolumeRestoreResult): string {
  const owners = result.owners ? describeOwners(result.owners) : [];
  if (result.keptAs) return [`Restored ${result.currentPath} from ${result.snapshot} on ${result.device}.`, ...owners, ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
  return [`Restored as ${result.subvolume} (from ${result.snapshot}) on ${result.device}.`, ...owners, 'To switch to it:', ...result.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n');
}
