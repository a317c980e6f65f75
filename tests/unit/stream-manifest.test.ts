import { describe, expect, test } from '@jest/globals';
import { damagedManifestName, isOwnLeftover, partFileName } from '../../src/core/stream-manifest';

describe('isOwnLeftover: the only names the cleanup of a stream-file folder may delete', () => {
  test.each([
    partFileName({ name: '20261204T150726Z', kind: 'full', encrypted: false }, 0),
    partFileName({ name: '20261204T150726Z_2', kind: 'incremental', encrypted: true }, 12),
    `.${partFileName({ name: '20261204T150726Z', kind: 'full', encrypted: false }, 3)}.partial`,
    '.manifest.json.4242.tmp',
  ])('%s is ours', (name) => expect(isOwnLeftover(name)).toBe(true));

  test.each([
    'manifest.json',
    damagedManifestName('20261204T150727Z'),
    'README.txt',
    '.README.txt.partial',
    '20261204T150726Z.full.btrfs.zst.000.bak',
    '20261204T150726Z.full.btrfs.zst',
    '../20261204T150726Z.full.btrfs.zst.000',
    'x20261204T150726Z.full.btrfs.zst.000',
  ])('%s is not', (name) => expect(isOwnLeftover(name)).toBe(false));
});
