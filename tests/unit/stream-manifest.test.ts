import { describe, expect, test } from '@jest/globals';
import { damagedManifestName, isOwnLeftover, partFileName, streamsOfParts } from '../../src/core/stream-manifest';

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

describe('streamsOfParts: the streams a folder of part files describes, for rebuilding a lost list', () => {
  test('groups parts by stream, in order, and tells full, incremental and encrypted apart', () => {
    const files = [
      '20261204T120000Z.incr.btrfs.zst.age.001',
      '20261204T110000Z.full.btrfs.zst.000',
      'manifest.json',
      '20261204T120000Z.incr.btrfs.zst.age.000',
      '.20261204T130000Z.incr.btrfs.zst.000.partial',
      'notes.txt',
      '20261204T110000Z_2.full.btrfs.zst.000',
    ];
    expect(streamsOfParts(files)).toEqual([
      { name: '20261204T120000Z', kind: 'incremental', encrypted: true, files: ['20261204T120000Z.incr.btrfs.zst.age.000', '20261204T120000Z.incr.btrfs.zst.age.001'] },
      { name: '20261204T110000Z', kind: 'full', encrypted: false, files: ['20261204T110000Z.full.btrfs.zst.000'] },
      { name: '20261204T110000Z_2', kind: 'full', encrypted: false, files: ['20261204T110000Z_2.full.btrfs.zst.000'] },
    ]);
  });

  test('a stream with a missing part, or none numbered 000, is left out: it cannot be read whole', () => {
    expect(streamsOfParts(['20261204T110000Z.full.btrfs.zst.000', '20261204T110000Z.full.btrfs.zst.002'])).toEqual([]);
    expect(streamsOfParts(['20261204T110000Z.full.btrfs.zst.001'])).toEqual([]);
  });
});
