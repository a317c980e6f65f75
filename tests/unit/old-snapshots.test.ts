import { describe, expect, test } from '@jest/globals';
import { validateConfig } from '../../src/core/config';
import { configForFound, foundDestination, foundId, shapeDiscovery, type FoundDisk } from '../../src/core/discovery';
import { RewindError } from '../../src/core/errors';
import { fstabTargets, hostNameFrom, refuseKeepingOldSnapshots, snapshotFinds } from '../../src/core/old-snapshots';
import { describeDiscovery } from '../../src/helper/cli/format/discover';

const OLD: FoundDisk = { uuid: '5d2f7a10-7f5e-4c3b-9a41-2b8c0e6d1f93', name: 'fedora', sizeBytes: 512e9, removable: false };

/** A subvolume list as the filesystem gives it: paths below the top level, and which are read-only. */
const sub = (path: string, readOnly = true) => ({ path, readOnly });

describe('the snapshots an old system disk kept', () => {
  const listed = [
    sub('root', false),
    sub('home', false),
    sub('.rewind/home/20250301T080000Z'),
    sub('.rewind/home/20250302T080000Z'),
    sub('.rewind/root/20250302T080000Z'),
    // Named like a snapshot, but writable: not a point in time.
    sub('.rewind/home/20250303T080000Z', false),
    // Not snapshot names, or not where a run puts its snapshots.
    sub('.rewind/home/latest'),
    sub('.rewind/home/20250231T080000Z'),
    sub('.rewind/20250302T080000Z'),
    sub('.rewind/home/20250302T080000Z/nested'),
    sub('backups/.rewind/home/20250302T080000Z'),
    sub('.rewind/-x/20250302T080000Z'),
  ];

  test('are the read-only subvolumes with snapshot names, one find per subvolume folder', () => {
    const finds = snapshotFinds(OLD, listed, 'oldbox');
    expect(finds.map((f) => ({ kind: f.kind, path: f.path, host: f.host, dirName: f.dirName, names: f.names }))).toEqual([
      { kind: 'snapshots', path: '.rewind', host: 'oldbox', dirName: 'home', names: ['20250301T080000Z', '20250302T080000Z'] },
      { kind: 'snapshots', path: '.rewind', host: 'oldbox', dirName: 'root', names: ['20250302T080000Z'] },
    ]);
  });

  test('are one entry of their own kind, home first, with the newest time of any folder', () => {
    const [found, ...more] = shapeDiscovery(snapshotFinds(OLD, listed, 'oldbox'));
    expect(more).toEqual([]);
    expect(found).toMatchObject({ id: foundId('snapshots', OLD.uuid, '.rewind', 'oldbox'), kind: 'snapshots', host: 'oldbox', encrypted: false, newest: '2025-03-02T08:00:00.000Z' });
    expect(found.folders.map((f) => [f.folder, f.points])).toEqual([
      ['/home', ['20250301T080000Z', '20250302T080000Z']],
      ['/', ['20250302T080000Z']],
    ]);
    // No size: the space the old system uses says nothing of its snapshots.
    expect(found.bytes).toBeUndefined();
    expect(found.diskUsedBytes).toBeUndefined();
  });

  test('whose computer is unknown are still listed, and told apart from backups of a computer with no name', () => {
    const [found] = shapeDiscovery(snapshotFinds(OLD, listed, ''));
    expect(found).toMatchObject({ kind: 'snapshots', host: '' });
    // Backups are filed under a computer's name: none, and they are not Rewind's.
    expect(shapeDiscovery([{ disk: OLD, kind: 'btrfs', path: '', host: '', dirName: 'home', names: ['20250301T080000Z'] }])).toEqual([]);
  });

  test('are read where they are, in the snapshots folder, by a configuration that never backs up there', () => {
    const [found] = shapeDiscovery(snapshotFinds(OLD, listed, 'oldbox'));
    expect(foundDestination(found)).toEqual({ id: found.id, kind: 'btrfs', filesystem: OLD.uuid, path: '.rewind', label: 'fedora', enabled: true });
    expect(validateConfig(configForFound(found)).ok).toBe(true);
    expect(() => refuseKeepingOldSnapshots(found)).toThrow(RewindError);
    expect(() => refuseKeepingOldSnapshots(found)).toThrow(/snapshots that an earlier installation kept on its own disk, not backups.*Nothing was saved/);
    expect(() => refuseKeepingOldSnapshots({ ...found, kind: 'btrfs' })).not.toThrow();
  });
});

describe("the old computer's name, from its /etc/hostname", () => {
  test.each([
    ['oldbox\n', 'oldbox'],
    ['  laptop.example.org  \nsecond line\n', 'laptop.example.org'],
    ['', ''],
    [undefined, ''],
    ['-dash\n', ''],
    ['two words\n', ''],
    ['a/b\n', ''],
    ['\u001b[31mred\n', ''],
    [`${'x'.repeat(65)}\n`, ''],
  ])('%j names %j', (text, name) => {
    expect(hostNameFrom(text)).toBe(name);
  });
});

describe("the folders this system's /etc/fstab mounts (its own filesystems, whose snapshots are no old computer's)", () => {
  test('are the second field of each entry, unescaped; comments, blank lines and swap are none', () => {
    const fstab = [
      '# /etc/fstab: static file system information.',
      'UUID=5d2f7a10-7f5e-4c3b-9a41-2b8c0e6d1f93 /                       btrfs   subvol=root,compress=zstd:1 0 0',
      'UUID=5d2f7a10-7f5e-4c3b-9a41-2b8c0e6d1f93 /home                   btrfs   subvol=home,compress=zstd:1 0 0',
      '',
      '   LABEL=data\t/srv/my\\040data btrfs defaults 0 0',
      'UUID=0e2f-11aa none swap defaults 0 0',
      'broken-line',
    ].join('\n');
    expect(fstabTargets(fstab)).toEqual(['/', '/home', '/srv/my data']);
  });
});

describe('discover says what such a find is', () => {
  const listed = [sub('.rewind/home/20250301T080000Z'), sub('.rewind/home/20250302T080000Z')];

  test('by the computer it names', () => {
    const found = shapeDiscovery(snapshotFinds(OLD, listed, 'oldbox'));
    const text = describeDiscovery({ found, disksSearched: 1, problems: [] });
    expect(text).toContain("oldbox, on fedora (snapshots kept on the old computer's own disk: they can be restored from, not backed up to)");
    expect(text).toContain('/home: 2 restore points, 2025-03-01 08:00 UTC to 2025-03-02 08:00 UTC (newest 20250302T080000Z)');
    expect(text).toContain(`id: ${found[0].id}`);
  });

  test('as an earlier installation when it names none', () => {
    const text = describeDiscovery({ found: shapeDiscovery(snapshotFinds(OLD, listed, '')), disksSearched: 1, problems: [] });
    expect(text).toMatch(/^An earlier installation, on fedora \(snapshots kept/);
  });
});
