import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACTIONS, APP_ID } from '../../src/core/ids';
import { bundleInto } from './bundle';
import { Cleanup } from './cleanup';
import { sh } from './exec';
import { createLoopBtrfs, mountHomeSubvolume, unmount, type LoopBtrfs } from './loop-btrfs';
import { REPO, startSystemBus, type PolkitRule, type SystemBus } from './system-bus';
import { createNamedUser, createTestUser, type TestUser } from './test-user';

/**
 * Everything a system test of Rewind needs, real and private to the test:
 * a source btrfs filesystem whose "home" subvolume is mounted like Fedora's
 * /home, an empty btrfs backup disk, a config naming both, a freshly built
 * helper and app, a private system bus with polkitd, and two users: one that
 * polkit allows to back up and one that it denies.
 */
export interface BackupFixture {
  dir: string;
  cleanup: Cleanup;
  dist: string;
  home: string;
  source: LoopBtrfs;
  destination: LoopBtrfs;
  configPath: string;
  stateDir: string;
  runtimeDir: string;
  hostName: string;
  allowed: TestUser;
  denied: TestUser;
  bus: SystemBus;
  helperCli: (args: string[]) => string[];
  callHelper: string;
}

export function writeSampleFiles(home: string): void {
  mkdirSync(path.join(home, 'alice/Documents'), { recursive: true });
  writeFileSync(path.join(home, 'alice/Documents/report.txt'), 'Quarterly report\n'.repeat(200));
  writeFileSync(path.join(home, 'alice/Documents/notes.md'), '# Notes\n- buy milk\n');
  mkdirSync(path.join(home, 'alice/Pictures'), { recursive: true });
  writeFileSync(path.join(home, 'alice/Pictures/holiday.raw'), Buffer.alloc(3 * 1024 * 1024, 7));
  writeFileSync(path.join(home, 'alice/.bashrc'), 'export EDITOR=nano\n', { mode: 0o600 });
  sh('ln', ['-s', 'Documents/report.txt', path.join(home, 'alice/latest-report')]);
  sh('setfattr', ['-n', 'user.rewind.tag', '-v', 'important', path.join(home, 'alice/Documents/report.txt')]);
}

export interface FixtureOptions {
  /** Start the private system bus with polkitd (default true). */
  withBus?: boolean;
  /** Size of the backup disk (default 256 MiB). */
  destinationMiB?: number;
  /** Size of the source disk (default 256 MiB). */
  sourceMiB?: number;
  /** How long the activated helper waits for a call before it exits (default 60 s). */
  idleSeconds?: number;
  /** polkit rules checked before the fixture's own (which allow everything to `allowed`). */
  extraRules?: (allowed: TestUser, denied: TestUser) => PolkitRule[];
  /** Environment of the helper the bus activates (`NAME=value`), as systemd's unit would set it. */
  helperEnv?: string[];
  /**
   * A scene in place of the tests' names (the metainfo's screenshots): the
   * backup disk's label, the computer's name, the allowed user's exact name,
   * the temporary folder's prefix and the files of the home.
   */
  scene?: { diskLabel: string; hostName: string; userName: string; dirPrefix: string; writeFiles: (home: string) => void };
}

export async function createBackupFixture(options: FixtureOptions = {}): Promise<BackupFixture> {
  const cleanup = new Cleanup();
  const scene = options.scene;
  const dir = mkdtempSync(path.join(os.tmpdir(), scene?.dirPrefix ?? 'rewind-test-'));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  try {
    const dist = bundleInto(dir);
    // As installed: the native modules (@node-rs/crc32) next to the bundle.
    symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    const callHelper = path.join(dir, 'call-helper.js');
    copyFileSync(path.join(REPO, 'tests/support/call-helper.js'), callHelper);

    const source = createLoopBtrfs(cleanup, dir, 'source', options.sourceMiB);
    const home = mountHomeSubvolume(cleanup, source, dir);
    (scene?.writeFiles ?? writeSampleFiles)(home);

    const destination = createLoopBtrfs(cleanup, dir, 'backup-disk', options.destinationMiB);
    const hostName = scene?.hostName ?? 'testhost';
    const configPath = path.join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        version: 1,
        hostName,
        sources: [{ path: home }],
        destinations: [{ id: 'usb', kind: 'btrfs', filesystem: destination.uuid, label: scene?.diskLabel ?? 'Test backup disk' }],
      }),
    );
    const stateDir = path.join(dir, 'state');
    const runtimeDir = path.join(dir, 'run');
    const helperCli = (args: string[]) => [
      process.execPath,
      path.join(dist, 'helper/rewind-helper.cjs'),
      ...args,
      '--config', configPath,
      '--state-dir', stateDir,
      '--runtime-dir', runtimeDir,
    ];

    const allowed = scene ? createNamedUser(cleanup, scene.userName) : createTestUser(cleanup, 'rwa');
    const denied = createTestUser(cleanup, 'rwd');
    const bus =
      options.withBus === false
        ? (undefined as unknown as SystemBus)
        : await startSystemBus(cleanup, dir, {
            helperCommand: [...(options.helperEnv?.length ? ['/usr/bin/env', ...options.helperEnv] : []), ...helperCli(['daemon', '--idle-seconds', String(options.idleSeconds ?? 60)])],
            rules: [
              ...(options.extraRules?.(allowed, denied) ?? []),
              { user: allowed.name, action: `${APP_ID}.`, result: 'YES' },
              { user: denied.name, action: ACTIONS.runBackup, result: 'NO' },
            ],
          });
    return { dir, cleanup, dist, home, source, destination, configPath, stateDir, runtimeDir, hostName, allowed, denied, bus, helperCli, callHelper };
  } catch (error) {
    await cleanup.run().catch((e: Error) => console.error(e.message));
    throw error;
  }
}

/** Mounts the filesystem's top level read-only for inspection; the cleanup unmounts it. */
export function inspect(fixture: BackupFixture, fs: LoopBtrfs, name: string): string {
  const target = path.join(fixture.dir, `inspect-${name}`);
  mkdirSync(target, { recursive: true });
  sh('mount', ['-o', 'ro,subvolid=5', fs.device, target]);
  fixture.cleanup.add(`unmount ${target}`, () => unmount(target));
  return target;
}

/** Replaces the fixture's configuration: its source, these destinations, and `extra` top-level fields. */
export function writeFixtureConfig(fixture: BackupFixture, destinations: object[], extra: Record<string, unknown> = {}): void {
  writeFileSync(fixture.configPath, JSON.stringify({ version: 1, hostName: fixture.hostName, sources: [{ path: fixture.home }], destinations, ...extra }));
}

/** A local snapshot of home by name, through the source's top level mounted read-only at <dir>/source-look. */
export function localSnapshot(fixture: BackupFixture, name: string): string {
  const top = path.join(fixture.dir, 'source-look');
  if (!existsSync(path.join(top, '.rewind'))) {
    mkdirSync(top, { recursive: true });
    sh('mount', ['-o', 'ro,subvolid=5', fixture.source.device, top]);
    fixture.cleanup.add(`unmount ${top}`, () => unmount(top));
  }
  return path.join(top, '.rewind', 'home', name);
}
