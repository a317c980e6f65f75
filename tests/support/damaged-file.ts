import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sh } from './exec';
import { unmount } from './loop-btrfs';

/** Inverts the byte in the middle of `file`; doing it twice puts the file back as it was. */
export function flipMiddleByte(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    const at = Math.floor(fstatSync(fd).size / 2);
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0] ^= 0xff;
    writeSync(fd, byte, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `fn` with one byte flipped in the first backup file (by name: the
 * oldest full backup, which every point of its chain replays) of a folder of
 * stream files on the unmounted disk `device`, at `folder` below its top;
 * puts the byte back after. Answers the file's name and what `fn` gave.
 */
export async function withDamagedBackupFile<T>(device: string, mountPoint: string, folder: string, fn: () => T | Promise<T>): Promise<{ file: string; result: T }> {
  mkdirSync(mountPoint, { recursive: true });
  const flipFirst = (): string => {
    sh('mount', [device, mountPoint]);
    try {
      const dir = path.join(mountPoint, folder);
      const file = readdirSync(dir).filter((name) => name !== 'manifest.json' && !name.startsWith('.')).sort()[0];
      flipMiddleByte(path.join(dir, file));
      return file;
    } finally {
      unmount(mountPoint);
    }
  };
  const file = flipFirst();
  try {
    return { file, result: await fn() };
  } finally {
    flipFirst();
  }
}
