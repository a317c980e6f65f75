import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { freshInstall } from '../support/fresh-install';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createNamedUser, type TestUser } from '../support/test-user';

/**
 * A restore stopped hard while it gave a home's files their owners (the
 * helper killed, the power gone) leaves its copy, `<point>.giving-owners`,
 * in the folder of the restore's snapshots. The next restore of that point
 * does not build on it: btrfs would make the new copy inside the old one,
 * and the home swapped in would be the half-changed leftover with the
 * restore nested in it.
 */
jest.setTimeout(180_000);

/** The old computer's number: nobody's on this machine. */
const OLD = 60110;

let fx: BackupFixture;
const alice = `rwlo${randomBytes(3).toString('hex')}`;
let found: FoundBackups;
let account: TestUser;

function helper(args: string[]): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  expect(spawnSync('getent', ['passwd', String(OLD)]).status).toBe(2);
  mkdirSync(path.join(fx.home, alice, 'Documents'), { recursive: true });
  writeFileSync(path.join(fx.home, alice, 'Documents/report.txt'), 'Quarterly report\n');
  sh('chown', ['-R', `${OLD}:${OLD}`, path.join(fx.home, alice)]);
  expect(runBackupCli(fx).ok).toBe(true);
  // The computer dies: no configuration, no state, no home.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  sh('umount', [fx.home]);
  const discover = helper(['discover', '--json']);
  expect(discover.status).toBe(0);
  found = (JSON.parse(discover.stdout) as Discovery).found.find((f) => f.disk.uuid === fx.destination.uuid)!;
  account = createNamedUser(fx.cleanup, alice);
  expect(account.uid).not.toBe(OLD);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test("the copy a stopped restore left is not built on: the home that comes back is the backup's, its files given to their account", async () => {
  const [point] = found.folders[0].points;
  const install = freshInstall(fx, path.join(fx.dir, 'sysimage'));
  sh('usermod', ['--home', path.join(install.home, alice), alice]);
  // What the stopped restore left: its copy, half-changed (here: a file the backup never had).
  await withTopLevel(fx, install.fresh, (top) => {
    mkdirSync(path.join(top, '.rewind/home'), { recursive: true, mode: 0o700 });
    sh('btrfs', ['subvolume', 'create', path.join(top, '.rewind/home', `${point}.giving-owners`)]);
    writeFileSync(path.join(top, '.rewind/home', `${point}.giving-owners`, 'left-over.txt'), 'half-changed\n');
  });

  const r = helper(['restore-subvolume', '--into', install.home, '--destination', found.id, '--snapshot', point, '--replace']);
  expect({ status: r.status, stderr: r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('restoring:')) }).toEqual({ status: 0, stderr: [] });
  expect(r.stdout).toContain(`Files of ${alice} were given to ${alice} on this computer`);

  install.restart();
  const backup = await withTopLevel(fx, fx.destination, (top) => readdirSync(path.join(top, fx.hostName, 'home', point)).sort());
  expect(readdirSync(install.home).sort()).toEqual(backup);
  expect(statSync(path.join(install.home, alice, 'Documents/report.txt')).uid).toBe(account.uid);
  // The restored home, the one kept from before, and the received snapshot: no leftover, nothing nested.
  const subvolumes = install.look().subvolumes.map((s) => s.replace(/^home\.before-restore-.*$/, 'home.before-restore'));
  expect(subvolumes.sort()).toEqual([`.rewind/home/${point}`, 'home', 'home.before-restore']);
});
