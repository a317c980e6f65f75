import { describe, expect, test } from '@jest/globals';
import { programsUsing, unsafeFlags, type ProcessUse } from '../../src/core/folder-in-use';
import { alreadyDone, setApartProblem, type FolderFacts } from '../../src/core/set-apart-check';

const folder = '/home/alice/.cache';
const facts = (more: Partial<FolderFacts> = {}): FolderFacts => ({
  path: folder,
  isFolder: true,
  onBtrfs: true,
  isSubvolumeRoot: false,
  isMountRoot: false,
  mountsInside: [],
  subvolumesInside: [],
  programs: [],
  configuredSource: false,
  ...more,
});

describe('whether a folder may be set apart', () => {
  test.each([
    ['a plain folder', facts(), 'apart', undefined],
    ['a folder of the system', facts({ path: '/usr/share' }), 'apart', /belongs to the operating system/],
    ['the root', facts({ path: '/' }), 'apart', /belongs to the operating system/],
    ['a folder not there', facts({ isFolder: false }), 'apart', /not a folder/],
    ['a folder on ext4', facts({ onBtrfs: false }), 'apart', /cannot keep folders apart/],
    ['a mount point', facts({ isMountRoot: true }), 'apart', /disk or share of its own/],
    ['a folder with a disk mounted inside', facts({ mountsInside: [`${folder}/usb`] }), 'apart', /mounted inside .* \(at \/home\/alice\/\.cache\/usb\)/],
    ['a folder also mounted elsewhere (a bind mount)', facts({ mountedElsewhere: ['/var/lib/containers/volume'] }), 'apart', /also mounted elsewhere \(at \/var\/lib\/containers\/volume\)/],
    ['joining a folder bound elsewhere', facts({ isSubvolumeRoot: true, madeByRewind: true, mountedElsewhere: ['/srv/view'] }), 'join', /also mounted elsewhere \(at \/srv\/view\)/],
    ['a folder holding one kept apart', facts({ subvolumesInside: [`${folder}/a`, `${folder}/b`, `${folder}/c`, `${folder}/d`] }), 'apart', /already kept apart \(.*\/a, .*\/b, .*\/c and 1 more\)/],
    ['a folder in use by one program', facts({ programs: ['firefox'] }), 'apart', /in use by firefox\. Close it,/],
    ['a folder in use by two', facts({ programs: ['firefox', 'tracker'] }), 'apart', /in use by firefox, tracker\. Close these programs/],
    ['joining a subvolume', facts({ isSubvolumeRoot: true }), 'join', undefined],
    ['joining one Rewind kept apart', facts({ isSubvolumeRoot: true, madeByRewind: true }), 'join', undefined],
    ['joining one that came with the system', facts({ isSubvolumeRoot: true, madeByRewind: false }), 'join', /Rewind did not keep .* apart: .* leaves it as it is\. To back it up, add it/],
    ['setting apart one that came with the system: already so', facts({ isSubvolumeRoot: true, madeByRewind: false }), 'apart', undefined],
    ['joining one backed up on its own', facts({ isSubvolumeRoot: true, configuredSource: true }), 'join', /backed up on its own/],
    ['joining one in use', facts({ isSubvolumeRoot: true, programs: ['podman'] }), 'join', /in use by podman/],
  ] as const)('%s', (_name, f, direction, problem) => {
    const found = setApartProblem(f, direction);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  test('what is already so needs nothing', () => {
    expect(alreadyDone(facts({ isSubvolumeRoot: true }), 'apart')).toBe(true);
    expect(alreadyDone(facts(), 'join')).toBe(true);
    expect(alreadyDone(facts(), 'apart')).toBe(false);
    expect(alreadyDone(facts({ onBtrfs: false }), 'join')).toBe(false);
  });
});

describe('programs that make a swap unsafe', () => {
  const p = (name: string, more: Partial<ProcessUse>): ProcessUse => ({ pid: 1, name, fds: [], maps: [], ...more });
  test.each([
    ['0100000', false],
    ['0100001', true],
    ['0100002', true],
    ['0200000', true],
    ['02100000', false],
    ['', true],
  ])('fd flags %s unsafe: %s', (flags, unsafe) => {
    expect(unsafeFlags(flags)).toBe(unsafe);
  });

  test('a writer, a folder handle, a working directory, a shared writable mapping; not a reader', () => {
    const processes = [
      p('reader', { fds: [{ path: `${folder}/a`, flags: '0100000' }] }),
      p('writer', { fds: [{ path: `${folder}/a`, flags: '0100001' }] }),
      p('writer', { fds: [{ path: `${folder}/b (deleted)`, flags: '0100002' }] }),
      p('elsewhere', { fds: [{ path: '/home/alice/.cachex/a', flags: '0100002' }], cwd: '/home/alice' }),
      p('shell', { cwd: `${folder}/sub` }),
      p('chrooted', { root: folder }),
      p('watcher', { fds: [{ path: folder, flags: '0200000' }] }),
      p('mapper', { maps: [`7f00-7f10 rw-s 00000000 00:2a 1234 ${folder}/db`] }),
      p('private', { maps: [`7f00-7f10 rw-p 00000000 00:2a 1234 ${folder}/lib.so`] }),
    ];
    expect(programsUsing(processes, folder)).toEqual(['writer', 'shell', 'chrooted', 'watcher', 'mapper']);
  });
});
