import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackupFixture } from './backup-fixture';
import { sh } from './exec';
import { createLoopBtrfs, mountLoop, unmount, type LoopBtrfs } from './loop-btrfs';

/** What a filesystem holds at its top: the entries there and its subvolumes (paths below the top). */
export interface TopLook {
  entries: string[];
  subvolumes: string[];
}

export interface FreshInstall {
  fresh: LoopBtrfs;
  /** <root>/home, the fresh "home" subvolume mounted. */
  home: string;
  /** The filesystem seen from its top, mounted for the look and unmounted again. */
  look(): TopLook;
  /** The restart: <root>/home mounted again by name, so a swapped-in home is the one seen. */
  restart(): void;
}

/**
 * A fresh install's disk: a new btrfs filesystem whose subvolume "home",
 * mounted at <root>/home (the helper's REWIND_TARGET_ROOT), holds only what
 * the installer made.
 */
export function freshInstall(fx: BackupFixture, root: string, name = 'fresh'): FreshInstall {
  const fresh = createLoopBtrfs(fx.cleanup, fx.dir, name, 256);
  const top = path.join(fx.dir, `${name}-top`);
  mountLoop(fx.cleanup, fresh, top);
  sh('btrfs', ['subvolume', 'create', path.join(top, 'home')]);
  unmount(top);
  const home = path.join(root, 'home');
  mountLoop(fx.cleanup, fresh, home, 'home');
  writeFileSync(path.join(home, 'made-by-the-installer.txt'), 'fresh\n');
  const look = (): TopLook => {
    mkdirSync(top, { recursive: true });
    mountLoop(fx.cleanup, fresh, top);
    try {
      const subvolumes = sh('btrfs', ['subvolume', 'list', '-o', top])
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.replace(/^.* path /, ''));
      return { entries: readdirSync(top).sort(), subvolumes };
    } finally {
      unmount(top);
    }
  };
  const restart = () => {
    unmount(home);
    mountLoop(fx.cleanup, fresh, home, 'home');
  };
  return { fresh, home, look, restart };
}
