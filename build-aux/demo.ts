/**
 * `npm run demo`: Rewind on a safe, built-in setup. Two loop-backed btrfs
 * images stand in for a Fedora /home and a USB backup disk; nothing outside
 * a temporary directory is touched, and everything is removed at the end.
 * With a display, the app opens against a private system bus and the real
 * helper; without one, the helper runs backup → change → backup → restore.
 */
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { APP_ID } from '../src/core/ids';
import { writeSampleFiles } from '../tests/support/backup-fixture';
import { Cleanup } from '../tests/support/cleanup';
import { sh } from '../tests/support/exec';
import { createLoopBtrfs, mountHomeSubvolume } from '../tests/support/loop-btrfs';
import { REPO, startSystemBus } from '../tests/support/system-bus';

function step(text: string): void {
  console.log(`\n▶ ${text}`);
}

function helper(cli: string[], args: string[]): string {
  const r = spawnSync(cli[0], [...cli.slice(1, 2), ...args, ...cli.slice(2)], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`rewind-helper ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('The demo creates loop devices and mounts btrfs images, which needs root: run it with sudo.');
    process.exit(2);
  }
  const cleanup = new Cleanup();
  let cleaned = false;
  const finish = async () => {
    if (cleaned) return;
    cleaned = true;
    step('Removing the demo disks and everything else the demo made');
    await cleanup.run();
    console.log('Done: nothing is left behind.');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void finish().then(() => process.exit(130)));
  }
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-demo-'));
    chmodSync(dir, 0o755);
    cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));

    step('Creating a demo "home" on btrfs and an empty btrfs backup disk (loop-backed images)');
    const source = createLoopBtrfs(cleanup, dir, 'demo-home', 512);
    const home = mountHomeSubvolume(cleanup, source, dir);
    writeSampleFiles(home);
    const disk = createLoopBtrfs(cleanup, dir, 'demo-backup-disk', 512);
    console.log(`  home: ${home} (subvolume "home" on ${source.device})`);
    console.log(`  backup disk: ${disk.device}, filesystem UUID ${disk.uuid}`);

    const configPath = path.join(dir, 'config.json');
    writeFileSync(
      configPath,
      `${JSON.stringify({ version: 1, hostName: 'demo', sources: [{ path: home }], destinations: [{ id: 'demo-disk', kind: 'btrfs', filesystem: disk.uuid, label: 'Demo backup disk' }] }, null, 2)}\n`,
    );
    const bundle = path.join(REPO, 'dist');
    const cli = [process.execPath, path.join(bundle, 'helper/rewind-helper.cjs'), '--config', configPath, '--state-dir', path.join(dir, 'state'), '--runtime-dir', path.join(dir, 'run')];

    if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) {
      await runApp(cleanup, dir, cli, bundle);
    } else {
      runHeadless(cli, home, dir);
    }
  } finally {
    await finish();
  }
}

function runHeadless(cli: string[], home: string, dir: string): void {
  step('Backup 1: snapshot the home and send it to the backup disk (full)');
  helper(cli, ['run']);

  step('Changing files: editing notes.md, adding new.txt, deleting report.txt');
  appendFileSync(path.join(home, 'alice/Documents/notes.md'), '- call the bank\n');
  writeFileSync(path.join(home, 'alice/Documents/new.txt'), 'written after the first backup\n');
  const lost = readFileSync(path.join(home, 'alice/Documents/report.txt'));
  unlinkSync(path.join(home, 'alice/Documents/report.txt'));

  step('Backup 2: only what changed is sent (incremental)');
  helper(cli, ['run']);
  const status = JSON.parse(sh(cli[0], [cli[1], 'status', '--json', ...cli.slice(2)])) as {
    lastRun?: { transfers: { kind: string; bytes: number }[] };
  };
  const last = status.lastRun?.transfers[0];
  console.log(`  the second backup was ${last?.kind}, ${last?.bytes} bytes`);

  step('Restore: getting the deleted report.txt back from backup 1');
  const history = JSON.parse(readFileSync(path.join(dir, 'state/history.json'), 'utf8')) as { transfers: { snapshot: string }[] }[];
  const first = history[0].transfers[0].snapshot;
  const restoredDir = path.join(dir, 'restored');
  helper(cli, ['restore', '--destination', 'demo-disk', '--snapshot', first, '--path', 'alice/Documents/report.txt', '--to', restoredDir]);
  const same = readFileSync(path.join(restoredDir, 'report.txt')).equals(lost);
  console.log(`  restored report.txt is ${same ? 'byte-for-byte identical to' : 'DIFFERENT from'} the deleted file`);
  console.log(`  backups on the disk: ${history.map((r) => r.transfers[0].snapshot).join(', ')}`);
  if (!same) throw new Error('the restored file differs from the original');
}

async function runApp(cleanup: Cleanup, dir: string, cli: string[], bundle: string): Promise<void> {
  const user = process.env.SUDO_USER && process.env.SUDO_USER !== 'root' ? process.env.SUDO_USER : 'root';
  step(`Starting a private system bus with polkitd, allowing ${user} to use Rewind`);
  const bus = await startSystemBus(cleanup, dir, {
    helperCommand: [cli[0], cli[1], 'daemon', ...cli.slice(2)],
    rules: [{ user, action: `${APP_ID}.`, result: 'YES' }],
  });
  step('Opening Rewind; press "Back Up Now", then close the window to end the demo');
  const env = ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR', 'XAUTHORITY', 'DBUS_SESSION_BUS_ADDRESS']
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]}`);
  const app = spawnSync('runuser', ['-u', user, '--', 'env', ...env, `DBUS_SYSTEM_BUS_ADDRESS=${bus.address}`, 'gjs', '-m', path.join(bundle, 'app/rewind.js')], {
    stdio: 'inherit',
  });
  if (app.status !== 0) console.error(`The app exited with status ${app.status}.`);
  helper(cli, ['status']);
}

main().catch((error: unknown) => {
  console.error(`\nThe demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
