import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { RewindError } from '../../src/core/errors';
import { REWIND_VERSION } from '../../src/core/ids';
import { sh, shResult, waitFor } from '../support/exec';
import { writeRandomFile } from '../support/random-file';
import { ATTR, CMD, command, str, streamHeader, u64 } from '../support/send-stream-craft';
import { createLoopBtrfs, mountLoop } from '../support/loop-btrfs';
import { createServeFixture, listDir, sendSnapshot, sendToBuffer, startServe, stopServes, type ServeFixture } from '../support/serve-fixture';

/**
 * `rewind-helper serve` driven directly over its stdin/stdout, on real btrfs:
 * full and incremental receives (plain, zstd, protocol 2 with compressed
 * data), listing, reading files back, space, delete, and what an interrupted
 * receive leaves (nothing, or an incomplete backup that clean removes).
 */
jest.setTimeout(300_000);

const HOST = 'alice-laptop';
let fx: ServeFixture;
let folder: string;

function uuidOf(subvolume: string): string {
  return /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', ['subvolume', 'show', subvolume]))![1];
}

/** Files, modes, links and contents equal between a client snapshot and its backup. */
function expectSameTree(a: string, b: string): void {
  const r = shResult('diff', ['-r', '--no-dereference', a, b]);
  expect(r.stdout + r.stderr).toBe('');
  const listing = (dir: string) => sh('find', [dir, '-printf', '%P %m %y %s %l\\n']).split('\n').sort().join('\n');
  expect(listing(b)).toBe(listing(a));
}

async function expectRefused(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as RewindError | undefined;
  expect(error).toBeDefined();
  expect({ code: error!.code, detail: error!.detail }).toEqual({ code, detail: expect.stringMatching(message) });
}

beforeAll(() => {
  fx = createServeFixture('rewind-serve');
  folder = path.join(fx.root, HOST, 'home');
  mkdirSync(path.join(fx.home, 'alice/Documents'), { recursive: true });
  writeFileSync(path.join(fx.home, 'alice/Documents/report.txt'), 'Quarterly report\n'.repeat(2000));
  writeFileSync(path.join(fx.home, 'alice/.bashrc'), 'export EDITOR=nano\n', { mode: 0o600 });
  symlinkSync('Documents/report.txt', path.join(fx.home, 'alice/latest'));
  writeRandomFile(path.join(fx.home, 'alice/photo.raw'), 8);
});

afterEach(async () => {
  // A failed test must not leave a connection holding the host's lock for the next ones.
  await stopServes(fx);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('a connection', () => {
  test('says hello with its version, its host and what it can receive', async () => {
    const serve = startServe(fx, HOST);
    const hello = await serve.client.hello();
    expect(hello).toEqual({
      ok: true,
      version: 1,
      host: HOST,
      sendProtocols: [1, 2],
      zstd: true,
      btrfs: true,
      serverVersion: REWIND_VERSION,
      filesystem: 'btrfs',
      canReceive: true,
      selinux: false,
      freeBytes: expect.any(Number),
      totalBytes: expect.any(Number),
      writable: true,
      filtersXattrs: true,
    });
    // The free space the hello tells is what "space" says.
    expect(await serve.client.space()).toMatchObject({ totalBytes: hello.totalBytes });
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });

  test('answers a refused request and goes on', async () => {
    const serve = startServe(fx, HOST);
    expect(await serve.client.rawLine('{"op":"list","subvolume":"home","extra":1}')).toEqual({
      ok: false,
      error: { code: 'InvalidArgs', message: 'list: unknown field "extra".' },
    });
    expect(await serve.client.rawLine('not json')).toMatchObject({ ok: false, error: { code: 'InvalidArgs' } });
    expect(await serve.client.list('home')).toEqual([]);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });

  test('closes on a request line longer than 64 KiB', async () => {
    const serve = startServe(fx, HOST);
    const answer = await serve.client.rawLine(`{"op":"list","subvolume":"${'a'.repeat(70_000)}"}`);
    expect(answer).toEqual({ ok: false, error: { code: 'InvalidArgs', message: 'A message is longer than 65536 bytes.' } });
    expect(await serve.exit).toBe(1);
  });
});

describe('receiving backups', () => {
  let first: string;
  let second: string;

  test('a full stream without compression becomes a complete backup, listed with its UUIDs', async () => {
    first = fx.snapshot('20260101T080000Z');
    const serve = startServe(fx, HOST);
    const send = sendSnapshot(first);
    const result = await serve.client.receive({ subvolume: 'home', name: '20260101T080000Z', compression: 'none', stream: send.stream });
    await send.done;
    const backup = path.join(folder, '20260101T080000Z');
    expect(result).toEqual({
      ok: true,
      name: '20260101T080000Z',
      uuid: uuidOf(backup),
      receivedUuid: uuidOf(first),
      wireBytes: result.streamBytes,
      streamBytes: expect.any(Number),
    });
    expect(result.streamBytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(await serve.client.list('home')).toEqual([
      {
        name: '20260101T080000Z',
        uuid: result.uuid,
        receivedUuid: uuidOf(first),
        readOnly: true,
        createdGeneration: expect.any(Number),
        complete: true,
      },
    ]);
    expectSameTree(first, backup);
    // Only root may enter the host's folders: a received stream may hold setuid files.
    expect(statSync(path.join(fx.root, HOST)).mode & 0o777).toBe(0o700);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });

  test('an incremental stream compressed with zstd is based on the backup of its parent', async () => {
    writeFileSync(path.join(fx.home, 'alice/Documents/notes.md'), '# Notes\n'.repeat(5000));
    sh('rm', [path.join(fx.home, 'alice/.bashrc')]);
    second = fx.snapshot('20260102T080000Z');
    const serve = startServe(fx, HOST);
    const send = sendSnapshot(second, first);
    const result = await serve.client.receive({ subvolume: 'home', name: '20260102T080000Z', compression: 'zstd', stream: send.stream });
    await send.done;
    const backup = path.join(folder, '20260102T080000Z');
    expect(result).toMatchObject({ ok: true, receivedUuid: uuidOf(second), parentUuid: uuidOf(path.join(folder, '20260101T080000Z')) });
    expect(result.wireBytes).toBeLessThan(result.streamBytes / 4);
    expectSameTree(second, backup);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });

  test('a protocol 2 stream with compressed extents is received as it is', async () => {
    writeFileSync(path.join(fx.home, 'alice/Documents/big.txt'), 'compressible line\n'.repeat(200_000));
    sh('btrfs', ['property', 'set', path.join(fx.home, 'alice/Documents/big.txt'), 'compression', 'zstd']);
    sh('sync', []);
    const third = fx.snapshot('20260103T080000Z');
    const serve = startServe(fx, HOST);
    const send = sendSnapshot(third, second, ['--proto', '2', '--compressed-data']);
    const result = await serve.client.receive({ subvolume: 'home', name: '20260103T080000Z', compression: 'zstd', stream: send.stream });
    await send.done;
    expect(result).toMatchObject({ ok: true, receivedUuid: uuidOf(third) });
    expectSameTree(third, path.join(folder, '20260103T080000Z'));
    expect((await serve.client.list('home')).map((b) => b.name)).toEqual(['20260101T080000Z', '20260102T080000Z', '20260103T080000Z']);
    serve.child.stdin!.end();
    await serve.exit;
  });

  test('a name that is already there is refused before any byte is sent', async () => {
    const serve = startServe(fx, HOST);
    const stream = new PassThrough();
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260101T080000Z', compression: 'none', stream }),
      'InvalidArgs',
      /^home\/20260101T080000Z already exists on the server\.$/,
    );
    expect(await serve.client.list('home')).toHaveLength(3);
    serve.child.stdin!.end();
    await serve.exit;
  });

  test('a stream whose subvolume has another name is refused, and nothing is left', async () => {
    const serve = startServe(fx, HOST);
    const before = listDir(folder);
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260109T000000Z', compression: 'none', stream: Readable.from([sendToBuffer(first)]) }),
      'InvalidArgs',
      /subvolume is named "20260101T080000Z", not 20260109T000000Z/,
    );
    expect(listDir(folder)).toEqual(before);
    // The connection goes on after the refusal.
    expect(await serve.client.list('home')).toHaveLength(3);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });
});

describe('reading backups', () => {
  test('read returns a file with its metadata, readdir a folder', async () => {
    const serve = startServe(fx, HOST);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (d: Buffer) => chunks.push(d));
    const file = await serve.client.read({ subvolume: 'home', name: '20260101T080000Z', path: 'alice/photo.raw', sink });
    const original = readFileSync(path.join(fx.clientMount, '.rewind/home/20260101T080000Z/alice/photo.raw'));
    expect(Buffer.concat(chunks).equals(original)).toBe(true);
    expect(file).toMatchObject({ ok: true, size: original.length, bytes: original.length, mode: 0o100644, uid: 0, gid: 0 });
    expect(file.mtimeNs).toMatch(/^\d{19}$/);
    const entries = await serve.client.readdir('home', '20260101T080000Z', 'alice');
    expect(entries.map((e) => [e.name, e.type, e.target])).toEqual([
      ['.bashrc', 'file', undefined],
      ['Documents', 'dir', undefined],
      ['latest', 'symlink', 'Documents/report.txt'],
      ['photo.raw', 'file', undefined],
    ]);
    expect((await serve.client.readdir('home', '20260101T080000Z', '')).map((e) => e.name)).toEqual(['alice']);
    await expectRefused(
      serve.client.read({ subvolume: 'home', name: '20260101T080000Z', path: 'alice/latest', sink: new PassThrough() }),
      'InvalidArgs',
      /alice\/latest is a symbolic link/,
    );
    await expectRefused(
      serve.client.read({ subvolume: 'home', name: '20260101T080000Z', path: 'alice', sink: new PassThrough() }),
      'InvalidArgs',
      /not a regular file/,
    );
    serve.child.stdin!.end();
    await serve.exit;
  });

  test('space and sync report the filesystem of ROOT', async () => {
    const serve = startServe(fx, HOST);
    const space = await serve.client.space();
    expect(space.totalBytes).toBe(512 * 1024 * 1024);
    expect(space.freeBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(space.freeBytes).toBeLessThan(space.totalBytes);
    await serve.client.sync();
    serve.child.stdin!.end();
    await serve.exit;
  });
});

describe('interrupted receives', () => {
  /** Sends a receive request and the first `bytes` of a stream, by hand. */
  async function beginReceive(serve: ReturnType<typeof startServe>, name: string, stream: Buffer, bytes: number): Promise<void> {
    expect(await serve.client.rawLine(JSON.stringify({ op: 'receive', subvolume: 'home', name, compression: 'none' }))).toEqual({ ok: true, ready: true });
    for (let at = 0; at < bytes; at += 65536) {
      const part = stream.subarray(at, Math.min(bytes, at + 65536));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(part.length);
      serve.child.stdin!.write(Buffer.concat([header, part]));
    }
    await waitFor(`${name} to appear`, () => listDir(folder).includes(name) || undefined);
  }

  test('a client that goes away mid-stream leaves nothing: the server removes the partial backup', async () => {
    writeRandomFile(path.join(fx.home, 'alice/video.raw'), 24);
    const snapshot = fx.snapshot('20260104T080000Z');
    const stream = sendToBuffer(snapshot, path.join(fx.clientMount, '.rewind/home/20260103T080000Z'));
    const serve = startServe(fx, HOST);
    await beginReceive(serve, '20260104T080000Z', stream, 4 * 1024 * 1024);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(1);
    expect(listDir(folder)).toEqual(['20260101T080000Z', '20260102T080000Z', '20260103T080000Z']);
    expect(listDir(fx.root)).toEqual([HOST]);
    expect(listDir(path.join(fx.runtimeDir, 'serve'))).toEqual([]);
  });

  test('a server killed mid-stream leaves an incomplete backup: listed as such, refused as a name, removed by clean', async () => {
    const stream = sendToBuffer(path.join(fx.clientMount, '.rewind/home/20260104T080000Z'), path.join(fx.clientMount, '.rewind/home/20260103T080000Z'));
    const killed = startServe(fx, HOST);
    await beginReceive(killed, '20260104T080000Z', stream, 4 * 1024 * 1024);
    killed.child.kill('SIGKILL');
    await killed.exit;
    // btrfs receive ends on its own once its input is gone.
    await waitFor('btrfs receive to end', () => !sh('ps', ['-eo', 'args']).includes(`btrfs receive -q -e -C ${folder}`) || undefined);

    const serve = startServe(fx, HOST);
    const listed = await serve.client.list('home');
    expect(listed.find((b) => b.name === '20260104T080000Z')).toMatchObject({ readOnly: false, complete: false });
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260104T080000Z', compression: 'none', stream: new PassThrough() }),
      'InvalidArgs',
      /already exists/,
    );
    expect(await serve.client.clean('home')).toEqual(['20260104T080000Z']);
    expect(listDir(folder)).toEqual(['20260101T080000Z', '20260102T080000Z', '20260103T080000Z']);
    // The next receive of that name works; the stale lock of the killed process was taken over.
    const result = await serve.client.receive({ subvolume: 'home', name: '20260104T080000Z', compression: 'zstd', stream: Readable.from([stream]) });
    expect(result).toMatchObject({ ok: true, name: '20260104T080000Z' });
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  });

  test('a second connection of the same host may not change its backups during a receive', async () => {
    writeRandomFile(path.join(fx.home, 'alice/more.raw'), 8);
    const snapshot = fx.snapshot('20260105T080000Z');
    const stream = sendToBuffer(snapshot, path.join(fx.clientMount, '.rewind/home/20260104T080000Z'));
    const busy = startServe(fx, HOST);
    await beginReceive(busy, '20260105T080000Z', stream, 1024 * 1024);
    const other = startServe(fx, HOST);
    await expectRefused(other.client.delete('home', '20260101T080000Z'), 'Busy', /Another connection of alice-laptop is changing its backups/);
    // Reading is not changing: it goes on.
    expect((await other.client.list('home')).length).toBeGreaterThan(3);
    other.child.stdin!.end();
    busy.child.stdin!.end();
    expect(await busy.exit).toBe(1);
    expect(listDir(folder)).not.toContain('20260105T080000Z');
  });
});

describe('failures of the transfer itself', () => {
  test('a server stopped with SIGTERM mid-stream removes the partial backup before it exits', async () => {
    const stream = sendToBuffer(path.join(fx.clientMount, '.rewind/home/20260105T080000Z'), path.join(fx.clientMount, '.rewind/home/20260104T080000Z'));
    const serve = startServe(fx, HOST);
    expect(await serve.client.rawLine(JSON.stringify({ op: 'receive', subvolume: 'home', name: '20260105T080000Z', compression: 'none' }))).toEqual({ ok: true, ready: true });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024);
    serve.child.stdin!.write(Buffer.concat([header, stream.subarray(0, 1024 * 1024)]));
    await waitFor('the partial backup', () => listDir(folder).includes('20260105T080000Z') || undefined);
    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(1);
    expect(listDir(folder)).not.toContain('20260105T080000Z');
  });

  test('corrupt zstd data is a failed transfer, and nothing stays', async () => {
    const stream = sendToBuffer(path.join(fx.clientMount, '.rewind/home/20260105T080000Z'), path.join(fx.clientMount, '.rewind/home/20260104T080000Z'));
    const compressed = execFileSync('zstd', ['-q', '-c'], { input: stream, maxBuffer: 1 << 30 });
    // A broken frame header: zstd fails before it writes anything.
    compressed.fill(0x55, 0, 4);
    const serve = startServe(fx, HOST);
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260105T080000Z', compression: 'none', stream: Readable.from([compressed]) }),
      'InvalidArgs',
      /^The data is not a btrfs send stream\.$/,
    );
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260105T080000Z', compression: 'zstd', alreadyCompressed: true, stream: Readable.from([compressed]) }),
      'TransferFailed',
      /^The compressed stream could not be read: /,
    );
    expect(await serve.client.list('home')).toHaveLength(4);
    expect(listDir(folder)).not.toContain('20260105T080000Z');
  });

  test('a full disk is reported as such, and the partial backup is removed', async () => {
    const small = createLoopBtrfs(fx.cleanup, fx.dir, 'small', 128);
    const mount = path.join(fx.dir, 'small');
    mountLoop(fx.cleanup, small, mount);
    const root = path.join(mount, 'backups');
    mkdirSync(root, { mode: 0o700 });
    // A stream of 200 MiB of random file data, made as it is sent.
    async function* bigStream(): AsyncGenerator<Buffer> {
      yield Buffer.concat([
        streamHeader(),
        command(CMD.SUBVOL, [[ATTR.PATH, str('20260110T000000Z')], [ATTR.UUID, randomBytes(16)], [ATTR.CTRANSID, u64(1)]]),
        command(CMD.MKFILE, [[ATTR.PATH, str('big')], [ATTR.INO, u64(257)]]),
      ]);
      const block = 48 * 1024;
      for (let offset = 0; offset < 200 * 1024 * 1024; offset += block) {
        yield command(CMD.WRITE, [[ATTR.PATH, str('big')], [ATTR.FILE_OFFSET, u64(offset)], [ATTR.DATA, randomBytes(block)]]);
      }
      yield command(CMD.END, []);
    }
    const serve = startServe(fx, HOST, {}, root);
    await expectRefused(
      serve.client.receive({ subvolume: 'home', name: '20260110T000000Z', compression: 'none', stream: Readable.from(bigStream()) }),
      'DestinationFull',
      /^The server ran out of space during the backup\.$/,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nserve said: ${serve.stderr()}`);
    });
    expect(await serve.client.list('home')).toEqual([]);
    expect(listDir(path.join(root, HOST, 'home'))).toEqual([]);
    // With the disk still full, requests that change nothing on it, or free it, still work.
    expect(await serve.client.clean('home')).toEqual([]);
    expect((await serve.client.space()).totalBytes).toBe(128 * 1024 * 1024);
  });
});

describe('deleting backups', () => {
  test('delete removes one backup; one that is not there is refused', async () => {
    const serve = startServe(fx, HOST);
    await serve.client.delete('home', '20260101T080000Z');
    expect(listDir(folder)).toEqual(['20260102T080000Z', '20260103T080000Z', '20260104T080000Z']);
    await expectRefused(serve.client.delete('home', '20260101T080000Z'), 'InvalidArgs', /^There is no backup 20260101T080000Z of home\.$/);
    await expectRefused(serve.client.delete('work', '20260102T080000Z'), 'InvalidArgs', /^There is no backup 20260102T080000Z of work\.$/);
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
    expect(lstatSync(path.join(folder, '20260102T080000Z')).isDirectory()).toBe(true);
  });
});
