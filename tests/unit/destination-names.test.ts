import { describe, expect, test } from '@jest/globals';
import type { Config, Destination } from '../../src/core/config';
import { destinationAt, folderOnFilesystem, placeOf, type MountedFilesystem } from '../../src/core/destination-identity';
import { checkDestinationName, destinationName, renameDestination } from '../../src/core/destination-name';
import { isPlainText } from '../../src/core/plain-text';
import { validateConfig } from '../../src/core/config';

const BLUE = '0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1';
const RED = '6f1d2c3b-4a59-4e68-8f7a-9b0c1d2e3f40';

const disk = (id: string, filesystem: string, label?: string): Destination => ({ id, kind: 'btrfs', filesystem, path: 'rewind', enabled: true, ...(label ? { label } : {}) });
const files = (id: string, path: string, extra: Partial<Extract<Destination, { kind: 'files' }>> = {}): Destination => ({
  id,
  kind: 'files',
  path,
  enabled: true,
  encrypt: false,
  chain: { maxIncrementals: 30, maxDays: 30 },
  partSizeMiB: 1024,
  ...extra,
});
const server = (id: string, host: string, extra: Partial<Extract<Destination, { kind: 'ssh' }>> = {}): Destination => ({
  id,
  kind: 'ssh',
  host,
  port: 22,
  user: 'root',
  path: '/srv/rewind',
  enabled: true,
  compression: 'auto',
  ...extra,
});

describe('a destination’s name', () => {
  test('is its label, trimmed', () => {
    expect(destinationName(disk('blue-usb-disk', BLUE, '  Blue USB Disk '))).toBe('Blue USB Disk');
  });

  test('without a label (a configuration written by hand) is what it is, never its id', () => {
    expect(destinationName(disk('blue-usb-disk', BLUE))).toBe('Backup disk');
    expect(destinationName(disk('blue-usb-disk', BLUE, '   '))).toBe('Backup disk');
    expect(destinationName(server('srv-1', 'nas.local'))).toBe('nas.local');
    expect(destinationName(files('share', '/mnt/share/backups/'))).toBe('backups');
    expect(destinationName(files('usb-files', 'rewind', { filesystem: '1A2B-3C4D' }))).toBe('rewind');
    expect(destinationName(files('usb-files', '', { filesystem: '1A2B-3C4D' }))).toBe('Backup disk');
  });

  test.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['x'.repeat(201), 'too-long'],
    ['Blue\u0007disk', 'control-characters'],
    ['Red disk', 'taken'],
    ['red DISK', 'taken'],
    ['Blue USB Disk', undefined],
    [' Green disk ', undefined],
  ])('“%s” as a new name: %s', (name, problem) => {
    const destinations = [disk('blue', BLUE, 'Blue USB Disk'), disk('red', RED, 'Red disk')];
    expect(checkDestinationName(name, 'blue', destinations)).toBe(problem);
  });

  test('renaming sets the label of that destination only, and the result is a valid configuration', () => {
    const config: Config = {
      version: 1,
      sources: [{ path: '/home' }],
      destinations: [disk('blue', BLUE, 'Blue USB Disk'), disk('red', RED)],
      schedule: { kind: 'hourly' },
      conditions: { postponeOnBattery: false, postponeOnMetered: true },
    };
    const renamed = renameDestination(config, 'red', '  Red disk at the office ');
    expect(renamed.destinations.map((d) => [d.id, d.label])).toEqual([
      ['blue', 'Blue USB Disk'],
      ['red', 'Red disk at the office'],
    ]);
    expect(validateConfig(renamed).ok).toBe(true);
    expect(renameDestination(config, 'nowhere', 'x')).toEqual(config);
  });
});

describe('a place already used for backups', () => {
  const mounts: MountedFilesystem[] = [
    { uuid: BLUE, mountpoints: ['/run/media/alice/Blue'] },
    { uuid: RED, mountpoints: [] },
    { uuid: 'ffff0000-1111-2222-3333-444455556666', mountpoints: ['/'] },
    { uuid: '1A2B-3C4D', mountpoints: ['/run/media/alice/STICK'] },
  ];

  test('a disk is known by its filesystem UUID, whatever the destination’s id, name or folder', () => {
    const destinations = [disk('blue-usb-disk', BLUE, 'Blue USB Disk')];
    expect(destinationAt(destinations, { kind: 'disk', filesystem: BLUE.toUpperCase() })?.id).toBe('blue-usb-disk');
    expect(destinationAt(destinations, { kind: 'disk', filesystem: RED })).toBeUndefined();
    const onStick = [files('stick', 'rewind', { filesystem: '1a2b-3c4d' })];
    expect(destinationAt(onStick, { kind: 'disk', filesystem: '1A2B-3C4D' })?.id).toBe('stick');
  });

  test('a disk that holds a folder destination is in use too', () => {
    const destinations = [files('on-blue', '/run/media/alice/Blue/backups', { mountPoint: '/run/media/alice/Blue' })];
    expect(destinationAt(destinations, { kind: 'disk', filesystem: BLUE }, mounts)?.id).toBe('on-blue');
    expect(destinationAt(destinations, { kind: 'disk', filesystem: RED }, mounts)).toBeUndefined();
  });

  test('a server is known by host, port, user and folder', () => {
    const destinations = [server('srv', 'nas.local', { user: 'backup', path: '/srv/rewind' })];
    expect(destinationAt(destinations, { kind: 'server', host: 'NAS.local.', user: 'backup', path: '/srv/rewind/' })?.id).toBe('srv');
    expect(destinationAt(destinations, { kind: 'server', host: 'nas.local', user: 'root', path: '/srv/rewind' })).toBeUndefined();
    expect(destinationAt(destinations, { kind: 'server', host: 'nas.local', user: 'backup', path: '/srv/other' })).toBeUndefined();
    expect(destinationAt(destinations, { kind: 'server', host: 'nas.local', port: 2222, user: 'backup', path: '/srv/rewind' })).toBeUndefined();
    expect(destinationAt([server('srv', 'nas.local')], { kind: 'server', host: 'nas.local', user: '', path: '/srv/rewind' })?.id).toBe('srv');
  });

  test('a folder is known by its path on its filesystem, wherever that is mounted', () => {
    const byPath = [files('share', '/mnt/share/backups')];
    expect(destinationAt(byPath, { kind: 'folder', path: '/mnt/share//backups/' }, mounts)?.id).toBe('share');
    expect(destinationAt(byPath, { kind: 'folder', path: '/mnt/share' }, mounts)).toBeUndefined();
    // The disk's own folder, chosen as a folder where the desktop mounted the disk.
    const onDisk = [disk('blue', BLUE)];
    expect(destinationAt(onDisk, { kind: 'folder', path: '/run/media/alice/Blue/rewind' }, mounts)?.id).toBe('blue');
    expect(destinationAt(onDisk, { kind: 'folder', path: '/run/media/alice/Blue/other' }, mounts)).toBeUndefined();
    // A folder destination recorded at one mount point, chosen again at another.
    const elsewhere = [files('on-blue', '/media/blue/backups', { mountPoint: '/media/blue' })];
    const moved: MountedFilesystem[] = [{ uuid: BLUE, mountpoints: ['/media/blue', '/run/media/alice/Blue'] }];
    expect(destinationAt(elsewhere, { kind: 'folder', path: '/run/media/alice/Blue/backups' }, moved)?.id).toBe('on-blue');
  });

  test('the filesystem of a folder is the one mounted deepest above it', () => {
    expect(folderOnFilesystem('/run/media/alice/Blue/a/b', mounts)).toEqual({ uuid: BLUE, path: 'a/b' });
    expect(folderOnFilesystem('/run/media/alice/Blue', mounts)).toEqual({ uuid: BLUE, path: '' });
    expect(folderOnFilesystem('/home/alice', mounts)).toEqual({ uuid: 'ffff0000-1111-2222-3333-444455556666', path: 'home/alice' });
    expect(folderOnFilesystem('/x', [])).toBeUndefined();
  });

  test('a destination’s own place finds it', () => {
    for (const d of [disk('blue', BLUE), files('stick', 'rewind', { filesystem: '1A2B-3C4D' }), files('share', '/mnt/share'), server('srv', 'nas.local')]) {
      expect(destinationAt([d], placeOf(d), mounts)).toBe(d);
    }
  });
});

describe('words on screen', () => {
  test.each([
    'The backup disk /dev/loop3 is not connected.',
    'There is no backup 20261204T113812Z of home on Blue USB Disk.',
    'destinations[0].kind: Invalid discriminator value. Expected "btrfs" | "files" | "ssh"',
    'hostName: must be a host name without "/"; found "a/b"',
    '/data is on btrfs but is not a subvolume of its own.',
    'Receiving the backup failed: ERROR: empty stream.',
    'btrfs send exited with status 1.',
    'Name it with --source.',
    'The disk 0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1 is not connected.',
    'write failed: ENOSPC',
    'Reading the snapshot failed: stderr was empty',
  ])('%s is not for a screen', (text) => {
    expect(isPlainText(text)).toBe(false);
  });

  test.each([
    'The backup disk Blue USB Disk is not connected. Connect the backup disk, then try again.',
    'The backup disk stopped responding during the backup. Connect the backup disk, then try again.',
    'The server nas.local (port 22) did not show its SSH key.',
    'Free space on the backup disk, or use a larger one.',
    'Copying /home to EXTERNAL DISK failed.',
  ])('%s is', (text) => {
    expect(isPlainText(text)).toBe(true);
  });
});
