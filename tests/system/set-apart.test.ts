import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { buildSync } from 'esbuild';
import { createBackupFixture, inspect, writeFixtureConfig, type BackupFixture } from '../support/backup-fixture';
import { sh, startProcess, stopProcess, waitFor } from '../support/exec';
import { runBackupCli } from '../support/helper-run';
import { unmount } from '../support/loop-btrfs';
import { REPO } from '../support/system-bus';
import { compareDescriptions, describeTree } from '../support/tree-compare';

/**
 * Setting a folder apart (src/helper/system/set-apart.ts) on real btrfs: an
 * awkward tree set apart and joined again is byte-identical with all its
 * metadata; a SIGKILL after every step leaves the folder whole (the old
 * folder or the new subvolume) and the next call finishes the job; a
 * folder in use or with a mount inside is refused in words; and a folder
 * left out this way is absent from every backup until it is included again,
 * even when setting it apart was killed halfway (the backup clears what was left).
 */
jest.setTimeout(120_000);

let fx: BackupFixture;
let driver: string;

beforeAll(async () => {
  fx = await createBackupFixture({ withBus: false, sourceMiB: 512 });
  driver = path.join(fx.dir, 'set-apart-driver.cjs');
  buildSync({ entryPoints: [path.join(REPO, 'tests/support/set-apart-driver.ts')], outfile: driver, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
});

afterAll(async () => {
  await fx?.cleanup.run();
});

function run(folder: string, direction: 'apart' | 'join', stopAt?: string, stateDir?: string): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [driver, folder, direction, stopAt ?? '', ...(stateDir ? [stateDir] : [])], { encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What a copy must keep, in a few entries (the awkward corpus has 10,000 and
 * takes longer to compare than this whole suite may): owners, modes with
 * setuid and sticky bits, times, xattrs, ACLs (access and default), a file
 * capability, hard links, symbolic links, a FIFO, a device node, a sparse file.
 */
function smallAwkwardTree(root: string): void {
  mkdirSync(path.join(root, 'sub/deeper'), { recursive: true });
  writeFileSync(path.join(root, 'plain.txt'), 'plain\n');
  writeFileSync(path.join(root, 'sub/deeper/data.bin'), Buffer.alloc(300 * 1024, 7));
  linkSync(path.join(root, 'plain.txt'), path.join(root, 'sub/hard-link.txt'));
  symlinkSync('plain.txt', path.join(root, 'link'));
  symlinkSync('/nowhere', path.join(root, 'dangling'));
  sh('mkfifo', [path.join(root, 'fifo')]);
  sh('mknod', [path.join(root, 'null-device'), 'c', '1', '3']);
  sh('truncate', ['-s', '64M', path.join(root, 'sparse')]);
  writeFileSync(path.join(root, 'setuid'), '#!/bin/sh\n', { mode: 0o4755 });
  chmodSync(path.join(root, 'setuid'), 0o4755);
  mkdirSync(path.join(root, 'sticky'));
  chmodSync(path.join(root, 'sticky'), 0o1777);
  lchownSync(path.join(root, 'sub'), 1234, 5678);
  lchownSync(path.join(root, 'link'), 3000000000, 3000000001);
  sh('setfattr', ['-n', 'user.tag', '-v', 'kept', path.join(root, 'plain.txt')]);
  sh('setfattr', ['-n', 'trusted.rewind', '-v', '0x00ff', path.join(root, 'sub')]);
  sh('setcap', ['cap_net_raw+ep', path.join(root, 'sub/deeper/data.bin')]);
  sh('setfacl', ['-m', 'u:1234:rwx', root]);
  sh('setfacl', ['-d', '-m', 'g:5678:rx', path.join(root, 'sub')]);
  sh('touch', ['-h', '-d', '2001-02-03 04:05:06.789', path.join(root, 'link'), path.join(root, 'sub/deeper'), root]);
}

const isSubvolume = (folder: string) => lstatSync(folder).ino === 256;
const leftovers = (folder: string) => readdirSync(path.dirname(folder)).filter((n) => n.startsWith(`.${path.basename(folder)}.rewind`));

describe('setting a folder apart', () => {
  test('keeps every byte and all metadata, and survives a kill after every step', () => {
    const folder = path.join(fx.home, 'alice', 'Corpus');
    smallAwkwardTree(folder);
    const before = describeTree(folder);
    const same = (when: string) => expect({ when, differences: compareDescriptions(before, describeTree(folder), { rootTimes: true }) }).toEqual({ when, differences: [] });

    for (const step of ['checked', 'created', 'copied', 'swapped']) {
      for (const direction of ['apart', 'join'] as const) {
        const apartAfter = direction === 'apart';
        const killed = run(folder, direction, step);
        expect({ step, signal: killed.signal, stderr: killed.stderr }).toEqual({ step, signal: 'SIGKILL', stderr: '' });
        // Whole: the old folder before the swap, the new one after.
        expect({ direction, step, subvolume: isSubvolume(folder) }).toEqual({ direction, step, subvolume: step === 'swapped' ? apartAfter : !apartAfter });
        same(`${direction}, killed after ${step}`);
        // The next call removes what was left and finishes.
        const done = run(folder, direction);
        expect({ step, status: done.status, stderr: done.stderr }).toEqual({ step, status: 0, stderr: '' });
        expect(JSON.parse(done.stdout)).toEqual({ path: folder, apart: apartAfter });
        expect(leftovers(folder)).toEqual([]);
        same(`${direction} after a kill after ${step}`);
      }
    }
    expect(isSubvolume(folder)).toBe(false);
  });

  test('refuses a folder in use, one with a disk mounted inside and one mounted elsewhere too, in words, and leaves both as they were', async () => {
    const busy = path.join(fx.home, 'alice', 'Busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'log.txt'), 'written to\n');
    const writer = startProcess('bash', ['-c', `exec 3>>"$1"; echo ready; exec sleep 60`, 'writer', path.join(busy, 'log.txt')]);
    fx.cleanup.add('stop the writer', () => stopProcess(writer.child));
    await waitFor('the writer', () => writer.output().includes('ready') || undefined);
    const refused = run(busy, 'apart');
    expect({ status: refused.status, stderr: refused.stderr.trim() }).toEqual({ status: 1, stderr: expect.stringMatching(new RegExp(`^${busy} is in use by sleep\\. Close it, then try again\\.`)) });
    expect(isSubvolume(busy)).toBe(false);
    expect(leftovers(busy)).toEqual([]);
    await stopProcess(writer.child);
    // With the helper's state folder: noted as kept apart by Rewind, so the administrator's join below may undo it.
    expect(run(busy, 'apart', undefined, fx.stateDir).status).toBe(0);

    const crossing = path.join(fx.home, 'alice', 'Crossing');
    mkdirSync(path.join(crossing, 'usb'), { recursive: true });
    sh('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(crossing, 'usb')]);
    fx.cleanup.add('unmount the tmpfs', () => unmount(path.join(crossing, 'usb')));
    const mounted = run(crossing, 'apart');
    expect({ status: mounted.status, stderr: mounted.stderr.trim() }).toEqual({
      status: 1,
      stderr: `Another disk or share is mounted inside ${crossing} (at ${crossing}/usb). Unmount it, then try again.`,
    });
    expect(isSubvolume(crossing)).toBe(false);

    // Mounted elsewhere too, as a container's volume is: the swap would leave that view on the old folder.
    const shared = path.join(fx.home, 'alice', 'Shared');
    mkdirSync(path.join(shared, 'inner'), { recursive: true });
    writeFileSync(path.join(shared, 'inner', 'data.txt'), 'seen from a container\n');
    const view = path.join(fx.dir, 'container-view');
    mkdirSync(view);
    sh('mount', ['--bind', path.join(shared, 'inner'), view]);
    fx.cleanup.add('unmount the bind mount', () => unmount(view));
    const bound = run(shared, 'apart');
    expect({ status: bound.status, stderr: bound.stderr.trim() }).toEqual({
      status: 1,
      stderr: `${shared} is also mounted elsewhere (at ${view}), for example as a container's or a sandbox's folder. Unmount it there, then try again.`,
    });
    expect([isSubvolume(shared), leftovers(shared)]).toEqual([false, []]);
    unmount(view);
    expect(run(shared, 'apart').status).toBe(0);
    expect(sh('cat', [path.join(shared, 'inner', 'data.txt')])).toBe('seen from a container\n');

    // The same for an administrator, from the command line.
    const cli = (args: string[]) => {
      const [file, ...rest] = fx.helperCli(args);
      return spawnSync(file, rest, { encoding: 'utf8' });
    };
    const joined = cli(['join', busy]);
    expect({ status: joined.status, stdout: joined.stdout.trim() }).toEqual({ status: 0, stdout: `${busy} is a plain folder again: it is backed up with the folder around it.` });
    expect(isSubvolume(busy)).toBe(false);
    const refusedCli = cli(['set-apart', crossing]);
    expect({ status: refusedCli.status, stderr: refusedCli.stderr.trim() }).toEqual({ status: 1, stderr: expect.stringContaining(`Another disk or share is mounted inside ${crossing}`) });

    // A subvolume that came with the system (a container store): never turned into a folder, whatever is asked.
    const store = path.join(fx.home, 'alice', 'containers');
    sh('btrfs', ['subvolume', 'create', store]);
    writeFileSync(path.join(store, 'layer.tar'), 'a layer\n');
    const uuid = () => /UUID:\s+(\S+)/.exec(sh('btrfs', ['subvolume', 'show', store]))?.[1];
    const before = uuid();
    const notOurs = cli(['join', store]);
    expect({ status: notOurs.status, stderr: notOurs.stderr.trim() }).toEqual({
      status: 1,
      stderr: expect.stringContaining(`Rewind did not keep ${store} apart: it came that way with the system or another program`),
    });
    expect(run(store, 'join', undefined, fx.stateDir).stderr.trim()).toMatch(/^Rewind did not keep .* apart/);
    expect([isSubvolume(store), uuid(), sh('cat', [path.join(store, 'layer.tar')])]).toEqual([true, before, 'a layer\n']);
    expect(leftovers(store)).toEqual([]);
    // Deleted and made again by someone else at the same place: not Rewind's either (the UUID is checked, not only the path).
    expect(run(busy, 'apart', undefined, fx.stateDir).status).toBe(0);
    sh('btrfs', ['subvolume', 'delete', busy]);
    sh('btrfs', ['subvolume', 'create', busy]);
    expect(cli(['join', busy]).status).toBe(1);
    expect(isSubvolume(busy)).toBe(true);
  });
});

describe('a folder left out', () => {
  test('is absent from every backup after it was set apart, and back, byte-identical, after it is included again', () => {
    const cache = path.join(fx.home, 'alice', '.cache');
    mkdirSync(path.join(cache, 'thumbnails'), { recursive: true });
    writeFileSync(path.join(cache, 'thumbnails', 'big.png'), Buffer.alloc(2 * 1024 * 1024, 3));
    writeFileSync(path.join(cache, 'state'), 'cached\n');
    const cacheBefore = describeTree(cache);
    writeFixtureConfig(fx, [{ id: 'usb', kind: 'btrfs', filesystem: fx.destination.uuid, label: 'Test backup disk' }], { exclude: [cache] });
    const first = runBackupCli(fx);
    expect(first).toMatchObject({ ok: true, transfers: [{ ok: true }] });

    // Set apart, but killed right after the swap: the old folder is still beside it, whole, under a hidden name.
    expect(run(cache, 'apart', 'swapped', fx.stateDir).signal).toBe('SIGKILL');
    expect(isSubvolume(cache)).toBe(true);
    expect(leftovers(cache)).toEqual(['..cache.rewind-new']);
    writeFileSync(path.join(fx.home, 'alice', 'after.txt'), 'a change\n');
    const second = runBackupCli(fx);
    expect(second).toMatchObject({ ok: true, transfers: [{ ok: true, kind: 'incremental' }] });
    // The backup removed it before its snapshot.
    expect(leftovers(cache)).toEqual([]);

    // Kept apart by Rewind (noted before the swap, so even after the kill): joined again as before.
    expect(run(cache, 'join', undefined, fx.stateDir).status).toBe(0);
    writeFileSync(path.join(fx.home, 'alice', 'after-2.txt'), 'another change\n');
    const third = runBackupCli(fx);
    expect(third).toMatchObject({ ok: true, transfers: [{ ok: true, kind: 'incremental' }] });

    const disk = inspect(fx, fx.destination, 'left-out');
    const backups = readdirSync(path.join(disk, fx.hostName, 'home')).sort();
    expect(backups).toHaveLength(3);
    const cacheIn = (backup: string) => path.join(disk, fx.hostName, 'home', backup, 'alice', '.cache');
    // Before: in the backup. Left out: not in it at all. Included again: all of it.
    expect(readdirSync(cacheIn(backups[0])).sort()).toEqual(['state', 'thumbnails']);
    expect(existsSync(cacheIn(backups[1]))).toBe(false);
    // Busy and containers are subvolumes by now (made again by hand, made by another program): left out too.
    expect(readdirSync(path.dirname(cacheIn(backups[1]))).sort()).toEqual(['.bashrc', 'Corpus', 'Crossing', 'Documents', 'Pictures', 'after.txt', 'latest-report']);
    expect(compareDescriptions(cacheBefore, describeTree(cacheIn(backups[2])), { rootTimes: true })).toEqual([]);
    expect(compareDescriptions(cacheBefore, describeTree(cache), { rootTimes: true })).toEqual([]);
  });
});
