import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { FolderListing, SearchResult, WhatChangedResult } from '../../src/core/browse-request';
import type { RestoreResult } from '../../src/core/restore-request';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { callAs, comparable, inSnapshot } from '../support/browse-calls';
import { sh, waitFor } from '../support/exec';
import { activatedHelperPid, runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';

/**
 * The restore browser on points kept as stream files (a backup folder): the
 * real helper on the private system bus with polkitd, as the fixture's users.
 * Each point is fetched once (its chain replayed into a scratch folder on the
 * source's disk) and that copy serves every call; What changed is read from
 * the point's own incremental stream. The copies go when the helper stops,
 * or, if it was killed, with the next backup.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let first: string;
let second: string;
let alice: string;

const call = <T>(method: string, request: object, user = alice) => callAs<T>(fx, user, method, request);
const toFolder = (run: RunRecord) => run.transfers.find((t) => t.destination === 'folder')!;
const scratchCopies = () => withTopLevel(fx, fx.source, (top) => sh('ls', ['-A', path.join(top, '.rewind')]).split('\n').filter((n) => n.startsWith('.restore-')));
const fetchedMounts = () => sh('findmnt', ['-rn', '-o', 'TARGET']).split('\n').filter((t) => t.startsWith(`${fx.runtimeDir}/fetched-`));
const daemonPid = () => activatedHelperPid(fx);

beforeAll(async () => {
  fx = await createBackupFixture();
  alice = fx.allowed.name;
  sh('chown', ['-R', `${alice}:${alice}`, path.join(fx.home, 'alice')]);
  // A folder only root may read: alice must not learn what changed in it.
  mkdirSync(path.join(fx.home, 'root-only'), { mode: 0o700 });
  const folder = path.join(fx.dir, 'folder-backups');
  mkdirSync(folder);
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as { destinations: object[] };
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations: [{ id: 'folder', kind: 'files', path: folder, label: 'Backup folder' }] }));
  const one = runBackupCli(fx);
  expect(toFolder(one)).toMatchObject({ ok: true, kind: 'full' });
  first = toFolder(one).snapshot;

  writeFileSync(path.join(fx.home, 'alice/Documents/streamed.txt'), 'new in the second point\n');
  writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'edited for the second point\n');
  writeFileSync(path.join(fx.home, 'root-only/secret.txt'), 'root only\n');
  const two = runBackupCli(fx);
  expect(toFolder(two)).toMatchObject({ ok: true, kind: 'incremental' });
  second = toFolder(two).snapshot;
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a point stored as stream files', () => {
  test('is fetched once, and browsed and searched like a snapshot', async () => {
    for (const folder of ['alice', 'alice/Documents']) {
      const answer = call<FolderListing>('ListFolder', { from: 'folder', snapshot: second, path: folder });
      expect(answer.error).toBeUndefined();
      expect(comparable(answer.result!.entries)).toEqual(comparable(await inSnapshot(fx, second, folder)));
    }
    const found = call<SearchResult>('Search', { from: 'folder', snapshot: second, pattern: 'STREAMED' });
    expect(found.result!.entries.map((e) => e.path)).toEqual(['alice/Documents/streamed.txt']);
    // As everywhere, the caller's own rights decide.
    expect(call<FolderListing>('ListFolder', { from: 'folder', snapshot: second, path: 'root-only' }).error?.message).toMatch(/may not read/);
    // Four reads, one copy.
    expect(await scratchCopies()).toHaveLength(1);
    expect(fetchedMounts()).toHaveLength(1);
  });

  test('what changed comes from its incremental stream, without what the caller may not read', () => {
    const answer = call<WhatChangedResult>('WhatChanged', { from: 'folder', snapshot: second });
    expect(answer.error).toBeUndefined();
    expect(answer.result!.previous).toBe(first);
    const list = answer.result!.changes.map((c) => `${c.kind} ${c.path}`);
    expect(list).toEqual(expect.arrayContaining(['created alice/Documents/streamed.txt', 'modified alice/Documents/report.txt']));
    expect(list.join('\n')).not.toContain('root-only/');
    expect(answer.result!.hidden).toBe(1);
    // The first point of the folder has nothing before it.
    expect(call<WhatChangedResult>('WhatChanged', { from: 'folder', snapshot: first }).result).toEqual({ changes: [], hidden: 0 });
  });

  test('its copies are deleted when the helper stops, and after a kill by the next backup', async () => {
    expect((await scratchCopies()).length).toBeGreaterThan(0);
    const stopped = daemonPid();
    expect(stopped).toMatch(/^\d+$/);
    process.kill(Number(stopped), 'SIGTERM');
    await waitFor('the helper to exit', () => !existsSync(`/proc/${stopped}`) || undefined, 30_000);
    expect(await scratchCopies()).toEqual([]);
    expect(fetchedMounts()).toEqual([]);

    expect(call<FolderListing>('ListFolder', { from: 'folder', snapshot: second, path: 'alice' }).error).toBeUndefined();
    expect(await scratchCopies()).toHaveLength(1);
    const killed = daemonPid();
    expect(killed).toMatch(/^\d+$/);
    process.kill(Number(killed), 'SIGKILL');
    await waitFor('the helper to die', () => !existsSync(`/proc/${killed}`) || undefined, 30_000);
    expect(await scratchCopies()).toHaveLength(1);
    expect(runBackupCli(fx).ok).toBe(true);
    expect(await scratchCopies()).toEqual([]);
    expect(fetchedMounts()).toEqual([]);
  });
});

describe('restoring files from a point stored as stream files', () => {
  test('only what was asked is extracted, and the caller’s own rights decide what is read', () => {
    const to = path.join(fx.dir, 'restored-from-streams');
    mkdirSync(to);
    sh('chown', [`${alice}:${alice}`, to]);
    const restore = (snapshot: string, rel: string) => call<RestoreResult>('RestoreFiles', { from: 'folder', snapshot, paths: [rel], to: { folder: to } });
    const mine = restore(first, 'alice/Documents/report.txt');
    expect(mine.error).toBeUndefined();
    expect(mine.result).toMatchObject({ as: 'user' });
    expect(readFileSync(path.join(to, 'report.txt'), 'utf8')).toBe('Quarterly report\n'.repeat(200));
    expect(lstatSync(path.join(to, 'report.txt')).uid).toBe(Number(sh('id', ['-u', alice]).trim()));
    // The folders above the path keep their owners and modes: alice may not read root's, and an administrator is asked for.
    const rootOnly = restore(second, 'root-only/secret.txt');
    expect(rootOnly.error).toBeUndefined();
    expect(rootOnly.result).toMatchObject({ as: 'admin' });
    expect(readFileSync(path.join(to, 'secret.txt'), 'utf8')).toBe('root only\n');
    const missing = restore(first, 'alice/Documents/streamed.txt');
    expect(missing.error?.message).toMatch(/^There is no alice\/Documents\/streamed\.txt in this backup\./);
    // Nothing is left on the source's disk.
    return expect(scratchCopies()).resolves.toEqual([]);
  });
});
