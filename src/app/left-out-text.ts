import type { RunRecord, TransferRecord } from '../core/status';
import { leftOutKinds, type XattrsLeftOut } from '../core/xattrs-left-out';
import { fmt, ngettext } from './i18n';

/**
 * What a backup left out because its destination refuses it (security labels
 * its policy does not know, invalid file capabilities), in words: never the
 * names of extended attributes (src/core/xattrs-left-out.ts).
 */
export function describeLeftOut(leftOut: XattrsLeftOut): string {
  const { labels, capabilities, other } = leftOutKinds(leftOut);
  const parts: string[] = [];
  if (labels > 0) {
    // Translators: SELinux labels of files that the backup server or disk does not know.
    parts.push(fmt(ngettext('%s security label this destination does not know was left out; the file gets this computer’s default label when you restore it.', '%s security labels this destination does not know were left out; the files get this computer’s default labels when you restore them.', labels), labels));
  }
  if (capabilities > 0) {
    parts.push(fmt(ngettext('%s invalid file capability was left out.', '%s invalid file capabilities were left out.', capabilities), capabilities));
  }
  if (other > 0) {
    parts.push(fmt(ngettext('%s file attribute the destination refused was left out.', '%s file attributes the destination refused were left out.', other), other));
  }
  return parts.join(' ');
}

/** Everything a run's copies left out, added up; undefined when nothing was. */
export function runLeftOut(run: RunRecord): XattrsLeftOut | undefined {
  const all = run.transfers.map((t: TransferRecord) => t.leftOut).filter((l): l is XattrsLeftOut => l !== undefined);
  if (all.length === 0) return undefined;
  const names: Record<string, number> = {};
  for (const l of all) for (const [name, n] of Object.entries(l.names)) names[name] = (names[name] ?? 0) + n;
  return { count: all.reduce((sum, l) => sum + l.count, 0), names, files: all.flatMap((l) => l.files) };
}
