import { describe, expect, test } from '@jest/globals';
import { destinationsSpaceFreed, noRoomMessage, roomMadeMessage, sizeText, sourceThinnedMessage } from '../../src/core/space-notice';
import type { TransferRecord } from '../../src/core/status';

describe('what a run says about the space it found', () => {
  test.each([
    [0, '0 bytes'],
    [999, '999 bytes'],
    [1000, '1.0 kB'],
    [142_602_240, '142.6 MB'],
    [2_100_000_000, '2.1 GB'],
    [3.5e15, '3.5 PB'],
  ])('%p bytes read as %p', (bytes, text) => {
    expect(sizeText(bytes)).toBe(text);
  });

  test.each([
    [() => roomMadeMessage('Blue USB disk', 1), 'To make room on Blue USB disk, the oldest backup was removed.'],
    [() => roomMadeMessage('Blue USB disk', 2), 'To make room on Blue USB disk, the 2 oldest backups were removed.'],
    [() => sourceThinnedMessage(['/home'], 1), 'The disk that holds /home was running out of space, so the oldest snapshot on it was removed; your backups are kept.'],
    [
      () => sourceThinnedMessage(['/home', '/'], 3),
      'The disk that holds /home, / was running out of space, so the 3 oldest snapshots on it were removed; your backups are kept.',
    ],
    [
      () => noRoomMessage('Blue USB disk', 0, 250_609_664),
      'This backup does not fit in the 250.6 MB free on Blue USB disk, and no older backup there may be removed to make room: delete other files from the disk, or use a larger one.',
    ],
    [
      () => noRoomMessage('Blue USB disk', 2, 142_602_240),
      'This backup does not fit in the 142.6 MB free on Blue USB disk, even after the 2 oldest backups were removed to make room, and the backups left are needed for the next one: delete other files from the disk, or use a larger one.',
    ],
    [
      () => noRoomMessage('nas', 0, 24_117_248, 'server'),
      'This backup does not fit in the 24.1 MB free on the backup server nas, and no older backup there may be removed to make room: whoever looks after the server can free space on the disk that holds its backup folder, or you can add the server again with a folder on a larger disk. The backups already there are kept.',
    ],
    [
      () => noRoomMessage('Server', 1),
      'This backup does not fit on Server, even after the oldest backup was removed to make room, and the backups left are needed for the next one: delete other files from the disk, or use a larger one.',
    ],
  ])('%#', (say, sentence) => {
    expect(say()).toBe(sentence);
  });

  test('one entry per destination, whatever the number of folders that made room there', () => {
    const transfer = (destination: string, removedForSpace?: string[]): TransferRecord => ({
      source: '/home',
      destination,
      snapshot: 'x',
      kind: 'incremental',
      bytes: 0,
      seconds: 0,
      ok: true,
      ...(removedForSpace ? { removedForSpace } : {}),
    });
    const names = new Map([['usb', 'Blue USB disk']]);
    const freed = destinationsSpaceFreed(
      [transfer('usb', ['host/home/a']), transfer('server'), transfer('usb', ['host/root/b', 'host/root/c'])],
      (id) => names.get(id) ?? id,
    );
    expect(freed).toEqual([
      {
        side: 'destination',
        destination: 'usb',
        removed: ['host/home/a', 'host/root/b', 'host/root/c'],
        message: 'To make room on Blue USB disk, the 3 oldest backups were removed.',
      },
    ]);
    expect(destinationsSpaceFreed([transfer('usb')], (id) => id)).toEqual([]);
  });
});
