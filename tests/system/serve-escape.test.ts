import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { RewindError } from '../../src/core/errors';
import type { ServeClient } from '../../src/helper/serve/client';
import { sh, shResult, waitFor } from '../support/exec';
import { ATTR, CMD, cloneSources, craftStream, str, u64 } from '../support/send-stream-craft';
import {
  createServeFixture,
  listDir,
  sendSnapshot,
  sendToBuffer,
  startServeProcess,
  stopServes,
  type ServeFixture,
  type ServeProcess,
} from '../support/serve-fixture';
import { makeKey, runSsh, startSshd, type Sshd } from '../support/sshd';

/**
 * Attempts to get out of `rewind-helper serve` through a real sshd, with keys
 * installed by `accept-key` as forced commands. Two hosts back up to one
 * server: alice-laptop's key tries everything it can think of to run another
 * command, to reach outside ROOT/alice-laptop/, or to read or delete
 * bob-desktop's backups. Each attempt is refused with a clear error, and at
 * the end nothing outside alice-laptop's own folder has changed.
 */
jest.setTimeout(300_000);

const A = 'alice-laptop';
const B = 'bob-desktop';
const NAME = '20260101T080000Z';

let fx: ServeFixture;
let sshd: Sshd;
let keyA: string;
let keyB: string;
let keyC: string;
let pwned: string;
let outside: string;
let bobSnapshot: string;
let bobState: string;
let aliceFolder: string;

/** Everything about bob's backups and the files outside ROOT that an escape could change. */
function stateOfOthers(): string {
  const bob = path.join(fx.root, B);
  return [
    sh('find', [bob, fx.dir + '/outside', '-printf', '%P %y %m %s %l\\n']),
    sh('btrfs', ['subvolume', 'show', path.join(bob, 'home', NAME)]).replace(/^\s*(Generation|Snapshot\(s\)).*$/gm, ''),
    readFileSync(path.join(bob, 'home', NAME, 'bob/secret.txt'), 'utf8'),
    readFileSync(path.join(outside, 'canary.txt'), 'utf8'),
  ].join('\n');
}

function connect(key: string): ServeProcess {
  return startServeProcess(fx, 'ssh', [...sshd.sshArgs(key), 'rewind-helper', 'serve']);
}

/**
 * One of alice's connections for many refused requests in a row (a refusal
 * leaves it usable, which the tests show too); an SSH login per case would
 * cost seconds each. Ended with the fixture, not after each test.
 */
let shared: ServeProcess | undefined;
function aliceShared(): ServeProcess {
  if (!shared || shared.child.exitCode !== null) {
    shared = connect(keyA);
    fx.running.delete(shared);
  }
  return shared;
}

async function refusal(promise: Promise<unknown>): Promise<RewindError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RewindError,
  );
  if (!error) throw new Error('the request was not refused');
  return error;
}

function acceptKey(key: string, host: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [fx.bundle, 'accept-key', '--root', fx.root, '--host', host, '--authorized-keys', sshd.authorizedKeys, '--helper', path.join(fx.dir, 'rewind-helper')],
    { input: readFileSync(`${key}.pub`), encoding: 'utf8' },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  fx = createServeFixture('rewind-serve-escape');
  pwned = `/tmp/rewind-pwned-${randomBytes(4).toString('hex')}`;
  fx.cleanup.add(`remove ${pwned}`, () => {
    rmSync(pwned, { force: true });
    rmSync(path.join('/root', path.basename(pwned)), { force: true });
  });
  outside = path.join(fx.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'canary.txt'), 'untouched\n');
  aliceFolder = path.join(fx.root, A, 'home');

  // The helper as sshd runs it: a launcher like the installed one.
  const helper = path.join(fx.dir, 'rewind-helper');
  // (Its locks go to the test's directory instead of /run/rewind.)
  writeFileSync(helper, `#!/bin/sh\nexec '${process.execPath}' '${fx.bundle}' "$@" --runtime-dir '${fx.runtimeDir}'\n`);
  chmodSync(helper, 0o755);

  sshd = await startSshd(fx.cleanup, fx.dir);
  keyA = makeKey(fx.dir, 'key-alice', `rewind@${A}`);
  keyB = makeKey(fx.dir, 'key-bob', `rewind@${B}`);
  keyC = makeKey(fx.dir, 'key-carol', 'rewind@carol-pc');
  for (const [key, host] of [
    [keyA, A],
    [keyB, B],
    [keyC, 'carol-pc'],
  ]) {
    expect(acceptKey(key, host)).toMatchObject({ stderr: '', status: 0, stdout: expect.stringContaining('Added in') });
  }

  // alice's home, with links that point out of her backup.
  mkdirSync(path.join(fx.home, 'alice'));
  writeFileSync(path.join(fx.home, 'alice/notes.txt'), 'alice notes\n');
  symlinkSync('/etc/passwd', path.join(fx.home, 'alice/passwd-link'));
  symlinkSync('/etc', path.join(fx.home, 'alice/etc-link'));
  symlinkSync(`../../../../${B}/home/${NAME}/bob/secret.txt`, path.join(fx.home, 'alice/bob-link'));
  symlinkSync(path.join(fx.root, B, 'home', NAME, 'bob'), path.join(fx.home, 'alice/bob-dir-link'));
  const aliceSnapshot = fx.snapshot(NAME);

  // bob's home: another subvolume on the client filesystem, snapshotted under the same name.
  const bobHome = path.join(fx.clientMount, 'bob-home');
  sh('btrfs', ['subvolume', 'create', bobHome]);
  mkdirSync(path.join(bobHome, 'bob'));
  writeFileSync(path.join(bobHome, 'bob/secret.txt'), 'bob secret\n'.repeat(1000));
  mkdirSync(path.join(fx.clientMount, '.rewind/bob-home'), { recursive: true });
  bobSnapshot = path.join(fx.clientMount, '.rewind/bob-home', NAME);
  sh('btrfs', ['subvolume', 'snapshot', '-r', bobHome, bobSnapshot]);

  for (const [key, snapshot] of [
    [keyA, aliceSnapshot],
    [keyB, bobSnapshot],
  ]) {
    const serve = connect(key);
    const send = sendSnapshot(snapshot);
    await serve.client.receive({ subvolume: 'home', name: NAME, compression: 'zstd', stream: send.stream });
    await send.done;
    serve.child.stdin!.end();
    expect(await serve.exit).toBe(0);
  }
  bobState = stateOfOthers();
});

afterEach(async () => {
  await stopServes(fx);
});

afterAll(async () => {
  await fx?.cleanup.run();
});

describe('accept-key', () => {
  test('wrote one forced-command line per host, and refuses a key already used for another host', () => {
    const lines = readFileSync(sshd.authorizedKeys, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    const blob = readFileSync(`${keyA}.pub`, 'utf8').split(' ')[1];
    expect(lines[0]).toBe(`command="${path.join(fx.dir, 'rewind-helper')} serve --root ${fx.root} --host ${A}",restrict ssh-ed25519 ${blob} rewind@${A}`);
    expect(acceptKey(keyA, A)).toMatchObject({ status: 0, stdout: expect.stringContaining('Already present') });
    expect(acceptKey(keyA, B)).toMatchObject({
      status: 1,
      stderr: `The key was not added to ${sshd.authorizedKeys}: this key is already allowed for the host ${A}; each host needs its own key.\n`,
    });
    expect(readFileSync(sshd.authorizedKeys, 'utf8').trim().split('\n')).toEqual(lines);
  });
});

describe('the forced command refuses', () => {
  const refusedCommand = (command: string) =>
    `${JSON.stringify({
      ok: false,
      error: { code: 'InvalidArgs', message: `This key may only run "rewind-helper serve"; it asked for the command ${JSON.stringify(command)}, which is refused.` },
    })}\n`;

  test.each([
    ['another command', ['ls', '/']],
    ['the helper with its own arguments', ['rewind-helper', 'serve', '--root', '/', '--host', B]],
    ['another helper verb', ['rewind-helper', 'accept-key', '--root', '/', '--host', 'x']],
    ['a shell', ['sh', '-c', 'id']],
    ['a second command after ";"', ['rewind-helper serve; touch PWNED']],
    ['a command substitution', ['rewind-helper serve $(touch PWNED)']],
    ['backticks', ['rewind-helper serve `touch PWNED`']],
    ['"&&"', ['rewind-helper serve && touch PWNED']],
    ['a pipe', ['rewind-helper serve | touch PWNED']],
    ['a redirection', ['rewind-helper serve > PWNED']],
    ['a newline', ['rewind-helper serve\ntouch PWNED']],
  ])('%s', (_what, words) => {
    const command = words.map((w) => w.replace('PWNED', pwned));
    const r = runSsh(sshd, keyA, command);
    expect(r).toEqual({
      status: 1,
      stdout: refusedCommand(command.join(' ')),
      stderr: `rewind-helper serve: ${JSON.parse(refusedCommand(command.join(' '))).error.message}\n`,
    });
    expect(existsSync(pwned)).toBe(false);
  });

  test('an interactive shell', () => {
    const r = runSsh(sshd, keyA, [], ['-T']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe('This key may only run "rewind-helper serve"; it asked for an interactive shell, which is refused.');
  });

  test('the sftp subsystem', () => {
    const r = runSsh(sshd, keyA, ['sftp'], ['-s']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe('This key may only run "rewind-helper serve"; it asked for the command "internal-sftp", which is refused.');
  });

  test('a terminal', () => {
    const r = runSsh(sshd, keyA, ['rewind-helper', 'serve'], ['-tt']);
    expect(r.stderr).toContain('PTY allocation request failed');
    expect(r.stdout).not.toContain('"ok":false');
  });

  test('remote port forwarding', () => {
    const r = runSsh(sshd, keyA, ['rewind-helper', 'serve'], ['-o', 'ExitOnForwardFailure=yes', '-R', '127.0.0.1:0:127.0.0.1:22']);
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/remote port forwarding failed/);
  });

  test('local port forwarding', async () => {
    const local = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const ssh = spawn('ssh', sshd.sshArgs(keyA, ['-o', 'LogLevel=INFO', '-N', '-L', `127.0.0.1:${local}:127.0.0.1:${sshd.port}`]), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    ssh.stderr.on('data', (d) => (stderr += d));
    fx.cleanup.add(`stop ssh ${ssh.pid}`, () => ssh.exitCode === null && ssh.kill('SIGKILL'));
    try {
      // Through the tunnel, sshd itself would answer with its banner; the forward must be refused instead.
      const received = await waitFor(
        'the forward to be tried',
        () =>
          new Promise<string | undefined>((resolve) => {
            const socket = net.connect(local, '127.0.0.1');
            let data = '';
            socket.on('data', (d) => (data += d));
            socket.on('error', () => resolve(undefined));
            socket.on('close', () => resolve(stderr.includes('prohibited') ? `closed:${data}` : undefined));
            setTimeout(() => socket.destroy(), 2000);
          }),
        20_000,
        200,
      );
      expect(received).toBe('closed:');
      expect(stderr).toMatch(/administratively prohibited/);
    } finally {
      ssh.kill('SIGTERM');
    }
  });
});

describe('a key acts only in its own host folder', () => {
  test('each host sees its own backups under the same names, and cannot name another host', async () => {
    const alice = connect(keyA);
    const bob = connect(keyB);
    expect((await alice.client.hello()).host).toBe(A);
    expect((await bob.client.hello()).host).toBe(B);
    const [aliceList, bobList] = [await alice.client.list('home'), await bob.client.list('home')];
    expect(aliceList.map((b) => b.name)).toEqual([NAME]);
    expect(bobList.map((b) => b.name)).toEqual([NAME]);
    expect(aliceList[0].uuid).not.toBe(bobList[0].uuid);
    expect(await alice.client.rawLine(JSON.stringify({ op: 'list', subvolume: 'home', host: B }))).toEqual({
      ok: false,
      error: { code: 'InvalidArgs', message: 'list: unknown field "host".' },
    });
    expect(await alice.client.list('bob-home')).toEqual([]);
    expect((await refusal(alice.client.read({ subvolume: 'home', name: NAME, path: 'bob/secret.txt', sink: new PassThrough() }))).detail).toBe(
      `bob is not in the backup ${NAME}.`,
    );
  });

  // "ROOT/..." stands for the absolute path of bob's folder, known only once the fixture exists.
  const badFolders = ['..', '.', `../${B}/home`, `../../${B}`, '/srv', `ROOT/${B}/home`, 'home/..', 'home/x', '', 'home\n', 'x'.repeat(256)];

  test.each(badFolders)('the folder %j is refused by every op', async (raw) => {
    const subvolume = raw.replace(/^ROOT/, fx.root);
    const alice = aliceShared();
    const requests: object[] = [
      { op: 'list', subvolume },
      { op: 'clean', subvolume },
      { op: 'delete', subvolume, name: NAME },
      { op: 'receive', subvolume, name: '20260301T000000Z', compression: 'none' },
      { op: 'read', subvolume, name: NAME, path: 'bob/secret.txt' },
      { op: 'readdir', subvolume, name: NAME, path: '' },
      { op: 'file-list', subvolume },
      { op: 'file-get', subvolume, file: 'manifest.json' },
      { op: 'file-put', subvolume, file: 'manifest.json' },
      { op: 'file-check', subvolume, file: 'manifest.json' },
      { op: 'file-delete', subvolume, file: 'manifest.json' },
      { op: 'send', subvolume, name: NAME },
      { op: 'diff', subvolume, from: NAME, to: NAME },
    ];
    for (const request of requests) {
      const answer = (await alice.client.rawLine(JSON.stringify(request))) as { ok: boolean; error: { code: string; message: string } };
      expect(answer.ok).toBe(false);
      expect(answer.error.code).toBe('InvalidArgs');
      expect(answer.error.message).toMatch(/"subvolume" must be one folder name/);
    }
  });

  // A folder name has no "/": these touch a relative name, which a shell would create in root's home (sshd's working directory).
  test.each(['home;touch PWNED', '$(touch PWNED)', '`touch PWNED`', 'home && touch PWNED'])('shell metacharacters in the folder %j are only characters', async (raw) => {
    const subvolume = raw.replace('PWNED', path.basename(pwned));
    const alice = aliceShared();
    expect(await alice.client.list(subvolume)).toEqual([]);
    expect(await alice.client.clean(subvolume)).toEqual([]);
    expect((await refusal(alice.client.delete(subvolume, NAME))).detail).toBe(`There is no backup ${NAME} of ${subvolume}.`);
    expect((await refusal(alice.client.readdir(subvolume, NAME, ''))).detail).toBe(`There is no backup ${NAME} of ${subvolume}.`);
    expect(existsSync(path.join('/root', path.basename(pwned)))).toBe(false);
    expect(listDir(path.join(fx.root, A))).toEqual(['home']);
  });

  test.each(['../x', `${NAME}/..`, `../../${B}/home/${NAME}`, '/etc', `${NAME};touch /tmp/x`, '$(id)', 'latest', ''])('the backup name %j is refused', async (name) => {
    const alice = aliceShared();
    for (const op of ['delete', 'read', 'readdir', 'receive', 'send']) {
      const request = { op, subvolume: 'home', name, ...(op === 'receive' ? { compression: 'none' } : op === 'delete' || op === 'send' ? {} : { path: op === 'read' ? 'a' : '' }) };
      const answer = (await alice.client.rawLine(JSON.stringify(request))) as { ok: boolean; error: { message: string } };
      expect(answer).toMatchObject({ ok: false, error: { code: 'InvalidArgs' } });
      expect(answer.error.message).toMatch(/"name" must be a backup name/);
    }
    for (const [from, to] of [[name, NAME], [NAME, name]]) {
      const answer = (await alice.client.rawLine(JSON.stringify({ op: 'diff', subvolume: 'home', from, to }))) as { ok: boolean; error: { message: string } };
      expect(answer).toMatchObject({ ok: false, error: { code: 'InvalidArgs' } });
      expect(answer.error.message).toMatch(/"(from|to)" must be a backup name/);
    }
  });

  test.each([
    ['exec', { op: 'exec', command: 'id' }, /^Unknown op "exec"; this server does only hello, list, folders, receive, delete, clean, space, read, readdir, sync, file-list, file-get, file-put, file-check, file-delete, send, diff\.$/],
    ['shell', { op: 'shell' }, /^Unknown op "shell"/],
    ['__proto__', { op: '__proto__' }, /^Unknown op "__proto__"/],
    ['constructor', { op: 'constructor' }, /^Unknown op "constructor"/],
    ['no op', { subvolume: 'home' }, /^A request needs "op", a string; found none\.$/],
    ['an array', ['list', 'home'], /^A request must be a JSON object; found an array\.$/],
    ['a wrong type', { op: 'delete', subvolume: ['home'], name: NAME }, /^delete: "subvolume" must be a string; found an array\.$/],
    ['an extra field', { op: 'hello', version: 1, run: 'id' }, /^hello: unknown field "run"\.$/],
  ])('an unknown or malformed request (%s) is refused', async (_what, request, message) => {
    const alice = aliceShared();
    const answer = (await alice.client.rawLine(JSON.stringify(request))) as { ok: boolean; error: { code: string; message: string } };
    expect(answer).toMatchObject({ ok: false, error: { code: 'InvalidArgs' } });
    expect(answer.error.message).toMatch(message);
    // The connection is still usable after a refusal.
    expect((await alice.client.hello()).host).toBe(A);
  });
});

describe('stream files (the file-… ops)', () => {
  function sha256(data: Buffer): string {
    return createHash('sha256').update(data).digest('hex');
  }

  async function put(client: ServeClient, subvolume: string, file: string, data: Buffer, trailer?: { size: number; sha256: string }): Promise<unknown> {
    const upload = await client.filePut(subvolume, file);
    await upload.chunk(data);
    return upload.finish(trailer ?? { size: data.length, sha256: sha256(data) });
  }

  test.each(['../x', `../../${B}/home/${NAME}/bob/secret.txt`, '/etc/passwd', '.hidden', 'a/b', '', '.', '..', 'x;touch PWNED', '$(id)', 'manifest.json\n', 'x'.repeat(202)])(
    'the file name %j is refused by every file op',
    async (file) => {
      const alice = aliceShared();
      for (const op of ['file-get', 'file-put', 'file-check', 'file-delete']) {
        const answer = (await alice.client.rawLine(JSON.stringify({ op, subvolume: 'home', file }))) as { ok: boolean; error: { code: string; message: string } };
        expect(answer).toMatchObject({ ok: false, error: { code: 'InvalidArgs' } });
        expect(answer.error.message).toMatch(/"file" must be a plain file name/);
      }
    },
  );

  test('a file is written, listed, checked, read and deleted in the own folder only; a wrong size or checksum keeps nothing', async () => {
    const alice = aliceShared();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    expect(await put(alice.client, 'streams', 'a.full.btrfs.zst.000', data)).toEqual({ ok: true, file: 'a.full.btrfs.zst.000', size: data.length, sha256: sha256(data) });
    expect(await alice.client.fileList('streams')).toEqual([{ name: 'a.full.btrfs.zst.000', size: data.length }]);
    expect(await alice.client.fileCheck('streams', 'a.full.btrfs.zst.000')).toEqual({ size: data.length, sha256: sha256(data) });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (d: Buffer) => chunks.push(d));
    expect(await alice.client.fileGet({ subvolume: 'streams', file: 'a.full.btrfs.zst.000', sink })).toBe(data.length);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);

    const wrongSize = await refusal(put(alice.client, 'streams', 'b.full.btrfs.zst.000', data, { size: data.length + 1, sha256: sha256(data) }));
    expect(wrongSize.detail).toMatch(/^b\.full\.btrfs\.zst\.000 arrived as \d+ bytes with another checksum than the \d+ bytes sent; it was not kept\.$/);
    const wrongHash = await refusal(put(alice.client, 'streams', 'b.full.btrfs.zst.000', data, { size: data.length, sha256: sha256(Buffer.from('other')) }));
    expect(wrongHash.code).toBe('TransferFailed');
    expect(listDir(path.join(fx.root, A, 'streams'))).toEqual(['a.full.btrfs.zst.000']);

    expect(await alice.client.fileDelete('streams', 'a.full.btrfs.zst.000')).toBe(true);
    expect(await alice.client.fileDelete('streams', 'a.full.btrfs.zst.000')).toBe(false);
    expect(listDir(path.join(fx.root, A, 'streams'))).toEqual([]);
    // Bob's folder of the same name never saw any of it.
    const bob = connect(keyB);
    expect(await bob.client.fileList('streams')).toEqual([]);
    expect(listDir(path.join(fx.root, B))).toEqual(['home']);
  });

  test('links planted in the folder are never followed: not read, checked or listed; a write or delete replaces or removes the link itself', async () => {
    const folder = path.join(fx.root, A, 'streams');
    mkdirSync(folder, { recursive: true });
    symlinkSync(path.join(fx.root, B, 'home', NAME, 'bob/secret.txt'), path.join(folder, 'secret.zst.000'));
    symlinkSync(path.join(outside, 'canary.txt'), path.join(folder, 'canary.zst.000'));
    symlinkSync(path.join(outside, 'canary.txt'), path.join(folder, '.manifest.json.partial'));
    try {
      const alice = connect(keyA);
      const expected = /^streams\/(secret|canary)\.zst\.000 is a symbolic link on the server; refused\.$/;
      expect((await refusal(alice.client.fileGet({ subvolume: 'streams', file: 'secret.zst.000', sink: new PassThrough() }))).detail).toMatch(expected);
      expect((await refusal(alice.client.fileCheck('streams', 'canary.zst.000'))).detail).toMatch(expected);
      expect(await alice.client.fileList('streams')).toEqual([]);
      // The temporary name is a link to the canary: the write removes the link and creates its own file.
      await put(alice.client, 'streams', 'manifest.json', Buffer.from('{}\n'));
      await put(alice.client, 'streams', 'canary.zst.000', Buffer.from('replaced\n'));
      expect(readFileSync(path.join(folder, 'canary.zst.000'), 'utf8')).toBe('replaced\n');
      expect(await alice.client.fileDelete('streams', 'secret.zst.000')).toBe(true);
      expect(await alice.client.fileList('streams')).toEqual([
        { name: 'canary.zst.000', size: 9 },
        { name: 'manifest.json', size: 3 },
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('a stream folder or host folder that is a link is refused by every file op', async () => {
    const planted = path.join(fx.root, A, 'evil');
    symlinkSync(path.join(fx.root, B, 'home'), planted);
    const plantedHost = path.join(fx.root, 'carol-pc');
    symlinkSync(path.join(fx.root, B), plantedHost);
    try {
      const alice = connect(keyA);
      const expected = /^The backup folder evil is a symbolic link on the server; refused\.$/;
      expect((await refusal(alice.client.fileList('evil'))).detail).toMatch(expected);
      expect((await refusal(alice.client.fileCheck('evil', 'x.000'))).detail).toMatch(expected);
      expect((await refusal(alice.client.fileDelete('evil', 'x.000'))).detail).toMatch(expected);
      expect((await refusal(alice.client.filePut('evil', 'x.000'))).detail).toMatch(expected);
      const carol = connect(keyC);
      expect((await refusal(carol.client.fileList('home'))).detail).toBe('The folder of carol-pc is a symbolic link on the server; refused.');
      expect((await refusal(carol.client.filePut('home', 'x.000'))).detail).toBe('The folder of carol-pc is a symbolic link on the server; refused.');
    } finally {
      rmSync(planted);
      rmSync(plantedHost);
    }
  });
});

describe('paths inside a backup', () => {
  test.each([
    ['alice/passwd-link', /^alice\/passwd-link is a symbolic link in the backup/],
    ['alice/etc-link/passwd', /^alice\/etc-link is a symbolic link in the backup/],
    ['alice/bob-link', /^alice\/bob-link is a symbolic link in the backup/],
    ['alice/bob-dir-link/secret.txt', /^alice\/bob-dir-link is a symbolic link in the backup/],
    ['../../../bob-desktop/home/20260101T080000Z/bob/secret.txt', /"path" must not contain "\.\."/],
    ['alice/../../../etc/passwd', /"path" must not contain "\.\."/],
    ['/etc/passwd', /"path" must be relative to the backup's root/],
    ['alice/./notes.txt', /"path" must not contain "\."/],
    ['alice//notes.txt', /"path" must not contain an empty component/],
  ])('read %j is refused', async (file, message) => {
    const alice = aliceShared();
    const sink = new PassThrough();
    let bytes = 0;
    sink.on('data', (d: Buffer) => (bytes += d.length));
    const error = await refusal(alice.client.read({ subvolume: 'home', name: NAME, path: file, sink }));
    expect(error.code).toBe('InvalidArgs');
    expect(error.detail).toMatch(message);
    expect(bytes).toBe(0);
  });

  test('readdir does not follow a link to a folder either; the link itself is listed as a link', async () => {
    const alice = connect(keyA);
    expect((await refusal(alice.client.readdir('home', NAME, 'alice/etc-link'))).detail).toMatch(/^alice\/etc-link is a symbolic link/);
    const entries = await alice.client.readdir('home', NAME, 'alice');
    expect(entries.find((e) => e.name === 'etc-link')).toMatchObject({ type: 'symlink', target: '/etc' });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (d: Buffer) => chunks.push(d));
    await alice.client.read({ subvolume: 'home', name: NAME, path: 'alice/notes.txt', sink });
    expect(Buffer.concat(chunks).toString()).toBe('alice notes\n');
  });
});

describe('links planted on the server', () => {
  test('a backup folder that is a link to another host is refused by every op', async () => {
    const planted = path.join(fx.root, A, 'evil');
    symlinkSync(path.join(fx.root, B, 'home'), planted);
    try {
      const alice = connect(keyA);
      const expected = /^The backup folder evil is a symbolic link on the server; refused\.$/;
      expect((await refusal(alice.client.list('evil'))).detail).toMatch(expected);
      expect((await refusal(alice.client.delete('evil', NAME))).detail).toMatch(expected);
      expect((await refusal(alice.client.clean('evil'))).detail).toMatch(expected);
      expect((await refusal(alice.client.readdir('evil', NAME, ''))).detail).toMatch(expected);
      expect((await refusal(alice.client.read({ subvolume: 'evil', name: NAME, path: 'bob/secret.txt', sink: new PassThrough() }))).detail).toMatch(expected);
      expect((await refusal(alice.client.sendBackup({ subvolume: 'evil', name: NAME, sink: new PassThrough() }))).detail).toMatch(expected);
      expect((await refusal(alice.client.diffBackups({ subvolume: 'evil', from: NAME, to: NAME, sink: new PassThrough() }))).detail).toMatch(expected);
      const send = sendSnapshot(path.join(fx.clientMount, '.rewind/home', NAME));
      expect((await refusal(alice.client.receive({ subvolume: 'evil', name: '20260301T000000Z', compression: 'none', stream: send.stream }))).detail).toMatch(expected);
      send.child.kill();
    } finally {
      rmSync(planted);
    }
  });

  test('a backup that is a link to another host\'s backup is not listed, read or deleted', async () => {
    const planted = path.join(aliceFolder, '20260102T000000Z');
    symlinkSync(path.join(fx.root, B, 'home', NAME), planted);
    try {
      const alice = connect(keyA);
      expect((await alice.client.list('home')).map((b) => b.name)).toEqual([NAME]);
      const expected = /^home\/20260102T000000Z is a symbolic link, not a backup; refused\.$/;
      expect((await refusal(alice.client.delete('home', '20260102T000000Z'))).detail).toMatch(expected);
      expect((await refusal(alice.client.read({ subvolume: 'home', name: '20260102T000000Z', path: 'bob/secret.txt', sink: new PassThrough() }))).detail).toMatch(expected);
      expect((await refusal(alice.client.readdir('home', '20260102T000000Z', 'bob'))).detail).toMatch(expected);
      expect((await refusal(alice.client.sendBackup({ subvolume: 'home', name: '20260102T000000Z', sink: new PassThrough() }))).detail).toMatch(expected);
      // Neither side of a diff may be one.
      expect((await refusal(alice.client.diffBackups({ subvolume: 'home', from: NAME, to: '20260102T000000Z', sink: new PassThrough() }))).detail).toMatch(expected);
      expect((await refusal(alice.client.diffBackups({ subvolume: 'home', from: '20260102T000000Z', to: NAME, sink: new PassThrough() }))).detail).toMatch(expected);
    } finally {
      rmSync(planted);
    }
  });

  test('a host folder that is a link to another host is refused', async () => {
    const planted = path.join(fx.root, 'carol-pc');
    symlinkSync(path.join(fx.root, B), planted);
    try {
      const carol = connect(keyC);
      expect((await carol.client.hello()).host).toBe('carol-pc');
      expect((await refusal(carol.client.list('home'))).detail).toBe('The folder of carol-pc is a symbolic link on the server; refused.');
      expect((await refusal(carol.client.delete('home', NAME))).detail).toBe('The folder of carol-pc is a symbolic link on the server; refused.');
    } finally {
      rmSync(planted);
    }
  });
});

describe('hostile send streams', () => {
  async function expectStreamRefused(client: ServeClient, name: string, stream: Buffer, message: RegExp, code = 'InvalidArgs'): Promise<void> {
    const before = listDir(aliceFolder);
    const error = await refusal(client.receive({ subvolume: 'home', name, compression: 'zstd', stream: Readable.from([stream]) }));
    expect({ code: error.code, detail: error.detail }).toEqual({ code, detail: expect.stringMatching(message) });
    // A refusal mid-stream is answered at once; the server cleans up before it answers the next request.
    await client.hello();
    expect(listDir(aliceFolder)).toEqual(before);
  }

  test('an incremental stream based on another host\'s backup is refused before anything is received', async () => {
    // Without the guard, btrfs receive would find bob's backup by its received UUID and snapshot it into alice's folder.
    const work = path.join(fx.clientMount, 'evil-work');
    sh('btrfs', ['subvolume', 'snapshot', bobSnapshot, work]);
    writeFileSync(path.join(work, 'x'), 'x');
    const evil = path.join(fx.clientMount, '.rewind/home/20260301T000000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', work, evil]);
    const alice = connect(keyA);
    await expectStreamRefused(alice.client, '20260301T000000Z', sendToBuffer(evil, bobSnapshot), /^The stream's parent [0-9a-f-]{36} is not a backup in this folder/);
  });

  test('a stream that clones data out of another host\'s backup is refused', async () => {
    // Based on alice's own backup (an allowed parent), with one file reflinked from bob's snapshot.
    const aliceSnapshot = path.join(fx.clientMount, '.rewind/home', NAME);
    const mallory = path.join(fx.clientMount, 'mallory');
    sh('btrfs', ['subvolume', 'snapshot', aliceSnapshot, mallory]);
    sh('cp', ['--reflink=always', path.join(bobSnapshot, 'bob/secret.txt'), path.join(mallory, 'stolen.txt')]);
    const snapshot = path.join(fx.clientMount, '.rewind/home/20260302T000000Z');
    sh('btrfs', ['subvolume', 'snapshot', '-r', mallory, snapshot]);
    const stream = sendToBuffer(snapshot, aliceSnapshot, ['-c', bobSnapshot]);
    // The attack is real: the stream asks receive to clone from bob's snapshot, which bob's backup on the server carries as its received UUID.
    const bobUuid = /^\s*UUID:\s+(\S+)/m.exec(sh('btrfs', ['subvolume', 'show', bobSnapshot]))![1];
    expect(cloneSources(stream)).toEqual([bobUuid]);
    const alice = connect(keyA);
    await expectStreamRefused(alice.client, '20260302T000000Z', stream, /copies data from a subvolume other than its own or its parent/);
  });

  test('a stream of two subvolumes is refused', async () => {
    const first = fx.snapshot('20260303T000000Z');
    const second = fx.snapshot('20260303T000001Z');
    const stream = sendToBuffer(second, undefined, [first]);
    const alice = connect(keyA);
    await expectStreamRefused(alice.client, '20260303T000000Z', stream, /send one subvolume per request\.$/);
  });

  test('a stream with ".." in a path is refused before btrfs receive sees it', async () => {
    const alice = connect(keyA);
    const stream = craftStream('20260304T000000Z', [[CMD.MKFILE, [[ATTR.PATH, str('../escaped')], [ATTR.INO, u64(257)]]]]);
    await expectStreamRefused(alice.client, '20260304T000000Z', stream, /^The stream names a path with "\.\."\.$/);
    expect(existsSync(path.join(aliceFolder, 'escaped'))).toBe(false);
  });

  test('a stream that writes beside its backup through its own link is refused before btrfs receive sees the write', async () => {
    const alice = connect(keyA);
    const stream = craftStream('20260305T000000Z', [
      [CMD.SYMLINK, [[ATTR.PATH, str('l')], [ATTR.INO, u64(257)], [ATTR.PATH_LINK, str('/')]]],
      [CMD.MKFILE, [[ATTR.PATH, str('l/planted')], [ATTR.INO, u64(258)]]],
    ]);
    await expectStreamRefused(alice.client, '20260305T000000Z', stream, /^The stream reaches "l\/planted" through a symbolic link; that is refused\.$/);
    expect(existsSync(path.join(aliceFolder, 'planted'))).toBe(false);
  });

  test('a stream that writes through a link to an absolute path is refused, and nothing appears where the link points', async () => {
    const alice = connect(keyA);
    const stream = craftStream('20260306T000000Z', [
      [CMD.SYMLINK, [[ATTR.PATH, str('l')], [ATTR.INO, u64(257)], [ATTR.PATH_LINK, str(path.join(fx.root, B, 'home'))]]],
      [CMD.MKFILE, [[ATTR.PATH, str('l/planted')], [ATTR.INO, u64(258)]]],
      [CMD.SYMLINK, [[ATTR.PATH, str('t')], [ATTR.INO, u64(259)], [ATTR.PATH_LINK, str('/../../../../../../../..' + path.dirname(pwned))]]],
      [CMD.MKFILE, [[ATTR.PATH, str(`t/${path.basename(pwned)}`)], [ATTR.INO, u64(260)]]],
    ]);
    await expectStreamRefused(alice.client, '20260306T000000Z', stream, /^The stream reaches "l\/planted" through a symbolic link; that is refused\.$/);
    expect(existsSync(path.join(fx.root, B, 'home', 'planted'))).toBe(false);
    expect(existsSync(pwned)).toBe(false);
  });
});

describe('after every attempt', () => {
  test('alice deleting her own backup leaves bob\'s of the same name alone', async () => {
    const alice = connect(keyA);
    await alice.client.delete('home', NAME);
    expect(await alice.client.list('home')).toEqual([]);
    const bob = connect(keyB);
    expect((await bob.client.list('home')).map((b) => b.name)).toEqual([NAME]);
  });

  test('nothing outside alice\'s folder changed, nothing ran, nothing is left locked', () => {
    expect(stateOfOthers()).toBe(bobState);
    expect(existsSync(pwned)).toBe(false);
    expect(existsSync(path.join('/root', path.basename(pwned)))).toBe(false);
    expect(listDir(fx.root)).toEqual([A, B]);
    expect(listDir(path.join(fx.runtimeDir, 'serve'))).toEqual([]);
    expect(shResult('ss', ['-ltn', `sport = :${sshd.port}`]).stdout).toContain(`127.0.0.1:${sshd.port}`);
  });
});
