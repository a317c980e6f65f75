import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import type { Discovery, FoundBackups } from '../../src/core/discovery';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh, waitFor } from '../support/exec';
import { freshInstall } from '../support/fresh-install';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { createNamedUser, type TestUser } from '../support/test-user';
import { describeTree, type EntryDescription } from '../support/tree-compare';

/**
 * "My computer died, and on the new one my account has another number":
 * the old home has a person's folder whose files are owned by the old
 * computer's numbers. On the fresh install the account of that name was
 * made with another uid. After Restore Everything (no configuration, the
 * backups found on the disk) every file of theirs is theirs again, with
 * modes (setuid and setgid too), times, extended attributes and hard links
 * as they were, ACL entries naming the old number naming the new one, a
 * symbolic link's own owner changed and its target not; a folder with no
 * account of its name here keeps its owners, and so do root's files. A
 * cancel while the owners are given leaves the fresh home as it was.
 */
jest.setTimeout(180_000);

/** The old computer's numbers: nobody's on this machine. */
const OLD = 60100;
const GONE = 60101;

let fx: BackupFixture;
const suffix = randomBytes(3).toString('hex');
const alice = `rwal${suffix}`;
const gone = `rwgone${suffix}`;

/** The hex of an ACL entry's id, as getfattr -e hex shows it (little-endian 32 bits). */
function le32(id: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(id);
  return b.toString('hex');
}

/** Every entry's access time, by path below `root` ("." for itself), before anything is read. */
function accessTimes(root: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const visit = (rel: string) => {
    const info = lstatSync(path.join(root, rel), { bigint: true });
    out.set(rel || '.', info.atimeNs);
    if (info.isDirectory()) for (const name of readdirSync(path.join(root, rel)).sort()) visit(path.join(rel, name));
  };
  visit('');
  return out;
}

function helper(args: string[]): { status: number; stdout: string; stderr: string } {
  const [file, ...rest] = fx.helperCli(args);
  const r = spawnSync(file, rest, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The old home: alice's folder as the old computer's uid and gid 60100 had it, and a folder of someone with no account here. */
function writeOldHome(home: string): void {
  const mine = path.join(home, alice);
  mkdirSync(path.join(mine, 'Documents'), { recursive: true });
  mkdirSync(path.join(mine, 'bin'));
  mkdirSync(path.join(mine, 'Shared'));
  writeFileSync(path.join(mine, 'Documents/report.txt'), 'Quarterly report\n'.repeat(100));
  linkSync(path.join(mine, 'Documents/report.txt'), path.join(mine, 'Documents/report-again.txt'));
  sh('setfattr', ['-n', 'user.rewind.tag', '-v', 'mine', path.join(mine, 'Documents/report.txt')]);
  writeFileSync(path.join(mine, 'bin/tool'), '#!/bin/sh\necho tool\n');
  writeFileSync(path.join(mine, 'Shared/plan.txt'), 'plan\n');
  symlinkSync('Documents/report.txt', path.join(mine, 'latest'));
  mkdirSync(path.join(home, gone));
  writeFileSync(path.join(home, gone, 'notes.txt'), 'not alice\n');
  // A link of alice's to a file that is not hers: changing the link must not change its target.
  symlinkSync(`../${gone}/notes.txt`, path.join(mine, 'their-notes'));
  sh('chown', ['-R', '-h', `${OLD}:${OLD}`, mine]);
  sh('chown', ['-R', `${GONE}:${GONE}`, path.join(home, gone)]);
  chmodSync(mine, 0o700);
  // setuid and setgid, which chown clears.
  chmodSync(path.join(mine, 'bin/tool'), 0o6750);
  // ACLs naming the old numbers, on the setgid file too, and a folder's default ACL.
  sh('setfacl', ['-m', `u:${OLD}:rx,g:${OLD}:rx`, path.join(mine, 'bin/tool')]);
  sh('setfacl', ['-m', `u:${OLD}:rwx,g:${OLD}:rx,d:u:${OLD}:rwx,u:${GONE}:r`, path.join(mine, 'Shared')]);
  // Times a restore must keep: modification and access, set last (depth first, so no later change moves a folder's).
  sh('find', [mine, '-depth', '-exec', 'touch', '-h', '-m', '-d', '2021-03-04 05:06:07.123456789', '{}', '+']);
  sh('find', [mine, '-depth', '-exec', 'touch', '-h', '-a', '-d', '2022-05-06 07:08:09.987654321', '{}', '+']);
}

/** The second backup's many more files of alice's, so that giving them their owner takes long enough to cancel it half-way. */
const MANY = 30_000;
let found: FoundBackups;
let account: TestUser;
let group: number;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false });
  for (const id of [OLD, GONE]) expect(spawnSync('getent', ['passwd', String(id)]).status).toBe(2);
  writeOldHome(fx.home);
  const first = runBackupCli(fx);
  const many = path.join(fx.home, alice, 'many');
  mkdirSync(many);
  for (let i = 0; i < MANY; i++) writeFileSync(path.join(many, `${i}`), '');
  sh('chown', ['-R', `${OLD}:${OLD}`, many]);
  const second = runBackupCli(fx);
  for (const backup of [first, second]) expect({ ok: backup.ok, errors: backup.transfers.filter((t) => !t.ok) }).toEqual({ ok: true, errors: [] });

  // The computer dies: no configuration, no state, no home.
  rmSync(fx.configPath);
  rmSync(fx.stateDir, { recursive: true, force: true });
  sh('umount', [fx.home]);
  const discover = helper(['discover', '--json']);
  expect(discover.status).toBe(0);
  found = (JSON.parse(discover.stdout) as Discovery).found.find((f) => f.disk.uuid === fx.destination.uuid)!;
  expect(found.folders[0].points).toHaveLength(2);
  // The fresh install's alice, made after someone else: her uid is not 60100. Each test makes her home its installation's.
  account = createNamedUser(fx.cleanup, alice);
  group = Number(sh('id', ['-g', alice]).trim());
  expect(account.uid).not.toBe(OLD);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

test("on a fresh install where the account has another number, the restored home's files are given to it", async () => {
  const point = found.folders[0].points[0];

  // The fresh install: alice lives in its home.
  const install = freshInstall(fx, path.join(fx.dir, 'sysimage'));
  sh('usermod', ['--home', path.join(install.home, alice), alice]);

  const r = helper(['restore-subvolume', '--into', install.home, '--destination', found.id, '--snapshot', point, '--replace']);
  expect({ status: r.status, problems: r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('restoring:')) }).toEqual({ status: 0, problems: [] });
  // Said in words, with the numbers for the administrator.
  expect(r.stdout).toContain(`Files of ${alice} were given to ${alice} on this computer (uid ${OLD} → ${account.uid}, group ${OLD} → ${group}).`);
  expect(r.stdout).toContain(`Files of ${gone} keep the owner they had: there is no account of that name here.`);
  expect(r.stdout).toMatch(/ 9 files and folders changed owner; modes, times and contents are as they were\./);

  install.restart();
  const backup = await withTopLevel(fx, fx.destination, (top) => describeTree(path.join(top, fx.hostName, 'home', point), { atime: true }));
  // Access times first, from lstat alone: describing reads each file, and reading one of two hard links sets the other's.
  const atimes = accessTimes(install.home);
  const restored = new Map([...describeTree(install.home)].map(([rel, entry]) => [rel, { ...entry, atimeNs: atimes.get(rel) }]));

  // What the backup holds, with alice's numbers the new ones: everything else as it was.
  const expected = new Map<string, EntryDescription>();
  for (const [rel, entry] of backup) {
    if (rel !== alice && !rel.startsWith(`${alice}/`)) {
      expected.set(rel, entry);
      continue;
    }
    expect({ rel, uid: entry.uid, gid: entry.gid }).toEqual({ rel, uid: OLD, gid: OLD });
    const xattrs = entry.xattrs
      .split('\n')
      .map((line) =>
        line.startsWith('system.posix_acl_')
          ? line.replace(new RegExp(`(0200[0-9a-f]{4})${le32(OLD)}`, 'g'), `$1${le32(account.uid)}`).replace(new RegExp(`(0800[0-9a-f]{4})${le32(OLD)}`, 'g'), `$1${le32(group)}`)
          : line,
      )
      .join('\n');
    expected.set(rel, { ...entry, uid: account.uid, gid: group, xattrs });
  }
  expect(restored).toEqual(expected);

  // As a user would look: her files, the setuid and setgid bits still there, the hard link one file, the ACLs naming her.
  const mine = path.join(install.home, alice);
  expect(statSync(path.join(mine, 'bin/tool')).mode & 0o7777).toBe(0o6750);
  expect(statSync(path.join(mine, 'Documents/report.txt')).ino).toBe(statSync(path.join(mine, 'Documents/report-again.txt')).ino);
  const acl = sh('getfacl', ['-n', '-p', path.join(mine, 'Shared')]);
  expect(acl).toContain(`user:${account.uid}:rwx`);
  expect(acl).toContain(`default:user:${account.uid}:rwx`);
  expect(acl).toContain(`user:${GONE}:r--`);
  expect(acl).not.toContain(`:${OLD}:`);
  // The link is hers; what it points to is still the other person's.
  expect(lstatSync(path.join(mine, 'their-notes')).uid).toBe(account.uid);
  expect(statSync(path.join(install.home, gone, 'notes.txt')).uid).toBe(GONE);
  expect(statSync(path.join(install.home, gone)).uid).toBe(GONE);
});

test('a cancel while the files are given their owners replaces nothing and keeps nothing of the restore', async () => {
  const point = found.folders[0].points[1];
  const install = freshInstall(fx, path.join(fx.dir, 'sysimage-2'), 'fresh-2');
  sh('usermod', ['--home', path.join(install.home, alice), alice]);
  const [file, ...args] = fx.helperCli(['restore-subvolume', '--into', install.home, '--destination', found.id, '--snapshot', point, '--replace']);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // The copy whose owners are being given, in the helper's own mount of the new disk's top level.
  const giving = () =>
    readdirSync(fx.runtimeDir)
      .filter((d) => d.startsWith('restore-subvolume-'))
      .some((d) => existsSync(path.join(fx.runtimeDir, d, install.fresh.uuid, '.rewind/home', `${point}.giving-owners`, alice, 'many'))) || undefined;
  await waitFor('the owners being given', giving, 120_000, 10);
  child.kill('SIGINT');
  expect(await exited).not.toBe(0);
  expect(stderr).toContain('The restore was cancelled; what was received so far was deleted and nothing was replaced.');
  // The fresh home is the one in use and the only subvolume; no folder of the restore is left.
  expect(install.look()).toEqual({ entries: ['home'], subvolumes: ['home'] });
  expect(readdirSync(install.home)).toEqual(['made-by-the-installer.txt']);
});
