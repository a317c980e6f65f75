import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
 * Restoring files over D-Bus as the users who ask (issue 8): the real
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

function restoreAs(user: string, request: object): { result?: RestoreResult; error?: { name: string; message: string } } {
  const r = asUser(user, fx.bus, 'gjs', ['-m', fx.callHelper, 'restore', JSON.stringify(request)]);
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
