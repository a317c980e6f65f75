import { readFile } from 'node:fs/promises';
import { parseConfig, type Config } from '../core/config';
import { RewindError } from '../core/errors';

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
