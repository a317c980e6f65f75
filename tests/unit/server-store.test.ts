import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { REWIND_VERSION } from '../../src/core/ids';
import { chooseServerStore, filesystemName, serverCapabilities, serverProblem } from '../../src/core/server-capabilities';
import { XattrFilter } from '../../src/core/send-stream/filter';
import { Attribute, Command } from '../../src/core/send-stream/format';
import { SendStreamParser } from '../../src/core/send-stream/parser';
import { attribute, encodeCommand } from '../../src/core/send-stream/writer';
import { checkLeftOut, describeLeftOut, isValidCapability, LeftOutCounter, receiverFilter } from '../../src/core/xattrs-left-out';

const GiB = 1024 ** 3;
const current = { ok: true as const, version: 1, host: 'laptop', sendProtocols: [1, 2], zstd: true, serverVersion: '0.1.0', writable: true, filtersXattrs: true };

describe('what a server can do, and the store it gets', () => {
  test('the version the server tells is the package’s', () => {
    expect(REWIND_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  test('filesystems by their statfs magic', () => {
    expect([0x9123683e, 0x58465342, 0xef53, 0x1234].map(filesystemName)).toEqual(['btrfs', 'xfs', 'ext4', 'other']);
  });

  test.each([
    ['btrfs, receive works', { btrfs: true, canReceive: true, filesystem: 'btrfs' }, 'btrfs'],
    ['XFS', { btrfs: false, canReceive: false, filesystem: 'xfs' }, 'files'],
    ['btrfs without the rights to receive', { btrfs: true, canReceive: false, filesystem: 'btrfs' }, 'files'],
    ['an older server on btrfs', { btrfs: true }, 'btrfs'],
    ['an older server without btrfs', { btrfs: false }, 'files'],
    ['the oldest servers (received backups only)', {}, 'btrfs'],
  ])('%s → %s', (_what, hello, store) => {
    expect(chooseServerStore(undefined, serverCapabilities({ ...current, ...hello }))).toBe(store);
  });

  test('a store the configuration names is kept', () => {
    expect(chooseServerStore('files', serverCapabilities({ ...current, canReceive: true }))).toBe('files');
    expect(chooseServerStore('btrfs', serverCapabilities({ ...current, canReceive: false }))).toBe('btrfs');
  });

  test('claims of the wrong type are not believed', () => {
    const c = serverCapabilities({ ...current, canReceive: 'yes', freeBytes: -1, totalBytes: Infinity, filesystem: 'x'.repeat(100), serverVersion: 3 } as never);
    expect(c).toMatchObject({ canReceive: true, freeBytes: undefined, totalBytes: undefined, filesystem: undefined, version: undefined });
  });

  test.each([
    ['fit', { filesystem: 'xfs', freeBytes: 100 * GiB, totalBytes: 200 * GiB }, undefined],
    ['too old: no version', { filesystem: 'xfs', serverVersion: undefined }, 'too-old'],
    ['too old: no filesystem', {}, 'too-old'],
    ['a folder serve may not write', { filesystem: 'xfs', writable: false }, 'not-writable'],
    ['full', { filesystem: 'xfs', freeBytes: 50 * 1024 * 1024, totalBytes: 200 * GiB }, 'full'],
  ])('%s', (_what, hello, problem) => {
    expect(serverProblem(serverCapabilities({ ...current, ...hello }))).toBe(problem);
  });
});

function setXattr(path: string, name: string, value: Uint8Array): Uint8Array {
  return encodeCommand(Command.SetXattr, [attribute(Attribute.Path, path), attribute(Attribute.XattrName, name), attribute(Attribute.XattrData, value)], { version: 1 });
}

function run(commands: Uint8Array[], options: Parameters<typeof receiverFilter>[0]): { kept: string[]; leftOut: LeftOutCounter['value'] } {
  const counter = new LeftOutCounter();
  const filter = new XattrFilter(receiverFilter(options, ({ name, path }) => counter.add(name, path)));
  const kept: string[] = [];
  const parser = new SendStreamParser({
    onCommand: (c) => {
      if (c.type !== Command.End && filter.filter(c)) kept.push(`${c.path}:${c.string(Attribute.XattrName)}`);
    },
  });
  parser.push(Buffer.from('btrfs-stream\0\x01\0\0\0', 'latin1'));
  for (const c of commands) parser.push(c);
  parser.push(encodeCommand(Command.End, [], { version: 1 }));
  parser.end();
  return { kept, leftOut: counter.value };
}

const v2 = Buffer.from('0100000200040000002000000100000002000000', 'hex');
const v1WithV2Length = Buffer.from(v2);
v1WithV2Length[3] = 0x01;

describe('what a receiving kernel refuses is left out, and counted', () => {
  test('file capabilities: v2 and v3 kept, anything else left out', () => {
    expect(isValidCapability(v2)).toBe(true);
    expect(isValidCapability(Buffer.concat([Buffer.from('00000003', 'hex'), Buffer.alloc(20)]))).toBe(true);
    expect(isValidCapability(v1WithV2Length)).toBe(false);
    expect(isValidCapability(Buffer.alloc(12))).toBe(false);
  });

  test('labels: the policy decides; without SELinux every label is kept', () => {
    const label = (l: string) => Buffer.from(`${l}\0`);
    const stream = [
      setXattr('a', 'security.selinux', label('system_u:object_r:user_home_t:s0')),
      setXattr('b', 'security.selinux', label('system_u:object_r:unknown_thing_t:s0')),
      setXattr('b', 'security.capability', v1WithV2Length),
      setXattr('c', 'security.capability', v2),
      setXattr('c', 'user.note', Buffer.from('kept')),
    ];
    const withPolicy = run(stream, { selinuxAccepts: (l) => l.includes('user_home_t') });
    expect(withPolicy.kept).toEqual(['a:security.selinux', 'c:security.capability', 'c:user.note']);
    expect(withPolicy.leftOut).toEqual({ count: 2, names: { 'security.selinux': 1, 'security.capability': 1 }, files: ['b'] });
    expect(run(stream, {}).kept).toHaveLength(4);
    expect(run(stream, { alsoDrop: ['user.*'] }).kept).toEqual(['a:security.selinux', 'b:security.selinux', 'c:security.capability']);
  });

  test('said in words, without xattr names', () => {
    expect(describeLeftOut({ count: 12, names: { 'security.selinux': 12 }, files: [] })).toBe(
      '12 security labels the backup’s destination does not know were left out; files restored on this computer get its default security labels.',
    );
    expect(describeLeftOut({ count: 1, names: { 'security.capability': 1 }, files: ['x'] })).toBe('1 invalid file capability was left out of the backup.');
  });

  test('a server’s count is checked before it is kept', () => {
    expect(checkLeftOut({ count: 2, names: { a: 2, b: 'x' }, files: ['f', 3] })).toEqual({ count: 2, names: { a: 2 }, files: ['f'] });
    expect(checkLeftOut({ count: 0 })).toBeUndefined();
    expect(checkLeftOut('many')).toBeUndefined();
  });
});
