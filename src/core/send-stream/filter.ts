/**
 * Dropping or rewriting extended attributes in flight.
 *
 * `btrfs receive` stops at the first xattr the destination refuses (an
 * SELinux label its policy does not know, an invalid security.capability:
 * EINVAL), and a receive with an error never gets its Received UUID. Filtering
 * such xattrs out of the stream lets the receive complete.
 *
 * Rules:
 * 1. Only SET_XATTR and REMOVE_XATTR are looked at; every other command
 *    passes untouched (the same bytes, not a copy).
 * 2. The SELinux policy decides for `security.selinux` before any rule:
 *    - keep (the default): no decision; the rules below apply;
 *    - drop: every SET and REMOVE of it is removed from the stream;
 *    - keep-only-known: a SET is kept when `known` accepts its label (the
 *      value without its trailing NUL), and removed otherwise; a REMOVE is
 *      always removed, since the destination may never have had the label
 *      (its SET was dropped) and removing a missing xattr fails the receive.
 * 3. Then the rules, in order; the first whose pattern matches the xattr name
 *    decides. A pattern is a glob on the whole name (`*` any run of
 *    characters, `?` one character, nothing else is special) or a RegExp.
 *    Its action is keep, drop, or a function that returns keep, drop, or a
 *    new name and/or value. For a REMOVE the function gets no value, and a
 *    new value means nothing.
 * 4. No rule matches: keep.
 * 5. A dropped xattr removes its whole command; the rest of the stream is
 *    unchanged and stays valid (commands do not refer to each other by
 *    position). A rewritten one is re-encoded with a new CRC.
 * Each drop and rewrite is counted by name and reported to `onChange`, with
 * the path and the original value, so labels can be recorded for restore.
 */
import { Attribute, Command } from './format';
import type { SendCommand } from './parser';
import { decodeName, encodeName } from './text';
import { rewriteCommand } from './writer';
import type { Crc32cUpdate } from './crc32c';

/** Returns the bytes to write for a command (its own `bytes` when unchanged), or null to drop it. */
export type CommandFilter = (command: SendCommand) => Uint8Array | null;

export interface XattrInfo {
  command: 'set' | 'remove';
  path: string;
  name: string;
  /** The value of a SET (a view of the stream; copy it to keep it). */
  value?: Uint8Array;
}

export type XattrDecision = 'keep' | 'drop' | { name?: string; value?: Uint8Array };

export interface XattrRule {
  name: string | RegExp;
  action: 'keep' | 'drop' | ((xattr: XattrInfo) => XattrDecision);
}

export type SelinuxPolicy =
  | { mode: 'keep' }
  | { mode: 'drop' }
  | { mode: 'keep-only-known'; known: ReadonlySet<string> | readonly string[] | ((label: string) => boolean) };

export interface XattrChange extends XattrInfo {
  action: 'dropped' | 'rewritten';
  newName?: string;
  newValue?: Uint8Array;
}

export interface XattrFilterOptions {
  selinux?: SelinuxPolicy;
  rules?: readonly XattrRule[];
  onChange?: (change: XattrChange) => void;
  checksum?: Crc32cUpdate;
}

export interface XattrFilterStats {
  dropped: Record<string, number>;
  rewritten: Record<string, number>;
}

export const SELINUX_XATTR = 'security.selinux';

/** The label in a security.selinux value: without the trailing NUL the kernel stores. */
export function selinuxLabel(value: Uint8Array): string {
  const end = value.length > 0 && value[value.length - 1] === 0 ? value.length - 1 : value.length;
  return decodeName(value.subarray(0, end));
}

/** A whole-name matcher for a glob: `*` any run of characters, `?` one. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

export class XattrFilter {
  readonly stats: XattrFilterStats = { dropped: {}, rewritten: {} };
  private readonly rules: Array<{ test: RegExp; action: XattrRule['action'] }>;
  private readonly selinux: (xattr: XattrInfo) => XattrDecision;
  private readonly onChange?: (change: XattrChange) => void;
  private readonly checksum?: Crc32cUpdate;

  constructor(options: XattrFilterOptions) {
    this.rules = (options.rules ?? []).map((rule) => ({
      test: typeof rule.name === 'string' ? globToRegExp(rule.name) : rule.name,
      action: rule.action,
    }));
    this.selinux = selinuxDecision(options.selinux ?? { mode: 'keep' });
    this.onChange = options.onChange;
    this.checksum = options.checksum;
  }

  /** True when the filter can never change anything (the pipe then skips it). */
  get isIdentity(): boolean {
    return this.rules.length === 0 && this.selinux === keepAll;
  }

  readonly filter: CommandFilter = (command) => {
    if (command.type !== Command.SetXattr && command.type !== Command.RemoveXattr) return command.bytes;
    const nameBytes = command.get(Attribute.XattrName);
    if (nameBytes === undefined) return command.bytes;
    const info: XattrInfo = {
      command: command.type === Command.SetXattr ? 'set' : 'remove',
      path: command.path ?? '',
      name: decodeName(nameBytes),
      value: command.type === Command.SetXattr ? command.get(Attribute.XattrData) : undefined,
    };
    const decision = this.decide(info);
    if (decision === 'keep') return command.bytes;
    if (decision === 'drop') {
      this.count('dropped', info.name);
      this.onChange?.({ ...info, value: info.value?.slice(), action: 'dropped' });
      return null;
    }
    const newName = decision.name;
    const newValue = info.command === 'set' ? decision.value : undefined;
    if (newName === undefined && newValue === undefined) return command.bytes;
    const bytes = rewriteCommand(
      command,
      (attributes) =>
        attributes.map((a) =>
          a.type === Attribute.XattrName && newName !== undefined
            ? { type: a.type, value: encodeName(newName) }
            : a.type === Attribute.XattrData && newValue !== undefined
              ? { type: a.type, value: newValue }
              : a,
        ),
      this.checksum,
    );
    this.count('rewritten', info.name);
    this.onChange?.({ ...info, value: info.value?.slice(), action: 'rewritten', newName, newValue });
    return bytes;
  };

  private decide(info: XattrInfo): XattrDecision {
    if (info.name === SELINUX_XATTR) {
      const decision = this.selinux(info);
      if (decision !== 'keep') return decision;
      if (this.selinux !== keepAll) return 'keep';
    }
    for (const rule of this.rules) {
      if (!rule.test.test(info.name)) continue;
      return typeof rule.action === 'function' ? rule.action(info) : rule.action;
    }
    return 'keep';
  }

  private count(kind: 'dropped' | 'rewritten', name: string): void {
    this.stats[kind][name] = (this.stats[kind][name] ?? 0) + 1;
  }
}

const keepAll = (): XattrDecision => 'keep';

function selinuxDecision(policy: SelinuxPolicy): (xattr: XattrInfo) => XattrDecision {
  switch (policy.mode) {
    case 'keep':
      return keepAll;
    case 'drop':
      return () => 'drop';
    case 'keep-only-known': {
      const known = policy.known;
      const isKnown =
        typeof known === 'function'
          ? known
          : known instanceof Set
            ? (label: string) => known.has(label)
            : (label: string) => (known as readonly string[]).includes(label);
      return (xattr) => (xattr.command === 'set' && xattr.value && isKnown(selinuxLabel(xattr.value)) ? 'keep' : 'drop');
    }
  }
}
