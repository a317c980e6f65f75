import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ACTIONS } from '../../src/core/ids';
import type { RestoreResult } from '../../src/core/restore-request';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { sh } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { asUser } from '../support/system-bus';
import { compareTrees } from '../support/tree-compare';

/**
 * Restoring files over D-Bus as the users who ask: the real
 * helper on a private system bus with the real polkitd, two non-root users,
 * a real backup. `allowed` may restore only what the kernel lets it read and
 * write; `denied` stands for an administrator (restore-files granted).
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let snapshot: string;
let userA: string;
let adminD: string;
let victim: string;

function restoreAs(user: string, request: object | string): { result?: RestoreResult; error?: { name: string; message: string } } {
  const r = asUser(user, fx.bus, 'gjs', ['-m', fx.callHelper, 'restore', typeof request === 'string' ? request : JSON.stringify(request)]);
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no answer from the helper (exit ${r.status}): ${r.stderr}\n${fx.bus.log()}`);
  return JSON.parse(line) as { result?: RestoreResult; error?: { name: string; message: string } };
}

const home = () => fx.home;
const uidOf = (name: string) => Number(sh('id', ['-u', name]).trim());

beforeAll(async () => {
  fx = await createBackupFixture({
    extraRules: (allowed, denied) => [
      { user: allowed.name, action: ACTIONS.restoreFiles, result: 'NO' },
      { user: denied.name, action: ACTIONS.restoreOwnFiles, result: 'YES' },
      { user: denied.name, action: ACTIONS.restoreFiles, result: 'YES' },
    ],
  });
  userA = fx.allowed.name;
  adminD = fx.denied.name;
  sh('chown', ['-R', `${userA}:${userA}`, path.join(home(), 'alice')]);
  mkdirSync(path.join(home(), 'bob'), { mode: 0o700 });
  writeFileSync(path.join(home(), 'bob/secret.txt'), 'only for bob\n', { mode: 0o600 });
  sh('chown', ['-R', `${adminD}:${adminD}`, path.join(home(), 'bob')]);
  sh('chmod', ['700', path.join(home(), 'bob')]);
  writeFileSync(path.join(home(), 'root-owned.txt'), 'made by root\n', { mode: 0o644 });
  // Root's setuid and setgid programs and a sticky folder in alice's home (after the chown, which would clear them).
  mkdirSync(path.join(home(), 'alice/bin'));
  sh('chown', [`${userA}:${userA}`, path.join(home(), 'alice/bin')]);
  writeFileSync(path.join(home(), 'alice/bin/suid-tool'), randomBytes(5000));
  writeFileSync(path.join(home(), 'alice/bin/sgid-tool'), randomBytes(3000));
  mkdirSync(path.join(home(), 'alice/bin/drop'));
  sh('chmod', ['4755', path.join(home(), 'alice/bin/suid-tool')]);
  sh('chmod', ['2755', path.join(home(), 'alice/bin/sgid-tool')]);
  sh('chmod', ['1777', path.join(home(), 'alice/bin/drop')]);
  victim = path.join(fx.dir, 'victim');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'precious'), 'must not change\n');

  const run = runBackupCli(fx);
  expect(run.ok).toBe(true);
  snapshot = run.transfers[0].snapshot;
  writeFileSync(path.join(home(), 'alice/Documents/report.txt'), 'edited after the backup\n');
  mkdirSync(path.join(home(), 'alice/Restored'));
  sh('chown', [`${userA}:${userA}`, path.join(home(), 'alice/Restored')]);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('as the user, without a password', () => {
  test('a file back to its place, the current version kept aside, with content, mode, times and xattrs', async () => {
    const answer = restoreAs(userA, { from: 'local', snapshot, paths: ['alice/Documents/report.txt'], to: { original: true } });
    expect(answer.error).toBeUndefined();
    const target = path.join(home(), 'alice/Documents/report.txt');
    expect(answer.result).toEqual({ as: 'user', restored: [{ path: 'alice/Documents/report.txt', restoredTo: target, keptAsideAs: `${target} (before restore)` }] });
    expect(readFileSync(`${target} (before restore)`, 'utf8')).toBe('edited after the backup\n');
    expect(statSync(target).uid).toBe(uidOf(userA));
    await withTopLevel(fx, fx.source, (top) => {
      const original = path.join(top, '.rewind/home', snapshot, 'alice/Documents/report.txt');
      expect(readFileSync(target)).toEqual(readFileSync(original));
      expect(statSync(target).mode).toBe(statSync(original).mode);
      expect(statSync(target).mtimeMs).toBe(statSync(original).mtimeMs);
    });
    expect(sh('getfattr', ['--only-values', '-n', 'user.rewind.tag', target])).toBe('important');
  });

  test('a folder from the backup disk into a folder of the user, equal to the snapshot', async () => {
    const answer = restoreAs(userA, { from: 'usb', snapshot, paths: ['alice/Documents'], to: { folder: path.join(home(), 'alice/Restored') } });
    expect(answer.error).toBeUndefined();
    expect(answer.result?.as).toBe('user');
    await withTopLevel(fx, fx.source, (top) => {
      expect(compareTrees(path.join(top, '.rewind/home', snapshot, 'alice/Documents'), path.join(home(), 'alice/Restored/Documents'))).toEqual([]);
    });
  });

  test("another user's private file is refused without an administrator, and nothing is written", () => {
    const answer = restoreAs(userA, { from: 'local', snapshot, paths: ['bob/secret.txt'], to: { folder: path.join(home(), 'alice/Restored') } });
    expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.NotAuthorized');
    expect(existsSync(path.join(home(), 'alice/Restored/secret.txt'))).toBe(false);
  });

  test('a symbolic link planted where the file goes is moved aside, not followed', () => {
    const planted = path.join(home(), 'alice/Restored/notes.md');
    symlinkSync(path.join(victim, 'precious'), planted);
    const answer = restoreAs(userA, { from: 'local', snapshot, paths: ['alice/Documents/notes.md'], to: { folder: path.join(home(), 'alice/Restored') } });
    expect(answer.error).toBeUndefined();
    expect(readFileSync(path.join(victim, 'precious'), 'utf8')).toBe('must not change\n');
    expect(lstatSync(planted).isFile()).toBe(true);
    expect(readlinkSync(`${planted} (before restore)`)).toBe(path.join(victim, 'precious'));
  });

  test.each([
    [['../etc/passwd'], /paths\.0: must not contain "\.\."/],
    [['/etc/passwd'], /paths\.0: must be relative/],
    [['alice/./x'], /paths\.0: must not contain/],
    [[], /paths: /],
  ])('refuses the path %j', (paths, message) => {
    const answer = restoreAs(userA, { from: 'local', snapshot, paths, to: { original: true } });
    expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');
    expect(answer.error?.message).toMatch(message);
  });
});

describe('with an administrator', () => {
  test("into another user's folder: only as administrator, and the file keeps its owner", () => {
    const answer = restoreAs(adminD, { from: 'local', snapshot, paths: ['bob/secret.txt'], to: { folder: path.join(home(), 'alice/Restored') } });
    expect(answer.error).toBeUndefined();
    expect(answer.result?.as).toBe('admin');
    const restored = statSync(path.join(home(), 'alice/Restored/secret.txt'));
    expect({ uid: restored.uid, mode: restored.mode & 0o777 }).toEqual({ uid: uidOf(adminD), mode: 0o600 });
  });

  test("root's file into a user's folder belongs to that folder's owner, never to root", () => {
    const answer = restoreAs(adminD, { from: 'local', snapshot, paths: ['root-owned.txt'], to: { folder: path.join(home(), 'alice/Restored') } });
    expect(answer.error).toBeUndefined();
    expect(answer.result?.as).toBe('admin');
    expect(statSync(path.join(home(), 'alice/Restored/root-owned.txt')).uid).toBe(uidOf(userA));
  });

  test('a target folder reached through a symbolic link is refused', () => {
    symlinkSync(victim, path.join(home(), 'alice/sneaky'));
    const answer = restoreAs(adminD, { from: 'local', snapshot, paths: ['root-owned.txt'], to: { folder: path.join(home(), 'alice/sneaky') } });
    expect(answer.error?.message).toContain('reached through a symbolic link');
    expect(sh('ls', ['-A', victim]).trim()).toBe('precious');
  });
});

describe('setuid, setgid and sticky bits', () => {
  const inSnapshot = (relative: string, check: (original: string) => void) =>
    withTopLevel(fx, fx.source, (top) => check(path.join(top, '.rewind/home', snapshot, relative)));

  test('root-owned 4755 and 2755 files restored by the user are 0755, theirs, byte for byte, and the answer says so', async () => {
    const into = path.join(home(), 'alice/Restored');
    const answer = restoreAs(userA, { from: 'local', snapshot, paths: ['alice/bin/suid-tool', 'alice/bin/sgid-tool'], to: { folder: into } });
    expect(answer.error).toBeUndefined();
    expect(answer.result?.as).toBe('user');
    expect(answer.result?.specialBitsRemoved).toEqual({ count: 2, paths: [path.join(into, 'suid-tool'), path.join(into, 'sgid-tool')] });
    for (const name of ['suid-tool', 'sgid-tool']) {
      const restored = statSync(path.join(into, name));
      expect({ mode: restored.mode, uid: restored.uid }).toEqual({ mode: 0o100755, uid: uidOf(userA) });
      await inSnapshot(`alice/bin/${name}`, (original) => {
        expect(statSync(original).mode & 0o7000).not.toBe(0);
        expect(readFileSync(path.join(into, name)).equals(readFileSync(original))).toBe(true);
      });
    }
  });

  test('a whole home folder restored by the user keeps no special bit, and everything else as it was', async () => {
    const into = path.join(home(), 'alice/Restored/whole');
    const answer = restoreAs(userA, { from: 'usb', snapshot, paths: ['alice'], to: { folder: into } });
    expect(answer.error).toBeUndefined();
    const tree = path.join(into, 'alice');
    const removed = ['bin/suid-tool', 'bin/sgid-tool', 'bin/drop'].map((p) => path.join(tree, p));
    expect(answer.result?.specialBitsRemoved?.count).toBe(3);
    expect([...(answer.result?.specialBitsRemoved?.paths ?? [])].sort()).toEqual([...removed].sort());
    expect(statSync(path.join(tree, 'bin/suid-tool')).mode).toBe(0o100755);
    expect(statSync(path.join(tree, 'bin/sgid-tool')).mode).toBe(0o100755);
    expect(statSync(path.join(tree, 'bin/drop')).mode).toBe(0o40777);
    expect(sh('find', [tree, '-perm', '/7000']).trim()).toBe('');
    expect(sh('find', [tree, '!', '-user', userA]).trim()).toBe('');
    await inSnapshot('alice/bin/suid-tool', (original) => expect(readFileSync(path.join(tree, 'bin/suid-tool')).equals(readFileSync(original))).toBe(true));
    await inSnapshot('alice/Documents', (original) => expect(compareTrees(original, path.join(tree, 'Documents'))).toEqual([]));
    await inSnapshot('alice/.bashrc', (original) => expect(statSync(path.join(tree, '.bashrc')).mode).toBe(statSync(original).mode));
  });

  test("an administrator's restore into root's folder keeps them", () => {
    const into = path.join(fx.dir, 'admin-restored');
    mkdirSync(into, { mode: 0o755 });
    const answer = restoreAs(adminD, { from: 'local', snapshot, paths: ['alice/bin/suid-tool', 'alice/bin/sgid-tool'], to: { folder: into } });
    expect(answer.error).toBeUndefined();
    expect(answer.result?.as).toBe('admin');
    expect(answer.result?.specialBitsRemoved).toBeUndefined();
    expect(statSync(path.join(into, 'suid-tool')).mode).toBe(0o104755);
    expect(statSync(path.join(into, 'sgid-tool')).mode).toBe(0o102755);
  });
});

describe('control characters in the request', () => {
  const stackTrace = /\n\s+at .+:\d+:\d+/;

  test.each([
    ['an escaped NUL', JSON.stringify({ from: 'local', snapshot: 'SNAPSHOT', paths: ['alice/Documents/notes.md'], to: { folder: '/tmp/a\u0000b' } }), 'U\\+0000'],
    ['a raw control character', JSON.stringify({ from: 'local', snapshot: 'SNAPSHOT', paths: ['alice/Documents/notes.md'], to: { folder: '/tmp/a\u0001b' } }).replace('\\u0001', '\u0001'), 'U\\+0001'],
  ])('%s in the target folder is InvalidArgs naming the field, with no stack trace in the log', (_what, text, code) => {
    expect(text.includes('\u0001') || text.includes('\\u0000')).toBe(true);
    const logBefore = fx.bus.log().length;
    const answer = restoreAs(userA, text.replace('SNAPSHOT', snapshot));
    expect(answer.error?.name).toBe('io.github.rewindbackup.Rewind.Error.InvalidArgs');
    expect(answer.error?.message).toMatch(new RegExp(`^RestoreFiles: to\\.folder: must not contain control characters \\(it has ${code}\\)`));
    expect(fx.bus.log().slice(logBefore)).not.toMatch(stackTrace);
  });
});
