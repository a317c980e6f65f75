import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup';
import { sh } from './exec';
import { mountLoop, type LoopBtrfs } from './loop-btrfs';

/**
 * The switch `restore-subvolume` prints, done on the new disk's top level
 * `top`: the current `home` steps aside, the restored subvolume `newPath`
 * becomes `home`, mounted at <dir>/new-home, and the config at `configPath`
 * backs that up from now on. Returns the new home's mount point.
 */
export function switchToRestoredHome(cleanup: Cleanup, disk: LoopBtrfs, top: string, newPath: string, configPath: string): string {
  sh('mv', [path.join(top, 'home'), path.join(top, 'home.old')]);
  sh('mv', [path.join(top, newPath), path.join(top, 'home')]);
  const newHome = path.join(path.dirname(top), 'new-home');
  mountLoop(cleanup, disk, newHome, 'home');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify({ ...config, sources: [{ path: newHome }] }));
  return newHome;
}
