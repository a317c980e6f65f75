import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyFailure, ownedCopy } from '../../src/helper/restore/owned-copy';

/**
 * A whole restore's last step makes the copy to swap in, and gives its files
 * to their owners here: only a failure of the owners step may say the files
 * could not be given to their owners. A failed snapshot in a restore named
 * by path (--backup), where no owner changes, names its own cause.
 */
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('what a failed copy of a whole restore says', () => {
  let holder: string;
  beforeEach(async () => {
    // Root's, mode 700, under the sticky /tmp: a folder the owners may be given in.
    holder = await mkdtemp(path.join(tmpdir(), 'rewind-copy-failure-'));
  });
  afterEach(() => rm(holder, { recursive: true, force: true }));

  async function failure(work: Promise<unknown>): Promise<Error> {
    const error = await work.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    return copyFailure(error);
  }

  test('a snapshot that fails in a restore whose owners stay names the snapshot, not the owners', async () => {
    // A plain folder is no subvolume: btrfs refuses to snapshot it.
    await mkdir(path.join(holder, 'received'));
    const error = await failure(ownedCopy(path.join(holder, 'received'), path.join(holder, 'home.restored'), undefined));
    expect(error.message).toMatch(/^The restored copy to use could not be made from the received backup: btrfs subvolume snapshot .* failed/);
    expect(error.message).not.toContain('owners');
    expect(error.message).toContain('Nothing was replaced.');
  });

  test('a failure while looking at whose files are whose says the files could not be given to their owners', async () => {
    const error = await failure(ownedCopy(path.join(holder, 'gone'), path.join(holder, 'home.restored'), '/home'));
    expect(error.message).toMatch(/^The restored files could not be given to their owners on this computer: ENOENT/);
    expect(error.message).toContain('Nothing was replaced.');
  });
});
