import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../core/config';
import { writeFileAtomic } from '../system/atomic-write';
import { ownBundle } from '../entry/own-bundle';
import { logStateRepair, readProblem } from '../system/state-log';

/**
 * The configuration as this helper last checked it, kept in the state folder
 * so that a run from the timer does not load the validator at all: loading
 * zod and building the schemas is a noticeable share of a run that finds
 * nothing to back up, for a file that changes a few times in its life.
 *
 * The copy holds the checked result (defaults filled in) under a key made of
 * the configuration file's path and identity (device, inode, size,
 * modification and change times to the nanosecond), the SHA-256 of the very
 * text that was checked, and the helper bundle's identity. Any write to the
 * file, an atomic replacement (a new inode), other bytes under the same
 * identity (a disk that changed them, a disk image written back, a state
 * folder restored from another time) or a new helper makes a new key, and
 * the file is checked again: a copy is taken back only for the same text,
 * checked by the same helper. Only a bundled helper keeps a copy: from the
 * sources (the tests) nothing says which validator ran.
 *
 * It is a cache: a copy that is not JSON is logged and replaced.
 *
 * A copy that is not a plain file of ours, or that others may write to, is
 * not read: what it says is trusted as if the validator had said it.
 */
const CHECKED_COPY = 'config-checked.json';

interface CheckedCopy {
  key: string;
  config: Config;
}

/** Where the checked copy of one configuration file is kept, and under which key. */
export interface CheckedCopyPlace {
  stateDir: string;
  key: string;
}

/** The place for the open configuration file `file` whose text is `text`, or undefined when no copy is kept. */
export async function checkedCopyPlace(stateDir: string | undefined, file: string, handle: FileHandle, text: string): Promise<CheckedCopyPlace | undefined> {
  const bundle = ownBundle();
  if (stateDir === undefined || bundle === undefined) return undefined;
  const [c, b] = await Promise.all([handle.stat({ bigint: true }), stat(bundle, { bigint: true })]);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const key = [path.resolve(file), c.dev, c.ino, c.size, c.mtimeNs, c.ctimeNs, 'sha256', sha256, 'helper', b.dev, b.ino, b.size, b.mtimeNs, b.ctimeNs].join(':');
  return { stateDir, key };
}

/** The configuration checked under the place's key, if the state folder holds it. */
export async function readCheckedConfig({ stateDir, key }: CheckedCopyPlace): Promise<Config | undefined> {
  // The file checked is the file read: opened once, not followed if a link, without waiting if a FIFO.
  const handle = await open(path.join(stateDir, CHECKED_COPY), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.uid !== process.geteuid?.() || (info.mode & 0o022) !== 0) return undefined;
    const kept = JSON.parse(await handle.readFile('utf8')) as Partial<CheckedCopy> | null;
    return kept?.key === key && typeof kept.config === 'object' && kept.config !== null ? kept.config : undefined;
  } catch (error) {
    logStateRepair(`the checked copy of the configuration ${path.join(stateDir, CHECKED_COPY)} could not be read (${readProblem(error)}); checking the configuration again.`);
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Keeps `config`, just checked, under the place's key. A copy that cannot be written only means checking again next time. */
export async function keepCheckedConfig({ stateDir, key }: CheckedCopyPlace, config: Config): Promise<void> {
  const copy: CheckedCopy = { key, config };
  await writeFileAtomic(path.join(stateDir, CHECKED_COPY), `${JSON.stringify(copy)}\n`, 0o600).catch(() => undefined);
}
