import { describe, expect, test } from '@jest/globals';
import { parseMountInfo } from '../../src/helper/system/mountinfo';

// Lines as a Fedora Workstation has them (btrfs root and /home subvolumes), plus odd ones.
const sample = [
  '24 1 0:22 /root / rw,relatime shared:1 - btrfs /dev/vda3 rw,seclabel,compress=zstd:1,space_cache=v2,subvolid=257,subvol=/root',
  '60 24 0:22 /home /home rw,relatime shared:31 - btrfs /dev/vda3 rw,seclabel,compress=zstd:1,space_cache=v2,subvolid=256,subvol=/home',
  '61 24 259:1 / /boot rw,relatime shared:33 - ext4 /dev/vda2 rw,seclabel',
  '90 60 7:0 / /run/media/alice/My\\040Disk rw,nosuid,nodev - btrfs /dev/loop0 rw,space_cache=v2,subvolid=5,subvol=/',
  '91 24 0:50 / /proc rw,nosuid,nodev,noexec,relatime shared:12 master:3 - proc proc rw',
  '',
].join('\n');

describe('parseMountInfo', () => {
  test('reads target, root, type and source, with optional fields of any number', () => {
    expect(parseMountInfo(sample)).toEqual([
      { root: '/root', target: '/', fstype: 'btrfs', source: '/dev/vda3' },
      { root: '/home', target: '/home', fstype: 'btrfs', source: '/dev/vda3' },
      { root: '/', target: '/boot', fstype: 'ext4', source: '/dev/vda2' },
      { root: '/', target: '/run/media/alice/My Disk', fstype: 'btrfs', source: '/dev/loop0' },
      { root: '/', target: '/proc', fstype: 'proc', source: 'proc' },
    ]);
  });

  test('skips lines it cannot read instead of guessing', () => {
    expect(parseMountInfo('garbage\n1 2 3\n')).toEqual([]);
  });
});
