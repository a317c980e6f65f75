import { mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../core/config';
import { RewindError } from '../../core/errors';
import { writeFileAtomic } from '../system/atomic-write';
import { checkConfigFolders, openTrustedConfig, readBounded } from './config-trust';

/** The validator (zod and the schemas), loaded only when a configuration is to be checked. */
const validator = () => import('../../core/config');

/** Reads and checks the configuration, once it is known to be root's alone (./config-trust). */
export async function loadConfig(file: string): Promise<Config> {
  const unreadable = (error: unknown) => new RewindError('InvalidConfig', `Could not read ${file}: ${(error as Error).message}.`);
  let handle: FileHandle;
  try {
    handle = await openTrustedConfig(file);
  } catch (error) {
    if (error instanceof RewindError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RewindError('NotConfigured', `There is no configuration at ${file}.`);
    }
    throw unreadable(error);
  }
  try {
    const text = await readBounded(handle, file).catch((error: unknown) => {
      throw error instanceof RewindError ? error : unreadable(error);
    });
    const result = (await validator()).parseConfig(text);
    if (!result.ok) {
      throw new RewindError('InvalidConfig', `The configuration ${file} is not valid: ${result.problems.join('; ')}.`);
    }
    return result.config;
  } finally {
    await handle.close();
  }
}

/**
 * Validates and writes the configuration atomically: readers (a run that
 * starts at that moment) see the old file or the new one, never a mix, and
 * an invalid config is refused before anything is written. `beforeWrite`
 * gets the valid configuration first (what it needs, such as a new
 * destination's key, exists before the file names it).
 */
export async function saveConfig(file: string, config: unknown, beforeWrite?: (valid: Config) => Promise<void>): Promise<Config> {
  const result = (await validator()).validateConfig(config);
  if (!result.ok) throw new RewindError('InvalidConfig', `The new configuration is not valid: ${result.problems.join('; ')}.`);
  await beforeWrite?.(result.config);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  // Root writes here by name: in a folder others can change, they could put a link where the file is written.
  await checkConfigFolders(file);
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o644);
  return result.config;
}
