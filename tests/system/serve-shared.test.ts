import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { BackupInfo } from '../../src/core/serve-protocol';
import type { RewindError } from '../../src/core/errors';
import { sh } from '../support/exec';
import { ATTR, CMD, fullStream, str, u64 } from '../support/send-stream-craft';
import { createServeFixture, listDir, sendToBuffer, startServeProcess, stopServes, type ServeFixture, type ServeProcess } from '../support/serve-fixture';
import { makeKey, startSshd, type Sshd } from '../support/sshd';

/**
 * Two hosts on one server, each through its own key (a real sshd, keys
 * installed by accept-key): a backup's identity is its received UUID, so the
 * server refuses a stream whose subvolume UUID another subvolume already
 * holds. Otherwise bob's key could upload alice's stream (or one crafted
 * with her UUID) into its own folder, and alice's next incremental would be
 * refused, its parent no longer being only hers. Also: a zstd failure is
 * reported in zstd's words.
 */
jest.setTimeout(300_000);

const A = 'alice-laptop';
const B = 'bob-desktop';
const FIRST = '20260101T080000Z';
const SECOND = '20260102T080000Z';
const COPY = '20260103T080000Z';

let fx: ServeFixture;
let sshd: Sshd;
let keyA: string;
let keyB: string;
let aliceFolder: string;
let bobFolder: string;
/** The stream alice sent for her first backup, and that backup as the server lists it. */
let firstStream: Buffer;
let first: BackupInfo;

function connect(key: string): ServeProcess {
  return startServeProcess(fx, 'ssh', [...sshd.sshArgs(key), 'rewind-helper', 'serve']);
}

async function refusal(promise: Promise<unknown>): Promise<RewindError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RewindError,
  );
  if (!error) throw new Error('the request was not refused');
  return error;
}

function receive(serve: ServeProcess, name: string, stream: Buffer) {
  return serve.client.receive({ subvolume: 'home', name, compression: 'zstd', stream: Readable.from([stream]) });
}

/** A full stream named `name` whose subvolume has `uuid`, with one file. */
function craftedFull(name: string, uuid: string): Buffer {
  return fullStream(name, uuid, [[CMD.MKFILE, [[ATTR.PATH, str('planted')], [ATTR.INO, u64(257)]]]]);
}

beforeAll(async () => {
  fx = createServeFixture('rewind-serve-shared');
  aliceFolder = path.join(fx.root, A, 'home');
  bobFolder = path.join(fx.root, B, 'home');
  const helper = path.join(fx.dir, 'rewind-helper');
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);
  sshd = await startSshd(fx.cleanup, fx.dir);
  keyA = makeKey(fx.dir, 'key-alice', `rewind@${A}`);
  keyB = makeKey(fx.dir, 'key-bob', `rewind@${B}`);
  for (const [key, host] of [
    [keyA, A],
    [keyB, B],
  ]) {
    const r = spawnSync(process.execPath, [fx.bundle, 'accept-key', '--root', fx.root, '--host', host, '--authorized-keys', sshd.authorizedKeys, '--helper', helper], {
      input: readFileSync(`${key}.pub`),
      encoding: 'utf8',
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  }
  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'alice notes\n'.repeat(100));
  firstStream = sendToBuffer(fx.snapshot(FIRST));
  const alice = connect(keyA);
  await receive(alice, FIRST, firstStream);
  [first] = await alice.client.list('home');
});

afterEach(async () => {
  await stopServes(fx);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe("one host's upload never changes another host's chain", () => {
  const elsewhere = (uuid: string) =>
    `This backup already exists for another computer on this server (its subvolume ${uuid} is there outside this folder); it was refused, and nothing was received.`;

  test("bob's key uploading the very stream alice sent is refused, and nothing is left in bob's folder", async () => {
    expect(first).toMatchObject({ name: FIRST, complete: true });
    const bob = connect(keyB);
    const error = await refusal(receive(bob, FIRST, firstStream));
    expect({ code: error.code, detail: error.detail }).toEqual({ code: 'InvalidArgs', detail: elsewhere(first.receivedUuid!) });
    expect(await bob.client.list('home')).toEqual([]);
    expect(listDir(bobFolder)).toEqual([]);
  });

  test("a crafted full stream with alice's received UUID, or her backup's own UUID, is refused as well", async () => {
    const bob = connect(keyB);
    for (const uuid of [first.receivedUuid!, first.uuid]) {
      const error = await refusal(receive(bob, FIRST, craftedFull(FIRST, uuid)));
      expect({ code: error.code, detail: error.detail }).toEqual({ code: 'InvalidArgs', detail: elsewhere(uuid) });
      expect(await bob.client.list('home')).toEqual([]);
      expect(listDir(bobFolder)).toEqual([]);
    }
    // A stream of bob's own is still welcome.
    const own = await receive(bob, FIRST, craftedFull(FIRST, '0badc0de-0000-4000-8000-000000000001'));
    expect(own).toMatchObject({ ok: true, receivedUuid: '0badc0de-0000-4000-8000-000000000001' });
    await bob.client.delete('home', FIRST);
  });

  test("alice's next incremental is then received, based on her first backup", async () => {
    writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'changed\n');
    const second = fx.snapshot(SECOND);
    const alice = connect(keyA);
    const result = await receive(alice, SECOND, sendToBuffer(second, path.join(fx.clientMount, '.rewind/home', FIRST)));
    expect(result).toMatchObject({ ok: true, name: SECOND, parentUuid: first.uuid });
    const backups = await alice.client.list('home');
    expect(backups.map((b) => [b.name, b.complete, b.parentUuid])).toEqual([
      [FIRST, true, undefined],
      [SECOND, true, first.uuid],
    ]);
    expect(readFileSync(path.join(aliceFolder, SECOND, 'alice/notes.txt'), 'utf8')).toBe('changed\n');
    expect(listDir(bobFolder)).toEqual([]);
  });

  test('a second copy of a backup in the same folder is refused', async () => {
    // The same snapshot (same UUID) under another name: a real btrfs send stream of it.
    const snapshots = path.join(fx.clientMount, '.rewind/home');
    renameSync(path.join(snapshots, FIRST), path.join(snapshots, COPY));
    let stream: Buffer;
    try {
      stream = sendToBuffer(path.join(snapshots, COPY));
    } finally {
      renameSync(path.join(snapshots, COPY), path.join(snapshots, FIRST));
    }
    const alice = connect(keyA);
    const error = await refusal(receive(alice, COPY, stream));
    expect({ code: error.code, detail: error.detail }).toEqual({
      code: 'InvalidArgs',
      detail: `This backup is already on the server as ${FIRST} in this folder (subvolume ${first.receivedUuid}); it was refused, and nothing was received.`,
    });
    expect(listDir(aliceFolder)).toEqual([FIRST, SECOND]);
    // The chain goes on.
    writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'changed again\n');
    const third = fx.snapshot('20260104T080000Z');
    const result = await receive(alice, '20260104T080000Z', sendToBuffer(third, path.join(snapshots, SECOND)));
    expect(result.parentUuid).toBe((await alice.client.list('home')).find((b) => b.name === SECOND)!.uuid);
  });
});

describe('a zstd failure', () => {
  test('is told in zstd\'s words, not as a list of byte values', async () => {
    const alice = connect(keyA);
    const garbage = Buffer.from('this is not zstd data\n'.repeat(100));
    const error = await refusal(
      alice.client.receive({ subvolume: 'home', name: '20260105T080000Z', compression: 'zstd', alreadyCompressed: true, stream: Readable.from([garbage]) }),
    );
    expect(error.code).toBe('TransferFailed');
    expect(error.detail).toMatch(/^The compressed stream could not be read: .*unsupported format/);
    expect(error.detail).not.toMatch(/\d+,\d+,\d+/);
    expect(listDir(aliceFolder)).not.toContain('20260105T080000Z');
    expect(listDir(aliceFolder)).toEqual([FIRST, SECOND, '20260104T080000Z']);
  });
});

describe('stream files planted in the own folder', () => {
  test('a FIFO is never opened by file-get or file-check, and a folder is not deleted by file-delete', async () => {
    const folder = path.join(fx.root, A, 'streams');
    mkdirSync(folder, { recursive: true });
    const fifo = path.join(folder, 'fifo.zst.000');
    sh('mkfifo', [fifo]);
    mkdirSync(path.join(folder, 'dir.zst.000'));
    // A writer waits until someone opens the FIFO for reading: the server must never be that reader.
    const writer = spawn('sh', ['-c', `echo x > '${fifo}'`], { stdio: 'ignore' });
    fx.cleanup.add(`stop ${writer.pid}`, () => writer.exitCode === null && writer.kill('SIGKILL'));
    const alice = connect(keyA);
    const notFile = 'streams/fifo.zst.000 is not a regular file on the server; refused.';
    expect((await refusal(alice.client.fileGet({ subvolume: 'streams', file: 'fifo.zst.000', sink: new PassThrough() }))).detail).toBe(notFile);
    expect((await refusal(alice.client.fileCheck('streams', 'fifo.zst.000'))).detail).toBe(notFile);
    expect((await refusal(alice.client.fileDelete('streams', 'dir.zst.000'))).detail).toBe('streams/dir.zst.000 is a folder on the server, not a file; refused.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(writer.exitCode).toBeNull();
    expect(existsSync(path.join(folder, 'dir.zst.000'))).toBe(true);
    writer.kill('SIGKILL');
    expect(await alice.client.fileDelete('streams', 'fifo.zst.000')).toBe(true);
    expect(await alice.client.fileList('streams')).toEqual([]);
  });
});
