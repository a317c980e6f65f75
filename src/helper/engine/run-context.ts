import { hostname } from 'node:os';
import type { Config } from '../../core/config';
import { loadConfig } from '../config/config-file';
import { MountSet, releaseStaleMounts } from '../system/mount-set';
import { acquireRunLock } from './run-lock';

/** What the maintenance commands (list, prune, clean) share with a run. */
export interface RunContext {
  config: Config;
  host: string;
  mounts: MountSet;
  /** Where the helper's SSH key and pinned host keys are (<state>/ssh). */
  stateDir: string;
}

export interface ContextOptions {
  configPath: string;
  stateDir: string;
  runtimeDir: string;
}

/**
 * Loads the config, takes the run lock when the command changes anything,
 * and always releases the mounts and the lock, whatever `fn` does.
 */
export async function withRunContext<T>(options: ContextOptions, exclusive: boolean, fn: (context: RunContext) => Promise<T>): Promise<T> {
  const config = await loadConfig(options.configPath);
  const unlock = exclusive ? await acquireRunLock(options.stateDir) : undefined;
  // A reader runs beside a backup: its mount points must not be the backup's.
  const mounts = exclusive ? new MountSet(options.runtimeDir) : MountSet.forReader(options.runtimeDir, 'read');
  try {
    if (exclusive) await releaseStaleMounts(options.runtimeDir);
    return await fn({ config, host: config.hostName ?? hostname(), mounts, stateDir: options.stateDir });
  } finally {
    await mounts.releaseAll();
    await unlock?.();
  }
}
