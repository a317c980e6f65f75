import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseConfig, validateConfig, type Config } from '../core/config';
import { RewindError } from '../core/errors';
import { writeFileAtomic } from './atomic-write';

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RewindError('NotConfigured', `There is no configuration at ${file}.`);
    }
    throw new RewindError('InvalidConfig', `Could not read ${file}: ${(error as Error).message}.`);
  }
  const result = parseConfig(text);
  if (!result.ok) {
    throw new RewindError('InvalidConfig', `The configuration ${file} is not valid: ${result.problems.join('; ')}.`);
  }
  return result.config;
}

/**
 * Validates and writes the configuration atomically: readers (a run that
 * starts at that moment) see the old file or the new one, never a mix, and
 * an invalid config is refused before anything is written.
 */
export async function saveConfig(file: string, config: unknown): Promise<Config> {
  const result = validateConfig(config);
  if (!result.ok) throw new RewindError('InvalidConfig', `The new configuration is not valid: ${result.problems.join('; ')}.`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o644);
  return result.config;
}
