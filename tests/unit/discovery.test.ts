import { describe, expect, test } from '@jest/globals';
import { validateConfig } from '../../src/core/config';
import {
  checkFoundServer,
  configForFound,
  folderOfDirName,
  foundDestination,
  foundFolder,
  foundId,
  foundReadInPlace,
  isFoundId,
  isOnServer,
  shapeDiscovery,
  type FoundDisk,
  type RawFind,
} from '../../src/core/discovery';

const BLUE: FoundDisk = { uuid: '0b0e2bb4-9c8a-4d35-a1a5-33b0c8a7c0e1', name: 'Blue USB Disk', sizeBytes: 1e12, removable: true };
const STICK: FoundDisk = { uuid: '1A2B-3C4D', name: 'SanDisk Ultra', sizeBytes: 64e9, removable: true };

const find = (extra: Partial<RawFind>): RawFind => ({ disk: BLUE, kind: 'btrfs', path: 'rewind', host: 'laptop', dirName: 'home', names: ['20240503T101500Z'], ...extra });

describe('what a folder name stands for on the computer', () => {
  test.each([
    ['home', '/home'],
    ['@home', '/home'],
    ['root', '/'],
    ['@', '/'],
    ['var', '/var'],
    ['var%2Flib%2Fmachines', '/var/lib/machines'],
    ['100%25', '/100%'],
  ])('%s is %s', (dirName, folder) => {
    expect(folderOfDirName(dirName)).toBe(folder);
  });
});

describe('shaping what the helper read', () => {
  test.each<[string, RawFind[], Array<{ host: string; folders: string[]; oldest: string; newest: string; bytes?: number; encrypted: boolean }>]>([
    ['nothing found is an empty list', [], []],
    [
      'one computer with two folders is one entry, home first, spanning both folders’ points',
      [find({ dirName: 'root', names: ['20240101T000000Z'] }), find({ names: ['20240605T080000Z', '20240503T101500Z'] })],
      [{ host: 'laptop', folders: ['/home', '/'], oldest: '2024-01-01T00:00:00.000Z', newest: '2024-06-05T08:00:00.000Z', encrypted: false }],
    ],
    [
      'two computers on one disk are two entries, the newest backups first',
      [find({ host: 'old-desktop', names: ['20230101T000000Z'] }), find({ host: 'laptop' })],
      [
        { host: 'laptop', folders: ['/home'], oldest: '2024-05-03T10:15:00.000Z', newest: '2024-05-03T10:15:00.000Z', encrypted: false },
        { host: 'old-desktop', folders: ['/home'], oldest: '2023-01-01T00:00:00.000Z', newest: '2023-01-01T00:00:00.000Z', encrypted: false },
      ],
    ],
    [
      'names that are not restore points are left out, and a folder with none is no find',
      [find({ names: ['notes', '20240503T101500Z', '20240503T101500Z_2', '20240231T000000Z'] }), find({ dirName: 'var', names: ['lost+found'] })],
      [{ host: 'laptop', folders: ['/home'], oldest: '2024-05-03T10:15:00.000Z', newest: '2024-05-03T10:15:00.000Z', encrypted: false }],
    ],
    [
      'a computer name that is no host name (from a handled disk) is left out',
      [find({ host: '../etc' }), find({ host: '-rf' }), find({ host: 'a b' }), find({ dirName: 'a/b' })],
      [],
    ],
    [
      'stream files give their size and whether they are encrypted; a folder of unknown size makes the sum unknown',
      [find({ disk: STICK, kind: 'files', bytes: 1000, encrypted: true }), find({ disk: STICK, kind: 'files', dirName: 'root', bytes: 500 })],
      [{ host: 'laptop', folders: ['/home', '/'], oldest: '2024-05-03T10:15:00.000Z', newest: '2024-05-03T10:15:00.000Z', bytes: 1500, encrypted: true }],
    ],
  ])('%s', (_name, finds, expected) => {
    const found = shapeDiscovery(finds).map((f) => ({
      host: f.host,
      folders: f.folders.map((x) => x.folder),
      oldest: f.oldest,
      newest: f.newest,
      ...(f.bytes !== undefined ? { bytes: f.bytes } : {}),
      encrypted: f.encrypted,
    }));
    expect(found).toEqual(expected);
  });

  test('points are oldest first, each once', () => {
    const [found] = shapeDiscovery([find({ names: ['20240605T080000Z', '20240503T101500Z_2', '20240503T101500Z', '20240605T080000Z'] })]);
    expect(found.folders[0].points).toEqual(['20240503T101500Z', '20240503T101500Z_2', '20240605T080000Z']);
  });

  test('the same place and computer keeps its id; another place, computer or kind gets another', () => {
    const id = foundId('btrfs', BLUE.uuid, 'rewind', 'laptop');
    expect(isFoundId(id)).toBe(true);
    expect(shapeDiscovery([find({})])[0].id).toBe(id);
    const others = [foundId('files', BLUE.uuid, 'rewind', 'laptop'), foundId('btrfs', STICK.uuid, 'rewind', 'laptop'), foundId('btrfs', BLUE.uuid, '', 'laptop'), foundId('btrfs', BLUE.uuid, 'rewind', 'desktop')];
    expect(new Set([id, ...others]).size).toBe(5);
    expect(isFoundId('usb')).toBe(false);
  });
});

describe('reading and keeping a found entry', () => {
  test('a btrfs disk becomes a btrfs destination in the same folder, named after the disk', () => {
    const [found] = shapeDiscovery([find({})]);
    expect(foundDestination(found)).toEqual({ id: found.id, kind: 'btrfs', filesystem: BLUE.uuid, path: 'rewind', label: 'Blue USB Disk', enabled: true });
  });

  test('stream files become a files destination that encrypts when they were encrypted', () => {
    const [found] = shapeDiscovery([find({ disk: STICK, kind: 'files', encrypted: true })]);
    expect(foundDestination(found)).toMatchObject({ kind: 'files', filesystem: STICK.uuid, path: 'rewind', encrypt: true });
  });

  test('the configuration files new backups under the old computer’s name, and is valid', () => {
    for (const raw of [find({}), find({ disk: STICK, kind: 'files', path: '' })]) {
      const [found] = shapeDiscovery([raw]);
      const config = configForFound(found);
      expect(config.hostName).toBe('laptop');
      expect(config.sources).toEqual([{ path: '/home' }]);
      expect(validateConfig(JSON.parse(JSON.stringify(config)))).toEqual({ ok: true, config });
    }
  });

  test('a server find becomes an ssh destination at the address it was found at, its store by the find’s kind, and is valid', () => {
    const server: FoundDisk = { uuid: 'ssh:alice@NAS.home:2222', name: 'NAS.home', sizeBytes: 4e12, removable: false, server: { host: 'NAS.home', port: 2222, user: 'alice' } };
    const [received] = shapeDiscovery([find({ disk: server, path: '' })]);
    const [files] = shapeDiscovery([find({ disk: server, kind: 'files', path: '', encrypted: true })]);
    expect(isOnServer(received)).toBe(true);
    expect(foundDestination(received)).toEqual({ id: received.id, kind: 'ssh', host: 'nas.home', port: 2222, user: 'alice', path: '/', label: 'NAS.home', enabled: true, compression: 'auto', store: 'btrfs' });
    expect(foundDestination(files)).toMatchObject({ id: files.id, kind: 'ssh', host: 'nas.home', store: 'files', encrypt: true });
    expect(foundReadInPlace(received)).toBe(false);
    expect(foundReadInPlace(shapeDiscovery([find({})])[0])).toBe(true);
    for (const found of [received, files]) {
      const config = configForFound(found);
      expect(validateConfig(JSON.parse(JSON.stringify(config)))).toEqual({ ok: true, config });
    }
  });

  test('a server address that is not one is refused before anything connects', () => {
    for (const bad of [{ host: '-oProxyCommand=x', port: 22, user: 'alice' }, { host: 'nas', port: 0, user: 'alice' }, { host: 'nas', port: 22, user: '-x' }]) {
      expect(checkFoundServer(bad)).toBeDefined();
      const [found] = shapeDiscovery([find({ disk: { ...BLUE, uuid: 'ssh:x', server: bad }, path: '' })]);
      expect(() => foundDestination(found)).toThrow(/not an address/);
    }
    expect(checkFoundServer({ host: '127.0.0.1', port: 22, user: 'root' })).toBeUndefined();
  });

  test('the folder to restore is home unless another is named', () => {
    const [found] = shapeDiscovery([find({ dirName: 'root' }), find({})]);
    expect(foundFolder(found)?.dirName).toBe('home');
    expect(foundFolder(found, 'root')?.folder).toBe('/');
    expect(foundFolder(found, 'nope')).toBeUndefined();
  });
});
