import { SELINUX_XATTR, type XattrFilterOptions, type XattrInfo } from './send-stream/filter';

/**
 * The xattrs a receiving machine refuses, left out of a backup so that its
 * receive completes and keeps its Received UUID (a receive with any error
 * never gets one, and every later incremental breaks).
 *
 * What the receiving kernel refuses, decided where its policy is known:
 * - `security.selinux`: a label its SELinux policy does not know (EINVAL).
 *   Checked by the machine itself (`selinuxAccepts`); with SELinux not
 *   enabled there, every label is kept (it is then an ordinary xattr).
 * - `security.capability`: a value that is not a version 2 or 3 file
 *   capability (the kernel's cap_convert_nscap answers EINVAL for anything
 *   else, a version 1 header included), as an old kernel, another system or
 *   a damaged disk can leave on the source.
 * - names a receive already refused once (`alsoDrop`): the local retry's
 *   fallback for a refusal of any other kind.
 * A REMOVE is kept unless the name is dropped entirely: removing a label
 * that was never set would fail the receive, so SELinux REMOVEs go when
 * labels are checked (the filter's keep-only-known rule).
 */

export const CAPABILITY_XATTR = 'security.capability';

/** Whether the kernel accepts `value` as security.capability: a v2 (20 bytes) or v3 (24 bytes) header. */
export function isValidCapability(value: Uint8Array | undefined): boolean {
  if (!value || (value.length !== 20 && value.length !== 24)) return false;
  const magic = (value[0] | (value[1] << 8) | (value[2] << 16) | (value[3] << 24)) >>> 0;
  const revision = magic & 0xff000000;
  return (value.length === 20 && revision === 0x02000000) || (value.length === 24 && revision === 0x03000000);
}

export interface ReceiverRules {
  /** Whether the receiving policy knows a label; undefined: SELinux is not enabled there, keep every label. */
  selinuxAccepts?: (label: string) => boolean;
  /** Names (or globs) to leave out entirely. */
  alsoDrop?: readonly string[];
}

/** The filter options that leave out what the receiving kernel refuses (see above). */
export function receiverFilter(rules: ReceiverRules, onChange?: XattrFilterOptions['onChange']): XattrFilterOptions {
  return {
    selinux: rules.selinuxAccepts ? { mode: 'keep-only-known', known: rules.selinuxAccepts } : { mode: 'keep' },
    rules: [
      ...(rules.alsoDrop ?? []).map((name) => ({ name, action: 'drop' as const })),
      { name: CAPABILITY_XATTR, action: (x: XattrInfo) => (x.command === 'remove' || isValidCapability(x.value) ? 'keep' : 'drop') },
    ],
    onChange,
  };
}

/** The count kept in a transfer's record: how many, of which names, in which files (the first MAX_FILES). */
export interface XattrsLeftOut {
  count: number;
  /** xattr name → how many. */
  names: Record<string, number>;
  /** Paths inside the backup, each once, at most MAX_FILES of them. */
  files: string[];
}

export const MAX_FILES = 100;

/** Collects what a filter dropped, one `add` per dropped xattr. */
export class LeftOutCounter {
  private readonly result: XattrsLeftOut = { count: 0, names: {}, files: [] };
  private readonly seen = new Set<string>();

  add(name: string, path: string): void {
    this.result.count++;
    this.result.names[name] = (this.result.names[name] ?? 0) + 1;
    if (!this.seen.has(path) && this.result.files.length < MAX_FILES) {
      this.seen.add(path);
      this.result.files.push(path);
    }
  }

  /** Undefined when nothing was left out (the record then has no field). */
  get value(): XattrsLeftOut | undefined {
    return this.result.count > 0 ? { count: this.result.count, names: { ...this.result.names }, files: [...this.result.files] } : undefined;
  }
}

/** A server's leftOut, checked (a server's answer is untrusted input); undefined when absent or malformed. */
export function checkLeftOut(value: unknown): XattrsLeftOut | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Partial<XattrsLeftOut>;
  if (typeof v.count !== 'number' || !Number.isSafeInteger(v.count) || v.count <= 0) return undefined;
  const names: Record<string, number> = {};
  for (const [name, n] of Object.entries(v.names ?? {}).slice(0, 100)) {
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && name.length <= 255) names[name] = n;
  }
  const files = Array.isArray(v.files) ? v.files.filter((f): f is string => typeof f === 'string' && f.length <= 4096).slice(0, MAX_FILES) : [];
  return { count: v.count, names, files };
}

/** How many of each kind, for words: security labels, file capabilities, anything else. */
export function leftOutKinds(leftOut: XattrsLeftOut): { labels: number; capabilities: number; other: number } {
  let labels = 0;
  let capabilities = 0;
  let other = 0;
  for (const [name, n] of Object.entries(leftOut.names)) {
    if (name === SELINUX_XATTR) labels += n;
    else if (name === CAPABILITY_XATTR) capabilities += n;
    else other += n;
  }
  return { labels, capabilities, other };
}

/**
 * The sentence for people (the history, the run's summary, the CLI). It says
 * what was left out and what restore does about it; never xattr names.
 */
export function describeLeftOut(leftOut: XattrsLeftOut): string {
  const { labels, capabilities, other } = leftOutKinds(leftOut);
  const parts: string[] = [];
  if (labels > 0) parts.push(`${labels} security label${labels === 1 ? '' : 's'} the backup’s destination does not know`);
  if (capabilities > 0) parts.push(`${capabilities} invalid file capabilit${capabilities === 1 ? 'y' : 'ies'}`);
  if (other > 0) parts.push(`${other} other file attribute${other === 1 ? '' : 's'} the destination refused`);
  const total = labels + capabilities + other;
  const what = parts.join(', ');
  const verb = total === 1 ? 'was' : 'were';
  return labels > 0
    ? `${capitalise(what)} ${verb} left out; files restored on this computer get its default security labels.`
    : `${capitalise(what)} ${verb} left out of the backup.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
