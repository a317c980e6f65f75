import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import type { FolderListing } from '../../src/core/browse-request';
import type { RunRecord } from '../../src/core/status';
import { createBackupFixture, type BackupFixture } from '../support/backup-fixture';
import { callAs } from '../support/browse-calls';
import { sh, waitFor } from '../support/exec';
import { activatedHelperPid, helperCommand, runBackupCli } from '../support/helper-run';
import { withTopLevel } from '../support/inspection';
import { MORE, MORE_ATTR, plantStream, readManifest } from '../support/planted-streams';
import { ATTR, CMD, fullStream, str, u64 } from '../support/send-stream-craft';

/**
 * A stream-file destination as someone who can write to it would leave it
 * (a backup disk passed around, a share, a server): streams of their making,
 * encrypted too with the public recipient the manifest names, links where
 * Rewind expects folders and files, pipes and devices as part files. Through
 * the CLI and through D-Bus as an unprivileged active user, nothing may be
 * written outside the restore's scratch place, nothing outside the backup
 * folder may be deleted, and no call may hang.
 */
jest.setTimeout(300_000);

let fx: BackupFixture;
let alice: string;
/** Where a hostile stream aims: nothing may ever appear here. */
let outside: string;
const folders: Record<string, string> = {};
const points: Record<string, string> = {};

const homeFolder = (destination: string) => path.join(folders[destination], fx.hostName, 'home');

function writeConfig(extra: object[] = []): void {
  const config = JSON.parse(readFileSync(fx.configPath, 'utf8')) as Record<string, unknown>;
  const destinations = [
    { id: 'plain', kind: 'files', path: folders.plain, label: 'Shared folder' },
    { id: 'locked', kind: 'files', path: folders.locked, label: 'Encrypted folder', encrypt: true },
    ...extra,
  ];
  writeFileSync(fx.configPath, JSON.stringify({ ...config, destinations }));
}

function backUp(): RunRecord {
  return runBackupCli(fx);
}

/** The stored streams of a destination as they were after the first backup. */
const pristine: Record<string, string> = {};

function restoreCli(destination: string, to: string) {
  return helperCommand(fx, ['restore', '--destination', destination, '--snapshot', points[destination], '--path', 'alice', '--to', to], 60_000);
}

const scratchCopies = () => withTopLevel(fx, fx.source, (top) => sh('ls', ['-A', path.join(top, '.rewind')]).split('\n').filter((n) => n.startsWith('.restore-')));

async function stopHelper(): Promise<void> {
  const pid = activatedHelperPid(fx);
  if (!/^\d+$/.test(pid)) return;
  process.kill(Number(pid), 'SIGTERM');
  await waitFor('the helper to exit', () => !existsSync(`/proc/${pid}`) || undefined, 30_000);
}

/** A full stream of the point `destination` holds, with `commands`: what an attacker writes there. */
function plant(destination: string, commands: Parameters<typeof fullStream>[2]): void {
  const entry = readManifest(homeFolder(destination)).streams[0];
  plantStream(homeFolder(destination), 0, fullStream(entry.name, entry.receivedUuid, commands));
}

const ino = (n: number) => [ATTR.INO, u64(n)] as [number, Buffer];
const relativeOutside = () => `${'../'.repeat(24)}${outside.slice(1)}`;

/** The hostile streams, each tried on every way in. */
const attacks: Record<string, () => Parameters<typeof fullStream>[2]> = {
  'a link, then a file written through it': () => [
    [MORE.SYMLINK, [[ATTR.PATH, str('esc')], ino(300), [ATTR.PATH_LINK, str(outside)]]],
    [MORE.MKFILE, [[ATTR.PATH, str('esc/pwned')], ino(301)]],
    [CMD.WRITE, [[ATTR.PATH, str('esc/pwned')], [ATTR.FILE_OFFSET, u64(0)], [ATTR.DATA, str('#!/bin/sh\nid\n')]]],
    [MORE.CHMOD, [[ATTR.PATH, str('esc/pwned')], [MORE_ATTR.MODE, u64(0o4755)]]],
  ],
  'a link to a file, then a write to the link': () => [
    [MORE.SYMLINK, [[ATTR.PATH, str('victim')], ino(300), [ATTR.PATH_LINK, str(path.join(outside, 'existing'))]]],
    [CMD.WRITE, [[ATTR.PATH, str('victim')], [ATTR.FILE_OFFSET, u64(0)], [ATTR.DATA, str('overwritten')]]],
  ],
  'paths with ..': () => [
    [MORE.MKFILE, [[ATTR.PATH, str(`${relativeOutside()}/dots`)], ino(300)]],
    [CMD.WRITE, [[ATTR.PATH, str(`${relativeOutside()}/dots`)], [ATTR.FILE_OFFSET, u64(0)], [ATTR.DATA, str('escaped')]]],
  ],
};

function expectNothingOutside(): void {
  expect(readdirSync(outside).sort()).toEqual(['existing']);
  expect(readFileSync(path.join(outside, 'existing'), 'utf8')).toBe('keep me\n');
}

beforeAll(async () => {
  fx = await createBackupFixture();
  alice = fx.allowed.name;
  sh('chown', ['-R', `${alice}:${alice}`, path.join(fx.home, 'alice')]);
  outside = path.join(fx.dir, 'outside');
  for (const name of ['plain', 'locked']) {
    folders[name] = path.join(fx.dir, `folder-${name}`);
    mkdirSync(folders[name]);
  }
  writeConfig();
  expect(helperCommand(fx, ['new-key', '--destination', 'locked']).status).toBe(0);
  const run = backUp();
  expect(run.transfers.map((t) => [t.destination, t.ok, t.kind])).toEqual([
    ['plain', true, 'full'],
    ['locked', true, 'full'],
  ]);
  for (const t of run.transfers) points[t.destination] = t.snapshot;
  for (const name of ['plain', 'locked']) {
    pristine[name] = path.join(fx.dir, `pristine-${name}`);
    cpSync(homeFolder(name), pristine[name], { recursive: true });
  }
});

afterAll(async () => {
  await fx?.cleanup.run();
});

beforeEach(() => {
  rmSync(outside, { recursive: true, force: true });
  mkdirSync(outside, { mode: 0o755 });
  writeFileSync(path.join(outside, 'existing'), 'keep me\n');
  for (const name of ['plain', 'locked']) {
    rmSync(homeFolder(name), { recursive: true, force: true });
    cpSync(pristine[name], homeFolder(name), { recursive: true });
  }
});

describe('a planted stream is refused, and writes nothing outside its scratch place', () => {
  for (const [attack, commands] of Object.entries(attacks)) {
    for (const destination of ['plain', 'locked']) {
      test(`${attack} (${destination === 'locked' ? 'encrypted with the public recipient' : 'plain'}): restore on the command line`, async () => {
        plant(destination, commands());
        // verify finds it without restoring: the restore's own guard reads every command.
        const verify = helperCommand(fx, ['verify', '--destination', destination], 60_000);
        expect({ status: verify.status, out: verify.stdout }).toEqual({ status: 1, out: expect.stringMatching(/DAMAGED: .* would be refused when restored: The stream/) });
        const to = path.join(fx.dir, `restored-${destination}`);
        const result = restoreCli(destination, to);
        expectNothingOutside();
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/cannot be restored: The stream (reaches|writes to|names a path with).*(symbolic link|"\.\.")/);
        expect(result.stderr).toMatch(/changed or made by someone else/);
        expect(existsSync(to)).toBe(false);
        expect(await scratchCopies()).toEqual([]);
      });
    }
  }

  test('opening the point in the restore browser as an unprivileged user, with no password', async () => {
    for (const [attack, commands] of Object.entries(attacks)) {
      plant('locked', commands());
      const answer = callAs<FolderListing>(fx, alice, 'ListFolder', { from: 'locked', snapshot: points.locked, path: 'alice' });
      expectNothingOutside();
      expect({ attack, error: answer.error?.name }).toEqual({ attack, error: 'io.github.rewindbackup.Rewind.Error.BackupDamaged' });
      // The same point, put back as it was, still opens: the refusal left nothing behind that blocks it.
      rmSync(homeFolder('locked'), { recursive: true, force: true });
      cpSync(pristine.locked, homeFolder('locked'), { recursive: true });
      const good = callAs<FolderListing>(fx, alice, 'ListFolder', { from: 'locked', snapshot: points.locked, path: 'alice' });
      expect(good.error).toBeUndefined();
      expect(good.result!.entries.map((e) => e.name)).toContain('Documents');
      // The helper keeps a point it fetched; the next attack needs a helper that fetches anew.
      await stopHelper();
    }
  });
});

describe('links and special files in a backup folder are never followed', () => {
  const victim = () => path.join(fx.dir, 'victim');

  function makeVictim(): void {
    rmSync(victim(), { recursive: true, force: true });
    mkdirSync(victim(), { mode: 0o700 });
    writeFileSync(path.join(victim(), 'important.conf'), 'root only\n');
    writeFileSync(path.join(victim(), '20260101T000000Z.full.btrfs.zst.000'), 'looks like ours\n');
  }

  for (const where of ['host folder', 'subvolume folder']) {
    test(`a link as the ${where}: the backup is refused, the link's target untouched`, () => {
      makeVictim();
      const linked = path.join(fx.dir, `linked-${where.split(' ')[0]}`);
      mkdirSync(path.join(linked, fx.hostName), { recursive: true });
      if (where === 'host folder') {
        rmSync(path.join(linked, fx.hostName), { recursive: true });
        symlinkSync(victim(), path.join(linked, fx.hostName));
      } else {
        symlinkSync(victim(), path.join(linked, fx.hostName, 'home'));
      }
      writeConfig([{ id: 'linked', kind: 'files', path: linked, label: 'Linked folder' }]);
      try {
        const run = backUp();
        const transfer = run.transfers.find((t) => t.destination === 'linked')!;
        expect(transfer.ok).toBe(false);
        expect(transfer.error?.message).toMatch(/is a link, not a folder: Rewind never follows links/);
        expect(readdirSync(victim()).sort()).toEqual(['20260101T000000Z.full.btrfs.zst.000', 'important.conf']);
        expect(readFileSync(path.join(victim(), 'important.conf'), 'utf8')).toBe('root only\n');
        // The other destinations went on as usual.
        expect(run.transfers.filter((t) => t.destination !== 'linked').every((t) => t.ok)).toBe(true);
      } finally {
        writeConfig();
      }
    });
  }

  test('files that are not ours in a subvolume folder are left alone by the cleanup', () => {
    writeFileSync(path.join(homeFolder('plain'), 'README.txt'), 'the admin wrote this\n');
    mkdirSync(path.join(homeFolder('plain'), 'old-stuff'));
    symlinkSync(path.join(victim(), 'important.conf'), path.join(homeFolder('plain'), '20260101T000000Z.full.btrfs.zst.001'));
    makeVictim();
    const run = backUp();
    expect(run.transfers.find((t) => t.destination === 'plain')!.ok).toBe(true);
    expect(readdirSync(homeFolder('plain'))).toEqual(expect.arrayContaining(['README.txt', 'old-stuff', '20260101T000000Z.full.btrfs.zst.001']));
    expect(readFileSync(path.join(victim(), 'important.conf'), 'utf8')).toBe('root only\n');
  });

  for (const [kind, make] of [
    ['a pipe', (file: string) => sh('mkfifo', [file])],
    ['a link to /dev/zero', (file: string) => symlinkSync('/dev/zero', file)],
  ] as Array<[string, (file: string) => void]>) {
    test(`a part file that is ${kind}: verify and restore answer at once, naming the file`, () => {
      const part = readManifest(homeFolder('plain')).streams[0].parts[0].file;
      rmSync(path.join(homeFolder('plain'), part));
      make(path.join(homeFolder('plain'), part));
      const started = Date.now();
      const verify = helperCommand(fx, ['verify', '--destination', 'plain'], 30_000);
      expect(verify.status).not.toBe(0);
      expect(`${verify.stdout}${verify.stderr}`).toContain(part);
      expect(`${verify.stdout}${verify.stderr}`).toMatch(new RegExp(`is ${kind.startsWith('a pipe') ? 'a pipe' : 'a link'}, not a file`));
      const restored = restoreCli('plain', path.join(fx.dir, 'restored-special'));
      expect(restored.status).not.toBe(0);
      expect(restored.stderr).toContain(part);
      expect(Date.now() - started).toBeLessThan(30_000);
    });
  }
});
