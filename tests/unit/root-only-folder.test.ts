import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { chmod, chown, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownedCopy } from '../../src/helper/restore/owned-copy';
import { rootOnlyProblem } from '../../src/helper/restore/root-only-folder';

/**
 * A restored home's owners are given in a copy walked by path as root: the
 * folder holding it must be root's alone, and nobody but root may swap it
 * for a link. Real folders; chown needs root.
 */
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;
const NOBODY = 65534;

asRoot('the folder a restored home is given its owners in', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'rewind-root-only-'));
    await chmod(base, 0o755);
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  /** <base>/top/.rewind/home with the received home in it, as restore-subvolume lays it out. */
  async function holder(mode: number, uid = 0): Promise<string> {
    const dir = path.join(base, 'top', '.rewind', 'home');
    await mkdir(path.join(dir, '20261204T120000Z', 'alice'), { recursive: true, mode: 0o755 });
    await chmod(dir, mode);
    await chown(dir, uid, 0);
    return dir;
  }

  test('root’s alone, mode 700: used', async () => {
    expect(await rootOnlyProblem(await holder(0o700))).toBeUndefined();
  });

  test('one others may enter is refused before anything is copied', async () => {
    const dir = await holder(0o755);
    await expect(ownedCopy(path.join(dir, '20261204T120000Z'), path.join(base, 'top', 'home.restored'), '/home')).rejects.toThrow(
      `The restored files are not given to their owners here: ${dir} can be entered by users other than root (mode 755).`,
    );
    await expect(stat(path.join(base, 'top', 'home.restored'))).rejects.toThrow('ENOENT');
    expect(await rootOnlyProblem(await holder(0o750))).toContain('mode 750');
  });

  test('one of another user is refused, even at mode 700', async () => {
    const dir = await holder(0o700, NOBODY);
    await expect(ownedCopy(path.join(dir, '20261204T120000Z'), path.join(base, 'top', 'home.restored'), '/home')).rejects.toThrow(
      `${dir} is owned by user ${NOBODY}, not by root`,
    );
  });

  test('a folder above it that another user may change is refused: the holder could be swapped for a link', async () => {
    const dir = await holder(0o700);
    await chown(path.dirname(dir), NOBODY, NOBODY);
    expect(await rootOnlyProblem(dir)).toBe(`the folder ${path.dirname(dir)} above ${dir} is owned by user ${NOBODY}, not by root`);
  });

  test('a link in its place is refused, even to a folder of root’s alone', async () => {
    const real = await holder(0o700);
    const link = path.join(base, 'top', '.rewind', 'linked');
    await symlink(real, link);
    expect(await rootOnlyProblem(link)).toBe(`${link} is a symbolic link, not a folder`);
  });
});
