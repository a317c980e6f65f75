import { describe, expect, test } from '@jest/globals';
import { XattrFilter, globToRegExp, selinuxLabel, type XattrChange, type XattrFilterOptions } from '../../src/core/send-stream/filter';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { SendStreamParser } from '../../src/core/send-stream/parser';
import { attribute, encodeCommand, encodeStreamHeader } from '../../src/core/send-stream/writer';
import { concat, golden, parseAll, type GoldenName } from './send-stream-golden';

/** Runs a stream through a filter as the pipe does: headers as they are, commands as the filter says. */
function filtered(name: GoldenName | Uint8Array, options: XattrFilterOptions): { output: Uint8Array; filter: XattrFilter } {
  const filter = new XattrFilter(options);
  const parts: Uint8Array[] = [];
  const parser = new SendStreamParser({
    onHeader: (h) => parts.push(h.bytes),
    onCommand: (c) => {
      const bytes = filter.filter(c);
      if (bytes) parts.push(bytes);
    },
  });
  parser.push(typeof name === 'string' ? golden(name) : name);
  parser.end();
  return { output: concat(parts), filter };
}

function xattrs(bytes: Uint8Array): Array<[string, string, string?]> {
  return parseAll(bytes)
    .commands.filter((c) => c.type === Command.SetXattr || c.type === Command.RemoveXattr)
    .map((c) => {
      const value = c.get(Attribute.XattrData);
      return value ? [c.path as string, c.string(Attribute.XattrName) as string, selinuxLabel(value)] : [c.path as string, c.string(Attribute.XattrName) as string];
    });
}

const label = (text: string) => new TextEncoder().encode(text);

describe('xattr filter', () => {
  test('with nothing to do, every command passes as its own bytes', () => {
    const filter = new XattrFilter({});
    expect(filter.isIdentity).toBe(true);
    for (const command of parseAll(golden('v1-full')).commands) expect(filter.filter(command)).toBe(command.bytes);
    expect(Buffer.compare(filtered('v2-incremental', { selinux: { mode: 'keep' } }).output, golden('v2-incremental'))).toBe(0);
  });

  test('SELinux drop: the label commands go, the rest of the stream is byte for byte the same', () => {
    const changes: XattrChange[] = [];
    const { output, filter } = filtered('v1-full', { selinux: { mode: 'drop' }, onChange: (c) => changes.push(c) });
    expect(xattrs(output).map(([, name]) => name)).not.toContain('security.selinux');
    expect(filter.stats.dropped).toEqual({ 'security.selinux': 2 });
    expect(changes.map((c) => [c.path, c.name, c.action, selinuxLabel(c.value as Uint8Array)])).toEqual([
      ['docs/readme.bin', 'security.selinux', 'dropped', 'system_u:object_r:user_home_t:s0'],
      ['photos/b.jpg', 'security.selinux', 'dropped', 'system_u:object_r:unknown_to_dest_t:s0'],
    ]);
    const kept = parseAll(golden('v1-full')).commands.filter((c) => c.string(Attribute.XattrName) !== 'security.selinux');
    expect(Buffer.compare(output, concat([golden('v1-full').subarray(0, 17), ...kept.map((c) => c.bytes)]))).toBe(0);
  });

  test('SELinux keep-only-known keeps the labels the destination knows', () => {
    for (const known of [
      ['system_u:object_r:user_home_t:s0'],
      new Set(['system_u:object_r:user_home_t:s0']),
      (l: string) => l.includes(':user_home_t:'),
    ]) {
      const { output } = filtered('v2-compressed-full', { selinux: { mode: 'keep-only-known', known } });
      expect(xattrs(output).filter(([, name]) => name === 'security.selinux')).toEqual([
        ['docs/readme.bin', 'security.selinux', 'system_u:object_r:user_home_t:s0'],
      ]);
    }
  });

  test('keep-only-known always drops a removal of the label (the destination may not have it)', () => {
    const v = 1;
    const stream = concat([
      encodeStreamHeader(v),
      encodeCommand(Command.Snapshot, [attribute(Attribute.Path, 's'), attribute(Attribute.Uuid, '00'.repeat(16)), attribute(Attribute.Ctransid, 1), attribute(Attribute.CloneUuid, '11'.repeat(16)), attribute(Attribute.CloneCtransid, 1)], { version: v }),
      encodeCommand(Command.RemoveXattr, [attribute(Attribute.Path, 'f'), attribute(Attribute.XattrName, 'security.selinux')], { version: v }),
      encodeCommand(Command.SetXattr, [attribute(Attribute.Path, 'f'), attribute(Attribute.XattrName, 'security.selinux'), attribute(Attribute.XattrData, label('a_u:b_r:c_t:s0\0'))], { version: v }),
      encodeCommand(Command.End, [], { version: v }),
    ]);
    const { output } = filtered(stream, { selinux: { mode: 'keep-only-known', known: ['a_u:b_r:c_t:s0'] } });
    expect(xattrs(output)).toEqual([['f', 'security.selinux', 'a_u:b_r:c_t:s0']]);
  });

  test('drop by pattern: an invalid capability, and a removal of a dropped name', () => {
    const { output: full } = filtered('v1-full', { rules: [{ name: 'security.capability', action: 'drop' }] });
    expect(xattrs(full).map(([, name]) => name)).toEqual(['user.comment', 'security.selinux', 'user.tag', 'security.selinux']);
    const { output: incremental, filter } = filtered('v1-incremental', { rules: [{ name: 'user.?ag', action: 'drop' }] });
    expect(xattrs(incremental).map(([, name]) => name)).not.toContain('user.tag');
    expect(filter.stats.dropped).toEqual({ 'user.tag': 1 });
  });

  test('rewrite by pattern: new value and new name, with a fresh CRC the parser accepts', () => {
    const seen: string[] = [];
    const { output, filter } = filtered('v2-incremental', {
      rules: [
        { name: /^user\.comment$/, action: () => ({ value: label('rewritten') }) },
        { name: 'user.added', action: (x) => (seen.push(`${x.command} ${x.path}`), { name: 'user.renamed' }) },
        { name: 'user.*', action: 'keep' },
        { name: '*', action: 'drop' },
      ],
    });
    expect(xattrs(output)).toEqual([
      ['docs/hello.txt', 'user.comment', 'rewritten'],
      ['hardlink-2', 'user.renamed', 'new'],
      ['pictures/b.jpg', 'user.tag'],
    ]);
    expect(seen).toEqual(['set hardlink-2']);
    expect(filter.stats).toEqual({ dropped: { 'security.capability': 1 }, rewritten: { 'user.comment': 1, 'user.added': 1 } });
  });

  test('the SELinux policy decides before the rules; with "keep" the rules apply', () => {
    const rules = [{ name: 'security.*', action: 'drop' as const }];
    const policy = { mode: 'keep-only-known' as const, known: ['system_u:object_r:user_home_t:s0'] };
    expect(xattrs(filtered('v1-full', { selinux: policy, rules }).output).map(([p, n]) => `${p} ${n}`)).toEqual([
      'hardlink-1 user.comment',
      'docs/readme.bin security.selinux',
      'photos/a.jpg user.tag',
    ]);
    expect(xattrs(filtered('v1-full', { selinux: { mode: 'keep' }, rules }).output).map(([, n]) => n)).toEqual(['user.comment', 'user.tag']);
  });
});

describe('globs', () => {
  test.each([
    ['security.selinux', 'security.selinux', true],
    ['security.selinux', 'securityXselinux', false],
    ['security.*', 'security.capability', true],
    ['security.*', 'user.security.x', false],
    ['user.?ag', 'user.tag', true],
    ['user.?ag', 'user.flag', false],
    ['*', '', true],
    ['a+b(c)[d]', 'a+b(c)[d]', true],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});
